import CellModel
import Foundation
import Testing
import CellDetection

/// Each rule fires on its signature and stays quiet on the near-miss (synthetic cells, docs/detectors.md §7 models).
@Suite struct PolarizationRuleTests {
    @Test func exponentialGrowthWarnsThenFailsAtTheSpecifiedRatios() throws {
        var cell = SymmetricCellGenerator()
        cell.durationHours = 240
        cell.areaSpecificResistance = { t in 1000 * exp(t / 60) }
        let alerts = Detection.run(cell.samples(), cell: Detection.symmetricCell)
        let p1 = try #require(alerts.first(.P1))
        let p2 = try #require(alerts.first(.P2))
        #expect(p1.severity == .warn && p2.severity == .fail)
        #expect((45 * 3600.0...60 * 3600).contains(p1.testTimeSeconds))
        #expect((100 * 3600.0...112 * 3600).contains(p2.testTimeSeconds))
        #expect(try #require(p1.evidence["ratio"]) >= 2)
        #expect(try #require(p2.evidence["ratio"]) >= 5)
        let p4 = try #require(alerts.first(.P4))
        #expect((225 * 3600.0...240 * 3600).contains(p4.testTimeSeconds))
        // Once per episode: each rule fires once although its condition holds for 100+ hours.
        #expect(alerts.filter { $0.rule == .P1 }.count == 1)
        #expect(alerts.filter { $0.rule == .P2 }.count == 1)
    }

    @Test func growthBelowTwiceTheReferenceStaysQuiet() {
        var cell = SymmetricCellGenerator()
        cell.durationHours = 120
        // 1.8× over the run: near the P1 ratio, never at it.
        cell.areaSpecificResistance = { t in 2000 * (1 + 0.8 * t / 120) }
        let alerts = Detection.run(cell.samples(), cell: Detection.symmetricCell)
        #expect(alerts.warnOrFail.filter { $0.rule != .R1 }.isEmpty)
    }

    @Test func absoluteAreaSpecificResistanceFailsAfterTwoHalfCycles() throws {
        var high = SymmetricCellGenerator()
        high.durationHours = 6
        high.areaSpecificResistance = { _ in 12_000 }
        let p3 = try #require(Detection.run(high.samples(), cell: Detection.symmetricCell).first(.P3))
        #expect(p3.testTimeSeconds < 2.1 * 3600)
        #expect(try #require(p3.evidence["area_specific_resistance_ohm_cm2"]) > 10_000)

        var below = high
        below.areaSpecificResistance = { _ in 8_000 }
        #expect(Detection.run(below.samples(), cell: Detection.symmetricCell).first(.P3) == nil)
    }

    @Test func currentStepsOpenNewBucketsInsteadOfRaisingPolarization() {
        // The seed rate test: η from 43 to 2134 mV only because the current rises.
        var cell = SymmetricCellGenerator()
        cell.intervalSeconds = 10
        cell.durationHours = 50
        let densities = [0.1, 0.25, 0.5, 1.0, 0.1]
        cell.currentDensity = { densities[min($0 / 10, 4)] }
        var samples = cell.samples()
        for index in samples.indices {
            let j = abs(samples[index].currentAmperes) / 0.785 * 1000
            samples[index].voltageVolts *= 413 * (1 + pow(j / 0.49, 2)) / 2000
        }
        let alerts = Detection.run(samples, cell: Detection.symmetricCell)
        #expect(alerts.warnOrFail.filter { $0.rule != .R1 }.isEmpty, "\(alerts)")
    }

    @Test func clampNearMissDoesNotFail() {
        var cell = SymmetricCellGenerator()
        cell.durationHours = 10
        cell.areaSpecificResistance = { _ in 40_000 }  // 4.0 V · 1.15 spike ≈ 4.6 V < 0.95 × 5 V
        let alerts = Detection.run(cell.samples(), cell: Detection.symmetricCell)
        #expect(alerts.first(.P4) == nil)
        #expect(alerts.first(.P3) != nil)
    }
}

