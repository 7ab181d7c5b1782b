import CyclerReaders
import Foundation
import Testing

/// LAND, BaSyTec and layered Neware files written by `Fixtures/synthetic/make_synthetic.py`,
/// whose expectations the generator computed independently of the reader.
struct SyntheticExpectation: Decodable {
    var rows: Int
    var cycles: [Int]
    var per_cycle: [String: [Double]]
}

@Test(arguments: [
    ("synthetic/land_synthetic.csv", "land_csv"),
    ("synthetic/basytec_synthetic.txt", "basytec_txt"),
    ("synthetic/neware_layered_synthetic.csv", "neware_csv_layered"),
])
func syntheticFileMatchesGenerator(_ file: String, _ format: String) throws {
    let expectedPath = FixturePaths.fixture(file.replacingOccurrences(of: ".csv", with: ".expected.json").replacingOccurrences(of: ".txt", with: ".expected.json"))
    let expected = try JSONDecoder().decode(SyntheticExpectation.self, from: Data(contentsOf: URL(fileURLWithPath: expectedPath)))
    let report = try InspectReport.inspect(path: FixturePaths.fixture(file), library: FixturePaths.library())
    #expect(report.format == format)
    #expect(report.rows == expected.rows)
    #expect(report.cycles == expected.cycles)
    try expectPerCycle(report, expected.per_cycle)
}

@Test func landCurrentIsSignedAndCyclesPairFromTheFirstDirection() throws {
    var reader = try CyclerFile.open(path: FixturePaths.fixture("synthetic/land_synthetic.csv"), library: FixturePaths.library())
    var sawDischarge = false
    while let r = try reader.next() {
        if r.stateLabel == "D_CC" {
            sawDischarge = true
            #expect(r.sample.currentAmperes < 0)
            #expect(r.sample.stepType == .constantCurrentDischarge)
        }
        if r.stateLabel == "C_CC" { #expect(r.sample.currentAmperes > 0) }
        // The test starts with a discharge: cycle 1 is discharge then charge.
        if r.recordIndex < 30 { #expect(r.instrumentCycle == 1) }
    }
    #expect(sawDischarge)
}

@Test func basytecStartOfTestGivesTheClock() throws {
    let report = try InspectReport.inspect(path: FixturePaths.fixture("synthetic/basytec_synthetic.txt"), library: FixturePaths.library())
    #expect(report.firstUnixTimeSeconds == unix("2023-06-19T17:56:53"))
}

@Test func novonixLinesWrappedInQuotesAndTwelveHourClock() throws {
    // The older Novonix HPC layout (as in BEEP's test file): every line of the table quoted whole.
    var text = "[Summary]\nNovonix HPC data file\nStarted: 2022-04-11 10:58:07 AM\n[End Summary]\n[Protocol]\n[0: Open_circuit_storage:]\n[1: Constant_current_charge: 20 C/xx to 3.9 V]\n[End Protocol]\n[Data]\n"
    text += "\"Date and Time,Cycle Number,Step Type,Run Time (h),Step Time (h),Current (A),Potential (V),Capacity (Ah),Temperature (°C),Circuit Temperature (°C),Energy (Wh),dVdt (I/h),dIdt (V/h),Step Number,Step position\"\n"
    for i in 0..<20 {
        let type = i < 10 ? 0 : 1
        let current = i < 10 ? 0.0 : 0.012
        let capacity = i < 10 ? 0.0 : Double(i - 9) * 0.001
        text += "\"2022-04-11 12:58:\(String(format: "%02d", i * 2)) PM,1,\(type),\(String(format: "%.7f", Double(i * 2) / 3600)),0.0,\(current),3.\(i),\(capacity),25,23,0,0,0,\(type + 1),0\"\n"
    }
    let path = try FixturePaths.temporaryFile("novonix_quoted.csv", text: text)
    let report = try InspectReport.inspect(path: path, library: FixturePaths.library())
    #expect(report.format == "novonix_csv")
    #expect(report.rows == 20)
    #expect(report.firstUnixTimeSeconds == unix("2022-04-11T12:58:00"))
    #expect(abs((report.perCycle[1]?.charge ?? 0) - 0.010) < 1e-12)
}

@Test func newareChineseHeadersAndStepTypes() throws {
    var text = "数据序号,循环序号,工步序号,工步类型,时间,总时间,电流(A),电压(V),容量(Ah),充电容量(Ah),放电容量(Ah),绝对时间\n"
    let steps = [("搁置", 0.0), ("恒流充电", 0.5), ("恒压充电", 0.2), ("恒流放电", -0.5)]
    var n = 0
    for (s, (label, current)) in steps.enumerated() {
        for k in 0..<5 {
            let q = Double(k) * 0.01
            let chg = current > 0 ? q : 0
            let dis = current < 0 ? q : 0
            text += "\(n + 1),1,\(s + 1),\(label),00:00:\(String(format: "%02d", k * 10)),00:\(String(format: "%02d", n * 10 / 60)):\(String(format: "%02d", n * 10 % 60)),\(current),3.\(n),\(q),\(chg),\(dis),2024-03-01 08:\(String(format: "%02d", n * 10 / 60)):\(String(format: "%02d", n * 10 % 60))\n"
            n += 1
        }
    }
    let path = try FixturePaths.temporaryFile("neware_cn.csv", text: text)
    let report = try InspectReport.inspect(path: path, library: FixturePaths.library())
    #expect(report.format == "neware_csv")
    #expect(report.rows == 20)
    #expect(abs((report.perCycle[1]?.charge ?? 0) - 0.08) < 1e-12)
    #expect(abs((report.perCycle[1]?.discharge ?? 0) - 0.04) < 1e-12)
    #expect(report.lastTestTimeSeconds == 190)
}
