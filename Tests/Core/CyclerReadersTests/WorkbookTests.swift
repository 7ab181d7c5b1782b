@testable import CyclerReaders
import Foundation
import Testing

/// Sheets held in memory, standing in for the `.xlsx` decoder.
struct InMemoryWorkbook: CyclerWorkbook, Sendable {
    var sheets: [(name: String, columns: [String], rows: [[RawValue]])]
    var sheetNames: [String] { sheets.map(\.name) }
    /// A sheet with no column names stands for a headerless continuation sheet.
    func records(sheet: String, continuing header: [String]?) throws -> any RawRecordSource {
        let s = sheets.first { $0.name == sheet }!
        return InMemoryRecordSource(format: "xlsx", columnNames: s.columns.isEmpty ? header ?? [] : s.columns, rows: s.rows)
    }
}

func workbookOptions(_ workbook: InMemoryWorkbook) -> CyclerFile.Options {
    var options = CyclerFile.Options()
    options.decoders.workbooks["xlsx"] = { _ in workbook }
    return options
}

func fakeXLSX() throws -> String {
    try FixturePaths.temporaryFile("export.xlsx", contents: Array("PK\u{03}\u{04}".utf8) + Array(repeating: 0, count: 26) + Array("xl/workbook.xml".utf8))
}

@Test func arbinWorkbookChainsChannelSheetsAndIgnoresRawDataCopies() throws {
    let columns = ["Date_Time", "Test_Time(s)", "Step_Index", "Cycle_Index", "Voltage(V)", "Current(A)", "Charge_Capacity(Ah)", "Discharge_Capacity(Ah)"]
    func rows(_ range: Range<Int>) -> [[RawValue]] {
        range.map { i in
            [.number(44000 + Double(i) / 86400), .number(Double(i)), .number(1), .number(Double(1 + i / 50)), .number(3.0 + Double(i) / 1000), .number(0.1), .number(Double(i % 50) * 0.001), .number(0)]
        }
    }
    let workbook = InMemoryWorkbook(sheets: [
        ("Global_Info", ["a"], []),
        ("Channel_11_2", columns, rows(60..<100)),
        ("Channel_11_1", columns, rows(0..<60)),
        ("RawData_11_1", columns, rows(0..<60)),
    ])
    let report = try InspectReport.inspect(path: fakeXLSX(), library: FixturePaths.library(), options: workbookOptions(workbook))
    #expect(report.format == "arbin_xlsx")
    #expect(report.rows == 100)
    #expect(report.cycles == [1, 2])
    #expect(report.voltageMaxVolts == 3.099)
    #expect(abs((report.perCycle[1]?.charge ?? 0) - 0.049) < 1e-12)
}

@Test func landWorkbookAgreesWithItsCycleSheet() throws {
    // Charge first: C_CC, R, D_CC per cycle; capacity restarts at every step.
    let columns = ["Index", "TestTime/h", "StepTime/h", "Voltage/V", "Current/mA", "Capacity/mAh", "State"]
    var rows: [[RawValue]] = []
    var index = 1
    var t = 0.0
    for _ in 0..<3 {
        for (state, current, n) in [("C_CC", 1.0, 5), ("R", 0.0, 2), ("D_CC", -1.0, 4)] {
            for k in 0..<n {
                rows.append([.number(Double(index)), .number(t), .number(Double(k) / 60), .number(3.5), .number(current), .number(Double(k) * 0.1), .text(state)])
                index += 1
                t += 1.0 / 60
            }
        }
    }
    let cycleColumns = ["Index", "Charge-Cap/mAh", "Discharge-Cap/mAh", "Efficiency/%"]
    let cycleRows: [[RawValue]] = [[.number(0), .number(0), .number(0), .number(0)]] + (1...3).map { [.number(Double($0)), .number(0.4), .number(0.3), .number(75)] }
    var workbook = InMemoryWorkbook(sheets: [("Record", columns, rows), ("Mode", ["Step"], []), ("Cycle", cycleColumns, cycleRows)])
    let report = try InspectReport.inspect(path: fakeXLSX(), library: FixturePaths.library(), options: workbookOptions(workbook))
    #expect(report.format == "land_xlsx")
    #expect(report.cycles == [1, 2, 3])
    #expect(abs((report.perCycle[2]?.charge ?? 0) - 0.0004) < 1e-12)
    #expect(abs((report.perCycle[2]?.discharge ?? 0) - 0.0003) < 1e-12)
    // A summary the records cannot reproduce is refused, not silently trusted.
    workbook.sheets[2].rows[2][1] = .number(0.9)
    #expect {
        _ = try InspectReport.inspect(path: fakeXLSX(), library: FixturePaths.library(), options: workbookOptions(workbook))
    } throws: { String(describing: $0).contains("instrument's own cycle summary") }
}

