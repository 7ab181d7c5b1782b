import CellModel
import Foundation
import Testing
import CellDetection

/// Clauses the reference calibration did not exercise (docs/detectors.md §10): P4's early step termination
/// and H2's sudden-drop clause, each with its near-miss.
@Suite struct UncalibratedClauseTests {
    /// A symmetric cell cycled with capacity-limited 1-h half-cycles whose cycler ends a step
    /// early when |V| reaches `cutoffVolts`; η grows linearly from 0.2 V to 5.4 V over 60 h.
    private func capacityLimited(cutoffVolts: Double, hours: Double = 60) -> [Sample] {
        var samples: [Sample] = []
        var time = 0.0
        var sign = 1.0
        let current = 78.5e-6
        while time < hours * 3600 {
            var tau = 0.0
            while tau < 3600 {
                let eta = 0.2 + 5.2 * time / (60 * 3600)
                let voltage = min(eta * (1 + 0.05 * pow(tau / 3600, 4)), 5)
                samples.append(Sample(testTimeSeconds: time, voltageVolts: sign * voltage, currentAmperes: sign * current))
                time += 60
                tau += 60
                if voltage >= cutoffVolts { break }
            }
            sign = -sign
        }
        return samples
    }

    @Test func aStepCutShortByTheVoltageLimitFails() throws {
        let alerts = Detection.run(capacityLimited(cutoffVolts: 4.6), cell: Detection.symmetricCell, clamp: 5)
        let p4 = try #require(alerts.first(.P4))
        #expect(p4.evidence["planned_capacity_amp_hours"] != nil)
        #expect(try #require(p4.evidence["step_capacity_amp_hours"]) < 0.98 * 78.5e-6)
    }

    @Test func aShortStepFarFromTheLimitIsNotAClamp() {
        // The same cycling with the limit at 3.5 V, stopped at 45 h (η ≈ 4.1 V): steps are cut
        // short at a voltage below 0.9 × the 5 V clamp, so neither P4 clause applies.
        let alerts = Detection.run(capacityLimited(cutoffVolts: 3.5, hours: 45), cell: Detection.symmetricCell, clamp: 5)
        #expect(alerts.first(.P4) == nil)
    }

    private func restWithDrop(recoverAfterSeconds: Double?) -> [Sample] {
        var samples: [Sample] = []
        for index in 0..<200 {
            let time = Double(index) * 10
            var voltage = 4.05
            if time >= 1000, recoverAfterSeconds.map({ time < 1000 + $0 }) ?? true { voltage = 3.4 }
            samples.append(Sample(testTimeSeconds: time, voltageVolts: voltage, currentAmperes: index < 20 ? 9.1e-5 : 0))
        }
        return samples
    }

    @Test func aSuddenDropThatDoesNotRecoverIsAHardShort() throws {
        let alerts = Detection.run(restWithDrop(recoverAfterSeconds: nil), cell: Detection.fullCell, clamp: nil)
        let h2 = try #require(alerts.first(.H2))
        #expect(h2.testTimeSeconds >= 1060 && h2.testTimeSeconds <= 1080)
        #expect(h2.evidence["voltage_before_drop_volts"] == 4.05)
    }

    @Test func aDropThatRecoversWithinAMinuteIsNot() {
        let alerts = Detection.run(restWithDrop(recoverAfterSeconds: 40), cell: Detection.fullCell, clamp: nil)
        #expect(alerts.first(.H2) == nil)
    }
}
