import CellModel
import Foundation
import Testing
import CellDetection

/// A coordinator restart must not lose a cell's baselines: restoring the encoded state in the
/// middle of a stream gives exactly the alerts of an uninterrupted run.
@Suite struct StatePersistenceTests {
    static func bareCell() -> [Sample] {
        var generator = SymmetricCellGenerator()
        generator.durationHours = 130
        generator.areaSpecificResistance = { t in 1000 * exp(t / 60) }
        return generator.samples()
    }

    static func leakyFullCell() -> [Sample] {
        var generator = FullCellGenerator()
        generator.cycles = 11
        generator.shortOhms = { cycle, _, _ in cycle >= 9 ? 300_000 : nil }
        return generator.samples()
    }

    private func uninterrupted(_ samples: [Sample], cell: CellMetadata) -> [Alert] {
        var detector = CellDetector(cell: cell, voltageClampVolts: 5)
        var alerts: [Alert] = []
        for sample in samples { detector.ingest(sample, into: &alerts) }
        detector.finish(into: &alerts)
        return alerts
    }

    @Test(arguments: [0.13, 0.5, 0.77])
    func restoringMidStreamGivesTheSameAlerts(fraction: Double) throws {
        for (samples, cell) in [(Self.bareCell(), Detection.symmetricCell), (Self.leakyFullCell(), Detection.fullCell)] {
            let expected = uninterrupted(samples, cell: cell)
            #expect(!expected.warnOrFail.isEmpty)
            let split = Int(Double(samples.count) * fraction)
            var before = CellDetector(cell: cell, voltageClampVolts: 5)
            var alerts: [Alert] = []
            for sample in samples[..<split] { before.ingest(sample, into: &alerts) }
            let saved = try before.encodedState()
            var after = try CellDetector(restoringState: saved)
            for sample in samples[split...] { after.ingest(sample, into: &alerts) }
            after.finish(into: &alerts)
            #expect(alerts == expected)
        }
    }

    @Test func columnarBatchesGiveTheSameAlertsAsSingleSamples() {
        for (samples, cell) in [(Self.bareCell(), Detection.symmetricCell), (Self.leakyFullCell(), Detection.fullCell)] {
            let expected = uninterrupted(samples, cell: cell)
            var detector = CellDetector(cell: cell, voltageClampVolts: 5)
            var alerts: [Alert] = []
            var start = 0
            var size = 1
            while start < samples.count {
                let end = min(samples.count, start + size)
                detector.ingest(SampleColumns(samples[start..<end]), into: &alerts)
                start = end
                size = size * 3 + 1
            }
            detector.finish(into: &alerts)
            #expect(alerts == expected)
        }
    }

    @Test func stateSizeDoesNotGrowWithTestLength() throws {
        let samples = Self.bareCell()
        var detector = CellDetector(cell: Detection.symmetricCell, voltageClampVolts: 5)
        for sample in samples.prefix(3000) { _ = detector.ingest(sample) }
        let early = try detector.encodedState().count
        for sample in samples.dropFirst(3000) { _ = detector.ingest(sample) }
        let late = try detector.encodedState().count
        #expect(Double(late) < Double(early) * 1.2)
    }
}
