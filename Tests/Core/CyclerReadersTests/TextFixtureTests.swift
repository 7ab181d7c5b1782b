import CyclerReaders
import Foundation
import Testing

/// Counts from the fixtures' PROVENANCE.md (computed there with pandas), which the reader must
/// reproduce exactly (rows, cycles) or to 1e-6 (voltages, times).
struct ProvenanceCounts: Sendable, CustomStringConvertible {
    var path: String
    var format: String
    var rows: Int
    var cycles: Int
    var cycleMin: Int
    var cycleMax: Int
    var voltageMin: Double
    var voltageMax: Double
    /// First and last clock time as ISO text in the instrument's zone (profiles default to UTC), or nil.
    var firstTime: String?
    var lastTime: String?
    var description: String { path }
}

func unix(_ iso: String) -> Double {
    let f = ISO8601DateFormatter()
    f.formatOptions = iso.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
    return f.date(from: iso + "Z")!.timeIntervalSince1970
}

let permissiveTextFixtures: [ProvenanceCounts] = [
    .init(path: "arbin_csv/arbin_example.csv", format: "arbin_csv", rows: 2142, cycles: 2, cycleMin: 1, cycleMax: 2, voltageMin: 1.999564, voltageMax: 3.60036, firstTime: "2017-07-02T14:39:13", lastTime: "2017-07-02T16:24:21"),
    .init(path: "arbin_csv/sample_data_arbin.csv", format: "arbin_csv", rows: 13, cycles: 1, cycleMin: 1, cycleMax: 1, voltageMin: 3.534552, voltageMax: 3.599601, firstTime: "2024-09-20T08:32:34.558", lastTime: "2024-09-20T08:37:05.772"),
    .init(path: "maccor_txt/PredictionDiagnostics_000151_test.052", format: "maccor_txt", rows: 333, cycles: 1, cycleMin: 37, cycleMax: 37, voltageMin: 3.862516, voltageMax: 3.868238, firstTime: "2019-10-21T23:59:59", lastTime: "2019-10-22T00:00:02"),
    .init(path: "maccor_txt/maccor_test_file_4267-66-6519.041", format: "maccor_txt", rows: 74, cycles: 1, cycleMin: 0, cycleMax: 0, voltageMin: 3.908064, voltageMax: 3.911727, firstTime: "2016-11-02T15:57:53", lastTime: "2016-11-02T16:03:24"),
    .init(path: "maccor_txt/maccor_example.001", format: "maccor_txt", rows: 8, cycles: 1, cycleMin: 0, cycleMax: 0, voltageMin: 3.305715, voltageMax: 3.306783, firstTime: "2016-03-31T16:05:31", lastTime: "2016-03-31T16:06:41"),
    .init(path: "maccor_txt/maccor_two.txt", format: "maccor_txt", rows: 214, cycles: 1, cycleMin: 1, cycleMax: 1, voltageMin: 0.1377, voltageMax: 0.1514, firstTime: "2021-06-05T11:23:46", lastTime: nil),
    .init(path: "neware_csv/neware_uio.csv", format: "neware_csv", rows: 9065, cycles: 4, cycleMin: 1, cycleMax: 4, voltageMin: 0.05, voltageMax: 2.957, firstTime: "2022-05-18T16:27:52", lastTime: "2022-05-24T16:29:53"),
    .init(path: "novonix_csv/sample_data_novonix.csv", format: "novonix_csv", rows: 207, cycles: 1, cycleMin: 1, cycleMax: 1, voltageMin: 3.843183, voltageMax: 4.128646, firstTime: "2025-07-19T15:26:20", lastTime: "2025-07-19T18:51:08"),
]

let gplTextFixtures: [ProvenanceCounts] = [
    .init(path: "biologic_mpt/gcpl.issue_149.mpt", format: "biologic_mpt", rows: 132, cycles: 4, cycleMin: 0, cycleMax: 3, voltageMin: 3.413783, voltageMax: 3.446636, firstTime: "2024-01-10T11:03:00.039", lastTime: "2024-01-10T11:13:29.872"),
    .init(path: "biologic_mpt/gcpl.pr_182.1.mpt", format: "biologic_mpt", rows: 2533, cycles: 5, cycleMin: 0, cycleMax: 4, voltageMin: 0.003829, voltageMax: 2.354562, firstTime: nil, lastTime: nil),
    .init(path: "biologic_mpt/mb.issue_95.de.mpt", format: "biologic_mpt", rows: 33, cycles: 1, cycleMin: 0, cycleMax: 0, voltageMin: 2.326079, voltageMax: 2.332743, firstTime: "2022-12-08T14:36:53.355", lastTime: "2022-12-08T14:37:23.355"),
]

func checkCounts(_ report: InspectReport, _ expected: ProvenanceCounts) {
    #expect(report.format == expected.format)
    #expect(report.rows == expected.rows)
    #expect(report.cycles.count == expected.cycles)
    #expect(report.cycles.first == expected.cycleMin)
    #expect(report.cycles.last == expected.cycleMax)
    // Provenance prints voltages rounded to 6 decimals.
    #expect(abs((report.voltageMinVolts ?? .nan) - expected.voltageMin) <= 5.1e-7)
    #expect(abs((report.voltageMaxVolts ?? .nan) - expected.voltageMax) <= 5.1e-7)
    if let first = expected.firstTime {
        #expect(abs((report.firstUnixTimeSeconds ?? .nan) - unix(first)) < 1e-3)
    } else {
        #expect(report.firstUnixTimeSeconds == nil)
    }
    if let last = expected.lastTime {
        #expect(abs((report.lastUnixTimeSeconds ?? .nan) - unix(last)) < 1e-3)
    }
    #expect(report.perCycle.keys.sorted() == report.cycles)
}

