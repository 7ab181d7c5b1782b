import Foundation
import Testing
@testable import CyclerReaders

@Suite("xlsx workbooks")
struct BinaryXLSXTests {
    @Test("Arbin Data Pro export (navani, MIT): records, voltage range, date column, Global_Info")
    func arbinExport() throws {
        let book = try XLSXWorkbook(url: BinaryFixtures.local("bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx"))
        #expect(book.sheetNames == ["Global_Info", "Channel_11_1"])
        var source = try WorkbookRecords.open(book, file: book.file).source
        #expect(source.format == "arbin_xlsx")
        #expect(source.columnNames == [
            "Date_Time", "Test_Time(s)", "Step_Time(s)", "Step_Index", "Cycle_Index", "Voltage(V)", "Current(A)",
            "Charge_Capacity(Ah)", "Discharge_Capacity(Ah)", "Charge_Energy(Wh)", "Discharge_Energy(Wh)",
            "Internal Resistance(Ohm)", "dV/dt(V/s)",
        ])
        #expect(source.metadata["xlsx date columns"] == "Date_Time")
        #expect(source.metadata["Channel"] == "11")
        #expect(source.metadata["Start DateTime"] == "2020-10-19T11:33:31.000")
        let rows = try readAll(&source)
        #expect(rows.count == 4526)
        let v = numbers(rows, column: 5)
        #expect(abs(v.min()! - 0.049994) < 1e-6 && abs(v.max()! - 2.640909) < 1e-6)
        // Excel serial dates: first and last record times from PROVENANCE.md.
        #expect(XLSXWorkbook.isoDate(excelSerial: rows.first![0].number!) == "2020-10-19T11:31:46.582")
        #expect(XLSXWorkbook.isoDate(excelSerial: rows.last![0].number!) == "2020-11-02T10:12:01.406")
        // The empty Internal Resistance column stays missing rather than becoming zero.
        #expect(rows.allSatisfy { $0[11] == .missing })
        #expect(rows[1][1].number == 2.0015)  // parsed exactly as written (fast path)
        #expect(rows.last![1].number == 1204815.8106799999)  // 17 digits: correctly rounded slow path
    }

    @Test("LAND-style workbook: shared/inline/rich strings, booleans, errors, gaps, prefixes, entities")
    func landSynthetic() throws {
        let book = try XLSXWorkbook(url: BinaryFixtures.local("land_synthetic.xlsx"))
        #expect(book.sheetNames == ["Record", "Mode", "Cycle"])
        var source = try WorkbookRecords.open(book, file: book.file).source
        #expect(source.format == "land_xlsx")
        #expect(source.columnNames == ["Index", "Current/mA", "Voltage/V", "SysTime", "State", "Flag"])
        #expect(source.metadata["xlsx date columns"] == "SysTime")
        // Its Cycle sheet has no capacity columns: noted, and the records are still read.
        #expect(source.metadata["cycle sheet"]?.hasPrefix("not understood") == true)
        let rows = try readAll(&source)
        #expect(rows == [
            [.number(1), .number(-0.5), .number(3.2501), .number(45000.5), .text("CC_DChg "), .number(1)],
            [.number(2), .missing, .number(3.2), .number(45000.50001157407), .text("CV"), .text("#N/A")],
            [.number(3), .missing, .number(0.0015), .missing, .text("R&D μA"), .number(0)],
        ])
        #expect(source.position == 3)
        var cycle = try book.records(sheet: "Cycle")
        #expect(try readAll(&cycle) == [[.number(1)]])
    }

    @Test("a test split over Channel_n_1, Channel_n_2 is one stream; RawData copies are ignored")
    func splitSheets() throws {
        var source = try openRawSource(url: BinaryFixtures.local("arbin_split_synthetic.xlsx"))
        #expect(source.columnNames == ["Data_Point", "Voltage(V)"])
        #expect(source.metadata["sheets"] == "Channel_3_1,Channel_3_2")
        #expect(source.metadata["Start DateTime"] == "2020-10-19T12:00:00.000")
        let rows = try readAll(&source)
        #expect(numbers(rows, column: 0) == (1...9).map(Double.init))
        for (k, v) in numbers(rows, column: 1).enumerated() { #expect(abs(v - (3.0 + Double(k + 1) / 1000)) < 1e-12) }
    }

    @Test("cells written out of column order (header and data) land in their columns")
    func unorderedCells() throws {
        var source = try openRawSource(url: BinaryFixtures.local("unordered_cells.xlsx"))
        #expect(source.columnNames == ["a", "Column 2", "c"])
        #expect(try readAll(&source) == [[.number(1), .number(2), .number(3)]])
    }

    @Test("LAND record sheet split over Record, Record1, Record2 (no header after the first) is one test agreeing with its Cycle sheet")
    func landSplitRecordSheets() throws {
        let url = BinaryFixtures.local("land_split_synthetic.xlsx")
        let book = try XLSXWorkbook(url: url)
        var source = try WorkbookRecords.open(book, file: book.file).source
        #expect(source.metadata["sheets"] == "Record,Record1,Record2")
        #expect(source.columnNames == ["Index", "TestTime/h", "StepTime/h", "Voltage/V", "Current/mA", "Capacity/mAh", "State"])
        let rows = try readAll(&source)
        // Rest (2) + 3 cycles of D_CC (5) and C_CC (4, 4, 5): every record once, in order.
        #expect(numbers(rows, column: 0) == (1...30).map(Double.init))
        #expect([rows[7][6], rows[11][6], rows[12][6], rows[29][6]] == [.text("C_CC"), .text("D_CC"), .text("D_CC"), .text("C_CC")])

        let report = try InspectReport.inspect(path: url.path, library: FixturePaths.library())
        #expect(report.format == "land_xlsx")
        #expect(report.rows == 30)
        #expect(report.cycles.filter { $0 > 0 } == [1, 2, 3])
        // Discharge first: each cycle is a D_CC step then a C_CC step, as the Cycle sheet has it.
        for (cycle, charge) in [(1, 0.02), (2, 0.02), (3, 0.025)] {
            #expect(abs((report.perCycle[cycle]?.charge ?? -1) - charge / 1000) < 1e-12, "cycle \(cycle)")
            #expect(abs((report.perCycle[cycle]?.discharge ?? -1) - 0.025 / 1000) < 1e-12, "cycle \(cycle)")
        }
    }

    @Test("Arbin record sheets are grouped per channel, parts in numeric order; other channels are named, not mixed in")
    func arbinChannelSheetNames() {
        let names = ["Global_Info", "Channel_12_1", "Channel_11_10", "Channel_11_2", "Channel_11_1", "Statistics_11", "Channel_1-009", "Channel_Chart", "Channel3_1"]
        let channels = WorkbookRecords.channelSheets(names, prefix: "Channel")
        #expect(channels.map(\.channel) == ["1-009", "3", "11", "12"])
        #expect(channels[2].sheets == ["Channel_11_1", "Channel_11_2", "Channel_11_10"])
        #expect(channels[0].sheets == ["Channel_1-009"])
        #expect(WorkbookRecords.landContinuationSheets(["Record", "Record10", "Record2", "Record(3)", "Records", "Cycle", "Record_1"]) == ["Record_1", "Record2", "Record(3)", "Record10"])
    }

    @Test("number parser: exact on the fast path, correctly rounded otherwise, rejects junk")
    func numberParser() {
        func parse(_ s: String) -> Double? {
            let bytes = Array(s.utf8)
            return bytes.withUnsafeBufferPointer { XLSXSheetScanner.parseNumber($0, 0..<$0.count) }
        }
        for s in ["0", "-0.5", "3.2501", "1.5E-3", "1e22", "123456789012345", "0.1", "2.6376724243164063",
                  "1204815.8106799999", "5.0827860832214355e-05", "4.9e-324", "1.7976931348623157e308", "+7"] {
            #expect(parse(s) == Double(s), "\(s)")
        }
        for s in ["", "-", "1e", "abc", "1.2.3", "1e+", "--1", "0x10", "nan"] { #expect(parse(s) == nil, "\(s)") }
    }
}