@Suite struct ShortRuleTests {
    @Test func hardShortFiresWithinThreeDeglitchedSamples() throws {
        var cell = SymmetricCellGenerator()
        cell.intervalSeconds = 10
        cell.durationHours = 22
        let shortHours = 20 + 17.0 / 60
        cell.shortResistance = { $0 >= shortHours ? 5 : nil }
        let alerts = Detection.run(cell.samples(), cell: Detection.symmetricCell)
        let h1 = try #require(alerts.first(.H1))
        #expect(h1.severity == .fail)
        #expect(h1.testTimeSeconds >= shortHours * 3600)
        #expect(h1.testTimeSeconds <= shortHours * 3600 + 40)
        #expect(alerts.warnOrFail.allSatisfy { $0.testTimeSeconds >= shortHours * 3600 })
        #expect(alerts.filter { $0.rule == .H1 }.count == 1)
    }

    @Test func singleSampleDropsAndModestDipsAreNotShorts() {
        var cell = SymmetricCellGenerator()
        cell.intervalSeconds = 10
        cell.durationHours = 20
        // A dip to 15 % of the plateau (30 mV) for 10 minutes: above 0.1·η_ref = 20 mV.
        cell.shortResistance = { t in (15.2...15.366).contains(t) ? 2000 * 0.15 / 0.85 : nil }
        var samples = cell.samples()
        for index in stride(from: 4000, to: samples.count, by: 997) { samples[index].voltageVolts = 0 }  // glitches
        let alerts = Detection.run(samples, cell: Detection.symmetricCell)
        #expect(alerts.first(.H1) == nil)
    }

    @Test func repeatedDropAndRecoverEventsAreASoftShort() throws {
        var cell = SymmetricCellGenerator()
        cell.intervalSeconds = 10
        cell.durationHours = 30
        // Four 5-minute contacts (ASR_eff = 25 % of ASR) inside half-cycle 20.
        let events = [20.2, 20.4, 20.6, 20.8]
        cell.shortResistance = { t in events.contains { (t - $0) >= 0 && (t - $0) < 5.0 / 60 } ? 2000.0 / 3 : nil }
        let alerts = Detection.run(cell.samples(), cell: Detection.symmetricCell)
        let s1 = try #require(alerts.first(.S1))
        #expect(s1.severity == .warn)
        #expect((20.5 * 3600...20.9 * 3600).contains(s1.testTimeSeconds))
        #expect(s1.evidence["events_this_half_cycle"] == 3)
    }

    @Test func dropsBelowThirtyPercentAreNotEvents() {
        var cell = SymmetricCellGenerator()
        cell.intervalSeconds = 10
        cell.durationHours = 30
        // Same four contacts, but only a 20 % dip each.
        let events = [20.2, 20.4, 20.6, 20.8]
        cell.shortResistance = { t in events.contains { (t - $0) >= 0 && (t - $0) < 5.0 / 60 } ? 8000 : nil }
        let alerts = Detection.run(cell.samples(), cell: Detection.symmetricCell)
        #expect(alerts.first(.S1) == nil)
        #expect(alerts.warnOrFail.filter { $0.rule != .R1 }.isEmpty)
    }

    @Test func plateauNoiseFarAboveTheCellsOwnIsASoftShort() throws {
        let samples = noisySamples(multiplier: 12)
        let alerts = Detection.run(samples, cell: Detection.symmetricCell)
        let s2 = try #require(alerts.first(.S2))
        #expect(s2.testTimeSeconds > 20 * 3600 && s2.testTimeSeconds < 23 * 3600)
    }

    @Test func noiseThreeTimesTheReferenceStaysQuiet() {
        let alerts = Detection.run(noisySamples(multiplier: 3), cell: Detection.symmetricCell)
        #expect(alerts.first(.S2) == nil)
    }

    private func noisySamples(multiplier: Double) -> [Sample] {
        var cell = SymmetricCellGenerator()
        cell.intervalSeconds = 10
        cell.durationHours = 26
        cell.noiseVolts = 0.002
        var samples = cell.samples()
        var random = TestRandom(seed: 7)
        for index in samples.indices where samples[index].testTimeSeconds >= 20 * 3600 {
            samples[index].voltageVolts += (multiplier - 1) * 0.002 * random.gaussian()
        }
        return samples
    }