@Test func landContinuationSheetsWithoutHeaderAreRecordsOfTheSameTest() throws {
    let columns = ["Index", "TestTime/h", "StepTime/h", "Voltage/V", "Current/mA", "Capacity/mAh", "State"]
    func record(_ i: Int, _ state: String, _ current: Double, _ k: Int) -> [RawValue] {
        [.number(Double(i)), .number(Double(i) / 60), .number(Double(k) / 60), .number(3.5), .number(current), .number(Double(k + 1) * 0.1), .text(state)]
    }
    // One cycle C_CC (6 records), D_CC (6 records) split 5 / 4 / 3 over three sheets.
    let all = (0..<6).map { record($0 + 1, "C_CC", 1, $0) } + (0..<6).map { record($0 + 7, "D_CC", -1, $0) }
    let workbook = InMemoryWorkbook(sheets: [
        ("Record", columns, Array(all[0..<5])),
        ("Record2", [], Array(all[9..<12])),
        ("Record1", [], Array(all[5..<9])),
        ("Cycle", ["Index", "Charge-Cap/mAh", "Discharge-Cap/mAh"], [[.number(0), .number(0), .number(0)], [.number(1), .number(0.6), .number(0.6)]]),
    ])
    let report = try InspectReport.inspect(path: fakeXLSX(), library: FixturePaths.library(), options: workbookOptions(workbook))
    #expect(report.rows == 12)
    #expect(report.cycles == [1])
    #expect(abs((report.perCycle[1]?.charge ?? 0) - 0.0006) < 1e-12)
    #expect(abs((report.perCycle[1]?.discharge ?? 0) - 0.0006) < 1e-12)
    #expect(abs((report.lastTestTimeSeconds ?? 0) - 12 * 60) < 1e-9)
}

@Test func landCycleSheetCapacitiesInTheUnitTheirHeaderNames() throws {
    let sheet = InMemoryRecordSource(format: "xlsx", columnNames: ["Index", "Charge-Cap/uAh", "Discharge_Cap/Ah", "Efficiency/%"],
                                     rows: [[.number(0), .number(0), .number(0), .number(0)], [.number(1), .number(250), .number(0.0002), .number(80)]])
    let summary = try #require(try WorkbookRecords.landCycleSummary(sheet))
    #expect(summary.count == 1)
    #expect(abs(summary[1]!.charge - 250e-6) < 1e-18 && summary[1]!.discharge == 0.0002)
    let unknown = InMemoryRecordSource(format: "xlsx", columnNames: ["Index", "Charge-Cap/Coulomb", "Discharge-Cap/mAh"], rows: [])
    #expect(try WorkbookRecords.landCycleSummary(unknown) == nil)
}

@Test func landTestTimeWrittenAsAnExcelDurationIsReadInDays() throws {
    // 'TestTime/h' as a duration cell: Excel keeps days, whatever the header says. The clock
    // (SysTime, Excel serial days) tells which unit agrees.
    let columns = ["Index", "TestTime/h", "Voltage/V", "Current/mA", "Capacity/mAh", "SysTime", "State"]
    let start = 45_000.5
    let rows: [[RawValue]] = (0..<40).map { k in
        let days = Double(k) * 60 / 86_400
        return [.number(Double(k + 1)), .number(days), .number(3.5), .number(1), .number(Double(k) * 0.01), .number(start + days), .text("C_CC")]
    }
    let workbook = InMemoryWorkbook(sheets: [("Record", columns, rows)])
    let report = try InspectReport.inspect(path: fakeXLSX(), library: FixturePaths.library(), options: workbookOptions(workbook))
    #expect(abs((report.lastTestTimeSeconds ?? 0) - 39 * 60) < 1e-6)
    #expect(report.warnings.contains { $0.contains("read in") })
}

@Test func landSmallCellsInMicroampsAndMicroampHours() throws {
    // A symmetric Li|LGPS|Li cell at 0.1 mA/cm² on 0.5 cm²: LAND can write µA and µAh.
    let columns = ["Index", "TestTime/h", "Voltage/V", "Current/uA", "Capacity/uAh", "State"]
    var rows: [[RawValue]] = []
    for (k, (state, current)) in [("D_CC", -50.0), ("D_CC", -50.0), ("C_CC", 50.0), ("C_CC", 50.0)].enumerated() {
        rows.append([.number(Double(k + 1)), .number(Double(k)), .number(current > 0 ? 0.02 : -0.02), .number(current), .number(Double(k % 2 + 1) * 50), .text(state)])
    }
    let cycle: [[RawValue]] = [[.number(0), .number(0), .number(0)], [.number(1), .number(100), .number(100)]]
    let workbook = InMemoryWorkbook(sheets: [("Record", columns, rows), ("Cycle", ["Index", "Charge-Cap/uAh", "Discharge-Cap/uAh"], cycle)])
    let report = try InspectReport.inspect(path: fakeXLSX(), library: FixturePaths.library(), options: workbookOptions(workbook))
    #expect(abs((report.perCycle[1]?.charge ?? 0) - 100e-6) < 1e-15)
    #expect(abs((report.perCycle[1]?.discharge ?? 0) - 100e-6) < 1e-15)
    var reader = try CyclerFile.open(path: fakeXLSX(), library: FixturePaths.library(), options: workbookOptions(workbook))
    let first = try #require(try reader.next())
    #expect(abs(first.sample.currentAmperes + 50e-6) < 1e-15)
}
