import CellModel
import CellSimulator
import CyclerReaders
import Foundation
import Testing
@testable import CellDetection

/// Per-cycle capacity as `inspect` reports it (the instrument's counters,
/// `InstrumentCycleCapacityTally`) and as the detector's cycle summaries count it (coulombs in the
/// samples): the same cycles, agreement within 1 % on well-logged files, and each designed
/// difference pinned on a file that shows it.
@Suite struct CycleCapacityAgreementTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/Core/CyclerReadersTests/Fixtures")
    static let shared = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/cyclers")

    static func library() throws -> ProfileLibrary {
        try ProfileLibrary.load(searchPath: [repositoryRoot.appendingPathComponent("agents/profiles").path])
    }

    typealias PerCycle = [Int: (charge: Double, discharge: Double)]

    /// The detector's cycle summaries of a whole file, summed per cycle.
    static func detectorPerCycle(_ path: String, library: ProfileLibrary) throws -> PerCycle {
        var reader = try CyclerFile.open(path: path, library: library)
        var columns = SampleColumns()
        while let record = try reader.next() { columns.append(record.sample) }
        return detectorPerCycle(columns)
    }

    static func detectorPerCycle(_ columns: SampleColumns) -> PerCycle {
        let cell = CellMetadata(cellID: "c", cellType: CellTypeInference.infer(from: columns).cellType, electrodeAreaSquareMeters: 0.785e-4)
        var detector = CellDetector(cell: cell)
        detector.collectsSummaries = true
        _ = detector.ingest(columns)
        _ = detector.finish()
        var perCycle: PerCycle = [:]
        for summary in detector.drainSummaries().cycles {
            var entry = perCycle[summary.cycle] ?? (0, 0)
            entry.charge += summary.chargeCapacityAmpHours
            entry.discharge += summary.dischargeCapacityAmpHours
            perCycle[summary.cycle] = entry
        }
        return perCycle
    }

    static func allFixtures() -> [String] {
        var files: [String] = []
        for root in [fixtures, shared] where FileManager.default.fileExists(atPath: root.path) {
            let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
            while let url = walker?.nextObject() as? URL {
                if !url.hasDirectoryPath { files.append(url.path) }
            }
        }
        return files.sorted()
    }

    @Test func bothCountInTheInstrumentsCycles() throws {
        let library = try Self.library()
        var compared = 0
        for path in Self.allFixtures() {
            guard let report = try? InspectReport.inspect(path: path, library: library) else { continue }
            let ours = try Self.detectorPerCycle(path, library: library)
            #expect(Set(ours.keys) == Set(report.perCycle.keys), "\(path)")
            compared += 1
        }
        #expect(compared >= 20)
    }

    /// Real instruments' files logged densely: within 1 % for every cycle and direction.
    @Test(arguments: [
        "neware_csv/neware_uio.csv", "binary/TestFile.nda", "binary/test.ndax", "binary/250116_kigr_gen6_01_02_GCPL_CD8.mpr",
        "binary/arbin_example.res", "arbin_csv/arbin_example.csv", "binary/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx",
        "novonix_csv/sample_data_novonix.csv",
    ])
    func wellLoggedFilesAgreeWithinOnePercent(file: String) throws {
        let library = try Self.library()
        let path = Self.fixtures.appendingPathComponent(file).path
        let instrument = try InspectReport.inspect(path: path, library: library).perCycle
        let ours = try Self.detectorPerCycle(path, library: library)
        for (cycle, counted) in instrument {
            let detected = try #require(ours[cycle])
            for (a, b, what) in [(counted.charge, detected.charge, "charge"), (counted.discharge, detected.discharge, "discharge")] where a > 1e-6 {
                #expect(abs(a - b) / a <= 0.01, "\(file) cycle \(cycle) \(what): instrument \(a * 1000) mAh, detector \(b * 1000) mAh")
            }
        }
    }

    /// BaSyTec logs its counter at the end of each interval: a step of 8 records at 1 A, 30 s
    /// apart, is 8 intervals to the instrument and 7 between records to the detector.
    @Test func theDetectorDoesNotCountTheIntervalBeforeAStepsFirstRecord() throws {
        let path = Self.fixtures.appendingPathComponent("synthetic/basytec_synthetic.txt").path
        let library = try Self.library()
        let instrument = try InspectReport.inspect(path: path, library: library).perCycle
        let ours = try Self.detectorPerCycle(path, library: library)
        #expect(instrument.count == 3)
        for (cycle, counted) in instrument {
            #expect(abs(counted.charge - 0.066666667) < 1e-9 && abs(counted.discharge - 0.066666667) < 1e-9)
            #expect(abs(ours[cycle]!.charge - counted.charge * 7 / 8) < 1e-7, "cycle \(cycle)")
            #expect(abs(ours[cycle]!.discharge - counted.discharge * 7 / 8) < 1e-7, "cycle \(cycle)")
        }
    }

    /// A Maccor export that begins 14.25 s into a discharge step whose counter already reads
    /// 19.16 mAh: the instrument's figure includes it, the samples cannot.
    @Test func anExportStartingMidStepCarriesTheInstrumentsEarlierCount() throws {
        let path = Self.fixtures.appendingPathComponent("maccor_txt/PredictionDiagnostics_000151_test.052").path
        let library = try Self.library()
        let instrument = try #require(try InspectReport.inspect(path: path, library: library).perCycle[37])
        let ours = try #require(try Self.detectorPerCycle(path, library: library)[37])
        var reader = try CyclerFile.open(path: path, library: library)
        let firstCounter = try #require(try reader.next()?.capacityCounterAmpHours)
        #expect(abs(firstCounter - 0.0191579754) < 1e-9)
        #expect(abs((instrument.discharge - ours.discharge) - firstCounter) / firstCounter < 0.01)
    }

    /// The simulator's tally reads its simulated instrument's step counters like `inspect`: the
    /// detector is lower by about one logging interval per step, well under 1 %.
    @Test func simulatedCountersAndTheDetectorAgree() throws {
        let preset = try #require(ScenarioCatalog.preset(named: "9"))
        let samples = Array(CellSimulation(preset: preset, seed: 1, durationSeconds: 200 * 3600))
        let tally = CycleCapacityTally(samples).cycles
        let ours = Self.detectorPerCycle(SampleColumns(samples))
        #expect(tally.count >= 5)
        for cycle in tally.dropLast() {
            let detected = try #require(ours[cycle.cycleIndex])
            #expect(detected.discharge <= cycle.dischargeAmpHours)
            #expect(abs(cycle.dischargeAmpHours - detected.discharge) / cycle.dischargeAmpHours < 0.01, "cycle \(cycle.cycleIndex)")
            #expect(abs(cycle.chargeAmpHours - detected.charge) / cycle.chargeAmpHours < 0.01, "cycle \(cycle.cycleIndex)")
        }
    }
}
