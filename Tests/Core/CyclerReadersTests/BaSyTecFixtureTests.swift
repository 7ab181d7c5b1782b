import Foundation
import Testing
@testable import CyclerReaders

/// A real BaSyTec result file (excerpt, PROVENANCE.md): the full column set of a current BaSyTec
/// export, `Time[s]`, Windows-1252, `Cyc-Count` starting at 0, both `Ah-Cyc-Charge` and
/// `Ah-Cyc-Charge-0` columns.
@Test func realBaSyTecResultFileReadsWithItsOwnCountersAndClock() throws {
    let path = FixturePaths.fixture("basytec_txt/sample_data_basytec_excerpt.txt")
    let report = try InspectReport.inspect(path: path, library: FixturePaths.library())
    #expect(report.format == "basytec_txt")
    #expect(report.rows == 9)
    #expect(report.cycles == [0, 1])
    #expect(report.firstTestTimeSeconds == 0)
    #expect(report.lastTestTimeSeconds == 70.2358036666668)
    #expect(report.voltageMinVolts == 3.5255631284671)
    #expect(report.voltageMaxVolts == 3.53285012323902)
    // The Ah-Cyc-Charge counter runs through the cycle: cycle 1's charge is its rise.
    #expect(abs((report.perCycle[1]?.charge ?? 0) - 0.001248916998009) < 1e-15)
    #expect(report.perCycle[1]?.discharge == 0)
    #expect(report.perCycle[0].map { $0.charge == 0 && $0.discharge == 0 } ?? true)
    // '~Start of Test: 19.06.2023 17:56:53' (profile zone UTC) plus the test time.
    #expect(report.firstUnixTimeSeconds == 1_687_197_413)
    #expect(abs((report.lastUnixTimeSeconds ?? 0) - (1_687_197_413 + 70.2358036666668)) < 1e-6)

    // The temperature column's Windows-1252 degree sign decodes to the profile's name.
    var reader = try CyclerFile.open(path: path, library: FixturePaths.library())
    var temperatures: [Double] = []
    while let record = try reader.next() { temperatures.append(record.sample.temperatureCelsius ?? .nan) }
    #expect(temperatures.first == 25.47953)
}