@Test(arguments: permissiveTextFixtures)
func textFixtureMatchesProvenance(_ expected: ProvenanceCounts) throws {
    let report = try InspectReport.inspect(path: FixturePaths.fixture(expected.path), library: FixturePaths.library())
    checkCounts(report, expected)
}

@Test(.enabled(if: FixturePaths.sharedAvailable, "GPL BioLogic fixtures live in ../shared/fixtures/cyclers, which is absent: skipped"), arguments: gplTextFixtures)
func biologicTextFixtureMatchesProvenance(_ expected: ProvenanceCounts) throws {
    let report = try InspectReport.inspect(path: FixturePaths.sharedFixture(expected.path), library: FixturePaths.library())
    checkCounts(report, expected)
}

@Test func maccorMinutesAndDayClockTimesBecomeSeconds() throws {
    let library = try FixturePaths.library()
    // Key/value export: TestTime in minutes, decimal comma, one record per minute.
    let two = try InspectReport.inspect(path: FixturePaths.fixture("maccor_txt/maccor_two.txt"), library: library)
    #expect(two.firstTestTimeSeconds == 0)
    #expect(abs((two.lastTestTimeSeconds ?? 0) - 12780) < 1e-6, "\(String(describing: two.lastTestTimeSeconds))")
    #expect(two.warnings.contains { $0.contains("cut short") })
    // '0d 00:00:10.0000' clock strings; the FRA step freezes test time at 10 s.
    let eis = try InspectReport.inspect(path: FixturePaths.fixture("maccor_txt/maccor_test_file_4267-66-6519.041"), library: library)
    #expect(eis.lastTestTimeSeconds == 10)
    // 'Test (Min)' column.
    let minutes = try InspectReport.inspect(path: FixturePaths.fixture("maccor_txt/maccor_example.001"), library: library)
    #expect(abs((minutes.lastTestTimeSeconds ?? 0) - 1.1667 * 60) < 1e-9)
}

@Test func stepScopedCountersSumEachStepsFinalValue() throws {
    let library = try FixturePaths.library()
    // neware_uio cycle 1: discharge steps 2, 4, 6 end at 0.00468031, 0.00028183, 0.00012414 Ah; charge step 8 at 0.00424934.
    let neware = try InspectReport.inspect(path: FixturePaths.fixture("neware_csv/neware_uio.csv"), library: library)
    let c1 = try #require(neware.perCycle[1])
    #expect(abs(c1.discharge - (0.00468031 + 0.00028183 + 0.00012414)) < 1e-12)
    #expect(abs(c1.charge - 0.00424934) < 1e-12)
    // Maccor fragment: one discharge step, final Amp-hr 0.0236349063 (counter restarts per step).
    let maccor = try InspectReport.inspect(path: FixturePaths.fixture("maccor_txt/PredictionDiagnostics_000151_test.052"), library: library)
    let c37 = try #require(maccor.perCycle[37])
    #expect(c37.charge == 0)
    #expect(abs(c37.discharge - 0.0236349063) < 1e-12)
}

@Test func cycleScopedCountersUseTheRiseWithinTheCycle() throws {
    let report = try InspectReport.inspect(path: FixturePaths.fixture("arbin_csv/arbin_example.csv"), library: FixturePaths.library())
    // Cycle 2 starts with the counters reset, so its figures are the counters' last values there.
    let c2 = try #require(report.perCycle[2])
    #expect(c2.charge > 1.0 && c2.charge < 1.2)
    #expect(c2.discharge > 1.0 && c2.discharge < 1.2)
    // Cycle 1 starts mid-charge at 0.8800053 Ah: only the rise counts.
    let c1 = try #require(report.perCycle[1])
    #expect(c1.charge < 0.3)
}

@Test func novonixCounterIsSummedOverDirectionRuns() throws {
    let report = try InspectReport.inspect(path: FixturePaths.fixture("novonix_csv/sample_data_novonix.csv"), library: FixturePaths.library())
    let c1 = try #require(report.perCycle[1])
    #expect(abs(c1.charge - 1.70652976) < 1e-12)
    #expect(c1.discharge == 0)
    #expect(abs((report.lastTestTimeSeconds ?? 0) - 3.4131889 * 3600) < 1e-6)
}

@Test(.enabled(if: FixturePaths.sharedAvailable, "GPL BioLogic fixtures live in ../shared/fixtures/cyclers, which is absent: skipped"))
func biologicHalfCycleCountersAndGermanLocale() throws {
    let library = try FixturePaths.library()
    let report = try InspectReport.inspect(path: FixturePaths.sharedFixture("biologic_mpt/gcpl.issue_149.mpt"), library: library)
    // Its last line lacks the trailing tab of the others: not a cut record.
    #expect(report.warnings.isEmpty)
    // 10 s at 0.03 mA per half cycle: 8.33e-5 mAh each way, in every cycle.
    for cycle in 0...3 {
        let c = try #require(report.perCycle[cycle])
        #expect(abs(c.charge - 8.335e-8) < 5e-11)
        #expect(abs(c.discharge - 8.332e-8) < 5e-11)
    }
    let german = try InspectReport.inspect(path: FixturePaths.sharedFixture("biologic_mpt/mb.issue_95.de.mpt"), library: library)
    #expect(german.lastTestTimeSeconds.map { abs($0 - 30.0002) < 1e-3 } == true)
}
