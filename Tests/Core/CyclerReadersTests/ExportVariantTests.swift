import CyclerReaders
import Foundation
import Testing

/// The variants labs export that `inspect` refused (issue 11): a Maccor tab-separated export with
/// a metadata block above unit-less names, with and without `Rec#`, and a Neware BTSDA layered
/// export in Ah with `Total Time`. Written by `Fixtures/synthetic/make_variants.py`, whose
/// expectations it computed independently of the reader.
struct VariantExpectation: Decodable {
    struct Record: Decodable {
        var index: Int
        var test_time_s: Double
        var voltage_V: Double
        var current_A: Double
    }
    var format: String?
    var rows: Int
    var cycles: [Int]
    var per_cycle: [String: [Double]]
    var first_test_time_s: Double
    var last_test_time_s: Double
    var first_unix_time_s: Double?
    var voltage_min_V: Double
    var voltage_max_V: Double
    var records: [Record]

    static func load(_ fixture: String) throws -> VariantExpectation {
        let path = FixturePaths.fixture(fixture.replacingOccurrences(of: ".csv", with: ".expected.json").replacingOccurrences(of: ".txt", with: ".expected.json"))
        return try JSONDecoder().decode(VariantExpectation.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// Reads `path` as `inspect` does and compares with the generator: counts, per-cycle capacities,
/// and sampled records in SI units with positive current = charge.
func expectReads(_ path: String, as expected: VariantExpectation, format: String? = nil, library: ProfileLibrary? = nil) throws {
    let library = try library ?? FixturePaths.library()
    let report = try InspectReport.inspect(path: path, library: library)
    if let format = format ?? expected.format { #expect(report.format == format) }
    #expect(report.rows == expected.rows)
    #expect(report.cycles == expected.cycles)
    #expect(report.firstTestTimeSeconds == expected.first_test_time_s)
    #expect(report.lastTestTimeSeconds == expected.last_test_time_s)
    #expect(report.firstUnixTimeSeconds == expected.first_unix_time_s)
    #expect(report.voltageMinVolts == expected.voltage_min_V)
    #expect(report.voltageMaxVolts == expected.voltage_max_V)
    try expectPerCycle(report, expected.per_cycle)
    var reader = try CyclerFile.open(path: path, library: library)
    var records: [CyclerRecord] = []
    while let r = try reader.next() { records.append(r) }
    for want in expected.records {
        let got = records[want.index].sample
        #expect(got.testTimeSeconds == want.test_time_s, "record \(want.index) time")
        #expect(got.voltageVolts == want.voltage_V, "record \(want.index) voltage")
        #expect(abs(got.currentAmperes - want.current_A) < 1e-12, "record \(want.index) current \(got.currentAmperes), expected \(want.current_A)")
    }
}

/// The report's per-cycle charge and discharge (Ah) against a generator's `per_cycle`.
func expectPerCycle(_ report: InspectReport, _ expected: [String: [Double]]) throws {
    for (cycle, values) in expected {
        let got = try #require(report.perCycle[Int(cycle)!])
        #expect(abs(got.charge - values[0]) < 1e-9, "cycle \(cycle) charge")
        #expect(abs(got.discharge - values[1]) < 1e-9, "cycle \(cycle) discharge")
    }
}

@Test(arguments: ["synthetic/maccor_metadata_tab.txt", "synthetic/maccor_metadata_no_rec.txt", "synthetic/neware_btsda_layered_ah.csv"])
func heldBackVariantIsReadByItsVendorProfile(_ fixture: String) throws {
    let expected = try VariantExpectation.load(fixture)
    try expectReads(FixturePaths.fixture(fixture), as: expected)
    // Read by the profile, not by inference.
    let reader = try CyclerFile.open(path: FixturePaths.fixture(fixture), library: FixturePaths.library())
    #expect(reader.inference == nil)
}

@Test func maccorMetadataBlockBecomesHeaderFacts() throws {
    let reader = try CyclerFile.open(path: FixturePaths.fixture("synthetic/maccor_metadata_tab.txt"), library: FixturePaths.library())
    #expect(reader.metadata["Procedure"] == "cycle_1C_2x.000")
    #expect(reader.metadata["Date of Test"] == "03/11/2024 09:12:05 AM")
}

@Test func maccorMagnitudesTakeTheirSignFromMD() throws {
    var reader = try CyclerFile.open(path: FixturePaths.fixture("synthetic/maccor_metadata_no_rec.txt"), library: FixturePaths.library())
    var byState: [String: Set<Double>] = [:]
    while let r = try reader.next() { byState[r.stateLabel ?? "?", default: []].insert(r.sample.currentAmperes) }
    // The file writes 1.5 on both; MD says C or D.
    #expect(byState["C"] == [1.5])
    #expect(byState["D"] == [-1.5])
    #expect(byState["R"] == [0])
}

@Test func layeredExportTakesCountersFromTheRecordsNotTheCycleTotals() throws {
    // The cycle rows' `Chg. Cap.(Ah)` is the cycle's total: a record's charge counter must not be it.
    var reader = try CyclerFile.open(path: FixturePaths.fixture("synthetic/neware_btsda_layered_ah.csv"), library: FixturePaths.library())
    var first: CyclerRecord? = nil
    while let r = try reader.next() { if first == nil { first = r } }
    let record = try #require(first)
    #expect(record.chargeCounterAmpHours == nil)
    #expect(record.capacityCounterAmpHours == 0)
    #expect(record.instrumentCycle == 1)
    #expect(record.stepNumber == 1)
}

@Test func layeredExportSavedAgainWithQuotesOrSemicolonsReadsTheSame() throws {
    let fixture = "synthetic/neware_btsda_layered_ah.csv"
    let expected = try VariantExpectation.load(fixture)
    let original = try String(contentsOfFile: FixturePaths.fixture(fixture), encoding: .utf8)
    let lines = original.split(separator: "\n").map(String.init)
    let quoted = lines.map { line in line.split(separator: ",", omittingEmptySubsequences: false).map { "\"\($0)\"" }.joined(separator: ",") }
    try expectReads(try FixturePaths.temporaryFile("quoted_layered.csv", text: quoted.joined(separator: "\n") + "\n"), as: expected)
    let semicolons = lines.map { $0.replacingOccurrences(of: ",", with: ";") }
    try expectReads(try FixturePaths.temporaryFile("semicolon_layered.csv", text: semicolons.joined(separator: "\n") + "\n"), as: expected)
}

@Test func newerNewareRecordLayerWithDataPointIsRecognised() throws {
    let fixture = "synthetic/neware_btsda_layered_ah.csv"
    let expected = try VariantExpectation.load(fixture)
    let text = try String(contentsOfFile: FixturePaths.fixture(fixture), encoding: .utf8).replacingOccurrences(of: ",,Record ID,", with: ",,DataPoint,")
    try expectReads(try FixturePaths.temporaryFile("datapoint_layered.csv", text: text), as: expected)
}

@Test func aLayeredExportNoProfileKnowsIsReadThroughInference() throws {
    // The BTSDA variant with no profile at all: the layers are found from their leading empty fields,
    // records take Cycle ID / Step ID / Step Type from their parents and never the parents' totals.
    let fixture = "synthetic/neware_btsda_layered_ah.csv"
    let expected = try VariantExpectation.load(fixture)
    let empty = ProfileLibrary(profiles: [])
    try expectReads(FixturePaths.fixture(fixture), as: expected, format: "draft_neware_btsda_layered_ah", library: empty)
    let reader = try CyclerFile.open(path: FixturePaths.fixture(fixture), library: empty)
    let inference = try #require(reader.inference)
    #expect(inference.assignments[.capacity]?.column == "Capacity(Ah)")
    #expect(inference.assignments[.chargeCapacity] == nil)  // the cycle rows' `Chg. Cap.(Ah)` is a total
    #expect(inference.assignments[.cycle]?.column == "Cycle ID")
    #expect(inference.assignments[.state]?.column == "Step Type")
    #expect(reader.profile.text?.layered == true)
    #expect(reader.profile.detect?.headerColumns == [["Total Time", "Realtime", "Voltage(V)", "Current(A)"]])
}