    @Test func decliningOverpotentialBelowHalfTheRunningPeak() throws {
        var cell = SymmetricCellGenerator()
        cell.durationHours = 160
        // 200 mV, then a linear fall to 60 mV over 100–150 h: crosses 100 mV at ≈ 135.7 h.
        cell.areaSpecificResistance = { t in t < 100 ? 2000 : 2000 * max(0.3, 1 - 0.7 * (t - 100) / 50) }
        let alerts = Detection.run(cell.samples(), cell: Detection.symmetricCell)
        let s3 = try #require(alerts.first(.S3))
        #expect((136 * 3600.0...141 * 3600).contains(s3.testTimeSeconds))
        #expect(alerts.filter { [.P1, .P2, .P3, .P4].contains($0.rule) }.isEmpty)
    }

    @Test func conditioningDeclineOfTwentyPercentIsNotADecline() {
        var cell = SymmetricCellGenerator()
        cell.durationHours = 150
        cell.areaSpecificResistance = { t in 2000 + 500 * exp(-t / 50) }  // 250 → 200 mV
        let alerts = Detection.run(cell.samples(), cell: Detection.symmetricCell)
        #expect(alerts.warnOrFail.filter { $0.rule != .R1 }.isEmpty)
    }
}

@Suite struct FullCellRuleTests {
    @Test func healthyFullCellRaisesNothing() {
        var cell = FullCellGenerator()
        cell.cycles = 12
        cell.noiseVolts = 0.002
        let alerts = Detection.run(cell.samples(), cell: Detection.fullCell, clamp: nil)
        #expect(alerts.warnOrFail.filter { $0.rule != .R1 }.isEmpty, "\(alerts)")
    }

    @Test func microShortIsSelfDischargeThenCoulombicEfficiencyCollapse() throws {
        var cell = FullCellGenerator()
        cell.cycles = 12
        cell.shortOhms = { cycle, _, _ in cycle >= 9 ? 300_000 : nil }
        let alerts = Detection.run(cell.samples(), cell: Detection.fullCell, clamp: nil)
        let s7 = try #require(alerts.first(.S7))
        #expect(s7.cycle == 9)
        let s6 = try #require(alerts.first { $0.rule == .S6 && $0.severity == .fail })
        #expect(s6.cycle == 10)
        #expect(try #require(s6.evidence["coulombic_efficiency"]) < 0.8)
        #expect(alerts.first(.S5) == nil)
        #expect(alerts.warnOrFail.allSatisfy { $0.cycle >= 9 || $0.rule == .R1 })
    }

    @Test func transientContactsDuringChargeAndRunaway() throws {
        var cell = FullCellGenerator()
        cell.cycles = 9
        cell.intervalSeconds = 10
        // From cycle 8: a contact of 10 × R for 60 s every 10 min of charge, and a 60 kΩ leak.
        cell.shortOhms = { cycle, kind, seconds in
            guard cycle >= 8, kind == .charge else { return nil }
            let inContact = seconds.truncatingRemainder(dividingBy: 600) >= 300 && seconds.truncatingRemainder(dividingBy: 600) < 360
            return inContact ? 10 * (40 + 5.7 * Double(cycle - 1)) : 60_000
        }
        let alerts = Detection.run(cell.samples(), cell: Detection.fullCell, clamp: nil)
        let s4 = try #require(alerts.first(.S4))
        #expect(s4.cycle == 8)
        let s5 = try #require(alerts.first(.S5))
        #expect(s5.cycle == 8 && s5.severity == .fail)
        #expect(try #require(s5.evidence["ratio"]) > 1.3)
        #expect(alerts.warnOrFail.allSatisfy { $0.cycle >= 8 || $0.rule == .R1 })
    }

    @Test func kneeThenEndOfLife() throws {
        var cell = FullCellGenerator()
        cell.cycles = 14
        cell.usableFraction = { n in n <= 5 ? 0.943 : 0.943 * max(0.05, 1 - 0.045 * Double(n - 5)) }
        let alerts = Detection.run(cell.samples(), cell: Detection.fullCell, clamp: nil)
        let e2 = try #require(alerts.first(.E2))
        #expect((6...8).contains(e2.cycle))
        let e1 = try #require(alerts.first(.E1))
        let firstCrossing = try #require(e1.evidence["end_of_life_cycle"])
        #expect(Double(e1.cycle) == firstCrossing + 1)
        #expect(alerts.filter { [.H2, .S4, .S5, .S7].contains($0.rule) }.isEmpty)
    }

