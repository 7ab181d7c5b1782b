import CellModel
import CellSimulator
import Foundation
import Testing
import CellDetection

/// The false alarms a first calibration hit (docs/detectors.md §9), each as a test.
@Suite struct RegressionCaseTests {
    private func preset(_ name: String) throws -> ScenarioPreset {
        try #require(ScenarioCatalog.preset(named: name))
    }

    /// §9.1: dips must be judged against the local level, or the decaying nucleation spike of a
    /// strongly polarizing bare-Li cell (η ≈ 1 V at 143 h) looks like a soft short.
    /// §9.2: noise must be the second difference with a 2 %-of-η floor, or a growing η (168 h)
    /// looks noisy.
    @Test func bareLithiumBlowUpIsNotASoftShort() throws {
        let outcome = ScenarioHarness.run(try preset("4"), seed: 11, durationSeconds: 200 * 3600)
        #expect(outcome.alerts.first(.P2) != nil)
        #expect(outcome.alerts.filter { [.S1, .S2, .S3, .H1].contains($0.rule) }.isEmpty, "\(outcome.alerts)")
    }

    /// §9.3: a fixed −5 mV negative-step threshold fired on the healthy σ = 2 mV full cell; the
    /// threshold is 6 × the cell's own charge noise and at least 10 mV.
    @Test func noisyHealthyFullCellHasNoNegativeStepAlarm() throws {
        let healthy = try preset("9")
        let outcome = ScenarioHarness.run(healthy, seed: 5, durationSeconds: 40 * 24 * 3600)
        #expect(outcome.cycleStartSeconds.count >= 25)
        #expect(outcome.alerts.first(.S4) == nil)
        #expect(outcome.alerts.warnOrFail.filter { $0.rule != .R1 }.isEmpty, "\(outcome.alerts)")
    }

    /// §9.4: a rest-slope ratio test missed the micro-short (leak plus exponential relaxation);
    /// the cell's own rest baseline catches it at the end of the first leaky post-charge rest.
    @Test func microShortIsCaughtAgainstTheCellsOwnRestBaseline() throws {
        let microShort = try preset("12")
        let outcome = ScenarioHarness.run(microShort, seed: 4)
        let s7 = try #require(outcome.alerts.first(.S7))
        #expect(s7.cycle == 20)
        let late = try #require(s7.evidence["late_slope_mv_per_hour"])
        let early = try #require(s7.evidence["early_slope_mv_per_hour"])
        // The shape that defeated a ratio test: the late slope is still a good part of the early one.
        #expect(late / early > 0.5 && late / early < 1)
        #expect(ScenarioHarness.judge(microShort, outcome).isEmpty)
    }

    /// §9.5: the decline reference must be the mature plateau (running peak of a slow EWMA,
    /// ≈ 200 mV), not the conditioning-era reference (≈ 156 mV), or #7 is caught 16 h late.
    @Test func declineIsJudgedAgainstTheMaturePlateau() throws {
        let declining = try preset("7")
        let outcome = ScenarioHarness.run(declining, seed: 3)
        let s3 = try #require(outcome.alerts.first(.S3))
        #expect(try #require(s3.evidence["peak_volts"]) > 0.19)
        #expect(s3.testTimeSeconds < 580 * 3600)
        #expect(ScenarioHarness.judge(declining, outcome).isEmpty)
    }
}
