import Foundation
import Testing
@testable import CyclerReaders
import CellModel

/// Novonix step codes 7/8 (CC then CV part of a CC-CV charge) and 9/10 (of a CC-CV discharge):
/// the CV part continues its direction run, so the counter carries on from the CC part.
@Test func novonixCCCVChargeAndDischargeAreOneDirectionRunEach() throws {
    var text = "[Summary]\nNovonix UHPC data file\nStarted: 2025-07-19 15:26:20\n[End Summary]\n[Data]\n"
    text += "Date and Time,Cycle Number,Step Type,Run Time (h),Step Time (h),Current (A),Potential (V),Capacity (Ah),Step Number\n"
    var seconds = 0
    var rows: [(code: Int, step: Int, current: Double, capacity: Double)] = []
    // CC charge 0.5 A to 0.2 Ah, CV charge tapering to 0.26 Ah, rest, CC discharge to 0.2 Ah, CV discharge to 0.25 Ah.
    for k in 1...4 { rows.append((7, 1, 0.5, 0.05 * Double(k))) }
    for k in 1...3 { rows.append((8, 1, 0.1, 0.2 + 0.02 * Double(k))) }
    for _ in 1...2 { rows.append((0, 2, 0, 0)) }
    for k in 1...4 { rows.append((9, 3, -0.5, 0.05 * Double(k))) }
    for k in 1...2 { rows.append((10, 3, -0.1, 0.2 + 0.025 * Double(k))) }
    for row in rows {
        seconds += 360
        let clock = Date(timeIntervalSince1970: 1_752_938_780 + Double(seconds))
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        text += "\(formatter.string(from: clock)),1,\(row.code),\(Double(seconds) / 3600),0,\(row.current),3.9,\(row.capacity),\(row.step)\n"
    }
    let path = try FixturePaths.temporaryFile("novonix_cccv.csv", text: text)
    let report = try InspectReport.inspect(path: path, library: FixturePaths.library())
    #expect(report.format == "novonix_csv")
    #expect(report.rows == rows.count)
    let cycle = try #require(report.perCycle[1])
    #expect(abs(cycle.charge - 0.26) < 1e-12)
    #expect(abs(cycle.discharge - 0.25) < 1e-12)

    // The step types follow the codes: CV parts are CV steps of the same direction.
    var reader = try CyclerFile.open(path: path, library: FixturePaths.library())
    var types: [StepType] = []
    while let record = try reader.next() { types.append(record.sample.stepType) }
    #expect(types == [StepType](repeating: .constantCurrentCharge, count: 4) + [StepType](repeating: .constantVoltageCharge, count: 3)
        + [StepType](repeating: .rest, count: 2) + [StepType](repeating: .constantCurrentDischarge, count: 4) + [StepType](repeating: .constantVoltageDischarge, count: 2))
}
