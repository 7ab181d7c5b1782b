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
    for (cycle, values) in expected.per_cycle {
        let got = try #require(report.perCycle[Int(cycle)!])
        #expect(abs(got.charge - values[0]) < 1e-9, "cycle \(cycle) charge")
        #expect(abs(got.discharge - values[1]) < 1e-9, "cycle \(cycle) discharge")
    }
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
