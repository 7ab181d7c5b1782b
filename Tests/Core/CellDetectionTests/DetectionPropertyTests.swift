import CellModel
import Foundation
import PropertyBased
import Testing
@testable import CellDetection

/// Properties of the real-data machinery over generated input: what no data may make it do.
@Suite struct DetectionPropertyTests {
    /// A cell whose voltage never goes negative is never taken for a symmetric cell, whatever its
    /// level, its currents and their order.
    @Test func neverSymmetricWithoutNegativeVoltage() async {
        await propertyCheck(count: 300, input: zip(Gen.double(in: 0 ... 5), Gen.double(in: -2e-3 ... 2e-3)).array(of: 1 ... 400)) { points in
            var inference = CellTypeInference()
            for (voltage, current) in points { inference.observe(voltageVolts: voltage, currentAmperes: current) }
            let guess = inference.guess
            #expect(guess.cellType != .symmetric)
            #expect(guess.confidence >= 0 && guess.confidence <= 1)
        }
    }

    /// Any stream of samples with gaps, restarts, repeated and non-finite times gives at most one
    /// open Q1 episode per kind, and the counts of the episodes `detect` prints add up to every
    /// occurrence: the episode events opened and closed pair up exactly.
    @Test func dataQualityEpisodesPairUpAndBoundTheAlerts() async {
        // step: 0 = next minute, 1 = repeat the time, 2 = a 2 h gap, 3 = back 10 min, 4 = NaN voltage
        await propertyCheck(count: 200, input: zip(Gen.int(in: 0 ... 4), Gen.bool).array(of: 1 ... 300)) { steps in
            Self.checkDataQualityEpisodes(steps)
        }
    }

    /// The input the property once shrank to: a backwards jump just after a quiet day of 2 h gaps
    /// opens a new episode at a time earlier than a day after the last one ended.
    @Test func aBackwardsJumpJustAfterAQuietDayOpensANewEpisode() {
        let steps = [(0, false), (3, false)] + Array(repeating: (2, false), count: 11) + [(2, true), (0, false), (3, false)]
        Self.checkDataQualityEpisodes(steps)
    }

    static func checkDataQualityEpisodes(_ steps: [(Int, Bool)]) {
        var samples: [Sample] = []
        var time = 0.0
        for (step, charging) in steps {
            var voltage = 3.7
            switch step {
            case 1: break
            case 2: time += 7200
            case 3: time -= 600
            case 4: voltage = .nan
            default: time += 60
            }
            samples.append(Sample(testTimeSeconds: time, voltageVolts: voltage, currentAmperes: charging ? 1e-3 : -1e-3))
        }
        var detector = CellDetector(cell: Detection.fullCell)
        detector.collectsEpisodes = true
        var alerts: [Alert] = []
        for sample in samples { detector.ingest(sample, into: &alerts) }
        detector.finish(into: &alerts)
        let notes = alerts.filter { $0.rule == .Q1 }
        let episodes = detector.drainEpisodes().filter { $0.rule == .Q1 }
        let opened = episodes.filter { $0.phase == .opened }
        let closed = episodes.filter { $0.phase == .closed }
        #expect(opened.count == notes.count)
        #expect(closed.count == opened.count, "every episode ends by finish()")
        for episode in closed {
            #expect(opened.contains { $0.kind == episode.kind && $0.startTestTimeSeconds == episode.startTestTimeSeconds })
            #expect(episode.count >= 1)
        }
        // At most one open episode per kind: the next one opens only after a quiet day of the
        // stream's clock. A backwards note sits at the time after the jump (600 s back here),
        // so the clock had reached its start + 600 s when it opened.
        let quiet = DetectorThresholds.defaults.q1EpisodeQuietSeconds
        for kind in Set(closed.compactMap(\.kind)) {
            let ofKind = closed.filter { $0.kind == kind }
            let jump = kind == DataQualityKind.timeBackwards.rawValue ? 600.0 : 0
            for (earlier, later) in zip(ofKind, ofKind.dropFirst()) {
                #expect(later.startTestTimeSeconds + jump - earlier.lastTestTimeSeconds >= quiet, "\(kind)")
            }
        }
        let backwards = closed.filter { $0.kind == DataQualityKind.timeBackwards.rawValue }.map(\.count).reduce(0, +)
        // Against the last sample the detector accepted (a NaN sample is ignored).
        var expected = 0
        var lastAccepted = -Double.infinity
        for sample in samples where sample.voltageVolts.isFinite {
            if sample.testTimeSeconds < lastAccepted { expected += 1 }
            lastAccepted = sample.testTimeSeconds
        }
        #expect(backwards == expected, "every restart counted once")
    }
}
