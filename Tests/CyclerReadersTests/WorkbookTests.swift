import CyclerReaders
import Foundation
import Testing

/// Sheets held in memory, standing in for the `.xlsx` decoder.
struct InMemoryWorkbook: CyclerWorkbook, Sendable {
    var sheets: [(name: String, columns: [String], rows: [[RawValue]])]
    var sheetNames: [String] { sheets.map(\.name) }
    func records(sheet: String) throws -> any RawRecordSource {
        let s = sheets.first { $0.name == sheet }!
        return InMemoryRecordSource(format: "xlsx", columnNames: s.columns, rows: s.rows)
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
