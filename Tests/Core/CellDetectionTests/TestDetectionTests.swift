import CellModel
import CellSimulator
import Foundation
import Testing
@testable import CellDetection

/// Live detection of one test (`TestDetection`): the same verdicts as `detect` on the same
/// samples, keys that a replay reproduces, checkpoints another coordinator continues from.
@Suite struct TestDetectionTests {
    /// Runs a test through `TestDetection`, serving each requested replay from `samples`, and
    /// optionally checkpointing and restoring at `restartAt`.
    static func run(_ samples: [Sample], cell: CellMetadata, typeKnown: Bool, restartAt: Int? = nil) throws -> [DetectionDecision] {
        var detection = TestDetection(cell: cell, cellTypeKnown: typeKnown, voltageClampVolts: 5)
        var decisions: [DetectionDecision] = []
        func serveReplays(from start: Int) {
            var index = start
            while index < decisions.count {
                if case .replay(let from, let through) = decisions[index] {
                    for sequence in from...through { detection.ingest(samples[Int(sequence)], sequence: sequence, into: &decisions) }
                }
                index += 1
            }
        }
        for (index, sample) in samples.enumerated() {
            let before = decisions.count
            detection.ingest(sample, sequence: Int64(index), into: &decisions)
            serveReplays(from: before)
            if index == restartAt { detection = try TestDetection(checkpoint: detection.checkpoint()) }
        }
        let before = decisions.count
        detection.finish(into: &decisions)
        serveReplays(from: before)
        detection.finish(into: &decisions)
        return decisions
    }

    static func alerts(_ decisions: [DetectionDecision]) -> [Alert] {
        decisions.compactMap { if case .raise(let alert, _) = $0 { alert } else { nil } }
    }

    static func signature(_ alerts: [Alert]) -> [String] {
        alerts.map { "\($0.rule.rawValue) \($0.severity.rawValue) \($0.testTimeSeconds) c\($0.cycle)" }
    }

    @Test(arguments: ["4", "9", "8"])
    func liveDetectionWithoutACellTypeGivesDetectsVerdict(scenario: String) throws {
        let preset = try #require(ScenarioCatalog.preset(named: scenario))
        let samples = Array(CellSimulation(preset: preset, seed: 3).prefix(60_000))
        let options = DetectionOptions()
        let offline = DetectionRun.detect(SampleColumns(samples), cellID: "t", options: options)
        let cell = options.metadata(cellID: "t", inferredType: .full)
        let decisions = try Self.run(samples, cell: cell, typeKnown: false)
        #expect(Self.signature(Self.alerts(decisions)) == Self.signature(offline))
        #expect(decisions.contains { if case .replay(0, _) = $0 { true } else { false } }, "asked for the samples seen while inferring")
    }

    /// A half cell given without its working electrode: live and offline both take the electrode
    /// from the inference (an anode here) and agree.
    @Test func aHalfCellWithoutItsElectrodeIsJudgedAsDetectJudgesIt() throws {
        let samples = AnodeHalfCellGenerator(cycles: 12, shortFromCycle: 8).samples()
        var options = DetectionOptions()
        options.cellType = .half
        let offline = DetectionRun.run(SampleColumns(samples), cellID: "gr", options: options)
        #expect(offline.cell.workingElectrode == .anode)
        let decisions = try Self.run(samples, cell: options.metadata(cellID: "gr", inferredType: .half), typeKnown: true)
        #expect(Self.signature(Self.alerts(decisions)) == Self.signature(offline.alerts))
        #expect(Self.alerts(decisions).contains { $0.rule == .H2 })
    }

    @Test func aCheckpointMidStreamGivesTheSameDecisions() throws {
        let preset = try #require(ScenarioCatalog.preset(named: "4"))
        let samples = Array(CellSimulation(preset: preset, seed: 3).prefix(40_000))
        let cell = DetectionOptions().metadata(cellID: "t", inferredType: .symmetric)
        let straight = try Self.run(samples, cell: cell, typeKnown: true)
        let restarted = try Self.run(samples, cell: cell, typeKnown: true, restartAt: 17_321)
        #expect(straight == restarted)
        #expect(!Self.alerts(straight).isEmpty)
        #expect(straight.contains { if case .cycleCompleted = $0 { true } else { false } })
    }

    @Test func keysAreUniqueAndARepeatedSampleIsIgnored() throws {
        let preset = try #require(ScenarioCatalog.preset(named: "8"))
        let samples = Array(CellSimulation(preset: preset, seed: 2).prefix(30_000))
        let cell = DetectionOptions().metadata(cellID: "t", inferredType: .symmetric)
        var detection = TestDetection(cell: cell, cellTypeKnown: true, voltageClampVolts: 5)
        var decisions: [DetectionDecision] = []
        for (index, sample) in samples.enumerated() {
            detection.ingest(sample, sequence: Int64(index), into: &decisions)
            // A delivery re-sent after a lost acknowledgement: the core ignores it.
            if index % 7 == 0 { detection.ingest(sample, sequence: Int64(index), into: &decisions) }
        }
        detection.finish(into: &decisions)
        let keys = decisions.compactMap { if case .raise(_, let key) = $0 { key } else { nil } }
        #expect(!keys.isEmpty)
        #expect(Set(keys).count == keys.count)
        #expect(detection.coveredSequence == Int64(samples.count - 1))
        let once = try Self.run(samples, cell: cell, typeKnown: true)
        #expect(Self.signature(Self.alerts(decisions)) == Self.signature(Self.alerts(once)))
    }

    @Test func aCheckpointOfAnotherVersionIsRefusedWithAClearError() throws {
        var data = try TestDetection(cell: DetectionOptions().metadata(cellID: "t", inferredType: .full), cellTypeKnown: true).checkpoint()
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["version"] = 99
        data = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: TestDetection.CheckpointError.unsupportedVersion(99)) { try TestDetection(checkpoint: data) }
    }
}