    @Test func hardShortOnAFullCellWhileResting() throws {
        var cell = FullCellGenerator()
        cell.cycles = 4
        cell.shortOhms = { cycle, kind, seconds in cycle == 4 && kind == .rest && seconds > 1800 ? 20 : nil }
        let alerts = Detection.run(cell.samples(), cell: Detection.fullCell, clamp: nil)
        let h2 = try #require(alerts.first(.H2))
        #expect(h2.cycle == 4 && h2.severity == .fail)
    }

    @Test func resistanceGrowthWarnsButNeverFails() throws {
        var cell = FullCellGenerator()
        cell.cycles = 30
        cell.resistanceOhms = { n in 40 + 19 * Double(n - 1) }  // 14.8× over the run
        let alerts = Detection.run(cell.samples(), cell: Detection.fullCell, clamp: nil)
        let r1 = try #require(alerts.first(.R1))
        #expect(r1.severity == .warn)
        #expect(try #require(r1.evidence["ratio"]) >= 2)
        #expect(alerts.filter { $0.rule == .R1 && $0.severity == .fail }.isEmpty)
    }
}

@Suite struct DataQualityRuleTests {
    @Test func gapsFrozenVoltageAndBadSamplesAreInformationOnly() throws {
        var cell = SymmetricCellGenerator()
        cell.durationHours = 12
        var samples = cell.samples().filter { !($0.testTimeSeconds > 5 * 3600 && $0.testTimeSeconds < 7 * 3600) }
        for index in 200..<260 { samples[index].voltageVolts = 0.2 }  // a frozen reading
        samples.insert(Sample(testTimeSeconds: .nan, voltageVolts: 0, currentAmperes: 0), at: 100)
        let alerts = Detection.run(samples, cell: Detection.symmetricCell)
        let notes = alerts.filter { $0.rule == .Q1 }
        #expect(notes.allSatisfy { $0.severity == .info })
        #expect(notes.contains { $0.evidence["gap_seconds"] != nil })
        #expect(notes.contains { $0.evidence["frozen_samples"] != nil })
        #expect(notes.contains { $0.message.contains("non-finite") })
        #expect(alerts.warnOrFail.isEmpty)
    }

    @Test func aRestartedTestTimeKeepsDetecting() throws {
        var first = SymmetricCellGenerator()
        first.durationHours = 20
        var second = SymmetricCellGenerator()
        second.durationHours = 20
        second.intervalSeconds = 10
        second.shortResistance = { $0 >= 15.5 ? 5 : nil }
        let alerts = Detection.run(first.samples() + second.samples(), cell: Detection.symmetricCell)
        #expect(alerts.contains { $0.rule == .Q1 && $0.evidence["backward_seconds"] != nil })
        let h1 = try #require(alerts.first(.H1))
        #expect(h1.testTimeSeconds >= 15.5 * 3600 && h1.testTimeSeconds < 15.5 * 3600 + 60)
        #expect(alerts.warnOrFail.filter { $0.rule != .R1 }.count == alerts.filter { $0.rule == .H1 || $0.rule == .S3 }.count)
    }

    @Test func cyclerCapacityDisagreementIsFlagged() {
        var cell = SymmetricCellGenerator()
        cell.durationHours = 3
        var samples = cell.samples()
        for index in samples.indices {
            let tau = samples[index].testTimeSeconds.truncatingRemainder(dividingBy: 3600)
            samples[index].capacityAmpHours = 1.05 * abs(samples[index].currentAmperes) * tau / 3600
        }
        #expect(Detection.run(samples, cell: Detection.symmetricCell).contains { $0.evidence["relative_difference"] != nil })
        for index in samples.indices {
            let tau = samples[index].testTimeSeconds.truncatingRemainder(dividingBy: 3600)
            samples[index].capacityAmpHours = abs(samples[index].currentAmperes) * tau / 3600
        }
        #expect(!Detection.run(samples, cell: Detection.symmetricCell).contains { $0.evidence["relative_difference"] != nil })
    }
}
