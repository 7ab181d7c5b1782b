import CellModel
import Foundation
import Testing
@testable import CellSimulator

/// The physics numbers of docs/detectors.md §7.2 / §8.2, measured from the simulated samples the way
/// a detector would (η_plat with a 60-s skip).
struct SymmetricScenarioTests {
    func halfCycles(_ name: String, intervalSeconds: Double? = nil, hours: Double? = nil, seed: UInt64 = 1) -> [HalfCycleOverpotentialTally.HalfCycle] {
        HalfCycleOverpotentialTally(CellSimulation(preset: preset(name), seed: seed, sampleIntervalSeconds: intervalSeconds, durationSeconds: hours.map { $0 * hour })).halfCycles
    }

    @Test func coatedLongRunConditionsTo200Millivolts() {
        let run = halfCycles("1")
        #expect(run.count == 3000)
        // Conditioning: ≈ 150 mV at the start, ≈ 200 mV once mature (the paper's plateau).
        #expect(abs(run[0].plateauOverpotentialVolts - 0.152) < 0.005)
        let mature = median(run.filter { $0.startTestTimeSeconds >= 250 * hour && $0.startTestTimeSeconds < 350 * hour }.map(\.plateauOverpotentialVolts))
        #expect(abs(mature - PaperStudy.coatedSymmetricOverpotentialVolts) / PaperStudy.coatedSymmetricOverpotentialVolts < 0.05)
        // It holds to 3000 h: no half-cycle beyond 250 h leaves 190–240 mV, and the 5 V clamp is
        // nowhere near.
        let late = run.filter { $0.startTestTimeSeconds >= 250 * hour }
        #expect(late.allSatisfy { $0.plateauOverpotentialVolts > 0.19 && $0.plateauOverpotentialVolts < 0.24 })
        #expect(run.allSatisfy { $0.maximumOverpotentialVolts < 0.25 })
    }

    @Test(arguments: [0.5, 1.0])
    func coatedCellsHoldAtHigherArealCapacity(arealCapacity: Double) {
        let run = halfCycles(arealCapacity == 0.5 ? "paper-sym-coated-0.5" : "paper-sym-coated-1.0", intervalSeconds: 300)
        let expectedHours = PaperStudy.coatedSymmetricHoursByArealCapacity.first { $0.arealCapacity == arealCapacity }!.hours
        #expect(run.count == Int(expectedHours / (arealCapacity / 0.1)))
        let late = run.filter { $0.startTestTimeSeconds >= 200 * hour }
        #expect(!late.isEmpty)
        #expect(late.allSatisfy { abs($0.plateauOverpotentialVolts - 0.21) < 0.02 })
    }

    @Test(arguments: ["paper-sym-bare-0.1", "paper-sym-bare-0.5", "paper-sym-bare-1.0", "4"])
    func bareCellsBlowUpToTheClamp(name: String) {
        let run = Array(CellSimulation(preset: preset(name), seed: 1, sampleIntervalSeconds: 300))
        let start = run.filter { $0.testTimeSeconds > 600 && $0.testTimeSeconds < 4 * hour }.map { abs($0.voltageVolts) }
        #expect(median(start) > 0.09 && median(start) < 0.12)
        // ASR = 1000·e^(t/60 h): η doubles every 41.6 h…
        let at100 = run.filter { abs($0.testTimeSeconds - 100 * hour) < 1800 }.map { abs($0.voltageVolts) }
        #expect(abs(median(at100) / 0.1 - exp(100.0 / 60)) / exp(100.0 / 60) < 0.1)
        // …and reaches the 5 V clamp (0.95 × 5 V) between 220 and 235 h, never before.
        let firstNearClamp = run.first { abs($0.voltageVolts) >= 0.95 * 5 }
        #expect(firstNearClamp.map { $0.testTimeSeconds > 220 * hour && $0.testTimeSeconds < 235 * hour } == true)
        #expect(run.allSatisfy { abs($0.voltageVolts) <= 5 })
    }

    @Test func bareCellPolarizationRatiosMatchTheCalibration() {
        // #4: η_ref = median of half-cycles 3–12; the ratio crosses 2 near 49 h and 5 near 104 h
        // (docs/detectors.md §8.3: P1 at 52 h, P2 at 106 h after their debounce).
        let run = halfCycles("4")
        let reference = median(run[2...11].map(\.plateauOverpotentialVolts))
        let firstDouble = run.first { $0.plateauOverpotentialVolts / reference >= 2 }!
        let firstFivefold = run.first { $0.plateauOverpotentialVolts / reference >= 5 }!
        #expect(firstDouble.startTestTimeSeconds > 45 * hour && firstDouble.startTestTimeSeconds < 52 * hour)
        #expect(firstFivefold.startTestTimeSeconds > 100 * hour && firstFivefold.startTestTimeSeconds < 108 * hour)
    }

    @Test func rateTestOverpotentialPerCurrent() {
        let run = halfCycles("3", intervalSeconds: 10)
        #expect(run.count == 50)
        let area = 0.785
        for (density, expected) in PaperStudy.rateTestOverpotentials {
            let values = run.filter { abs(abs($0.currentAmperes) * 1000 / area - density) < 1e-6 }.map(\.plateauOverpotentialVolts)
            #expect(values.count >= 10)
            let measured = median(values)
            #expect(abs(measured - expected) / expected < 0.05, "η at \(density) mA/cm² = \(measured) V, expected \(expected) V")
            // ASR stays ≤ 2.2 kΩ·cm² (below the P3 cap of 10 kΩ·cm²).
            #expect(measured / (density * 1e-3) < 2200)
        }
        // Back at 0.1 mA cm⁻², the cell is as it was: the rise was the current, not damage.
        let first = run[0..<10].map(\.plateauOverpotentialVolts)
        let last = run[40..<50].map(\.plateauOverpotentialVolts)
        #expect(abs(median(first) - median(last)) < 0.001)
    }

    @Test func hardShortCollapsesTheVoltageAtItsOnset() {
        let run = samples("5", intervalSeconds: 60, hours: 401)
        let onset = ScenarioCatalog.hardShortSeconds
        #expect(abs(onset / hour - 400.283) < 0.001)
        let before = run.filter { $0.testTimeSeconds < onset }
        let after = run.filter { $0.testTimeSeconds >= onset }
        // Before: a healthy plateau, never below 100 mV.
        #expect(before.allSatisfy { abs($0.voltageVolts) > 0.1 })
        // After: |V| ≈ j·5 Ω·cm² = 0.5 mV (plus 0.5 mV noise), always under 5 mV.
        #expect(!after.isEmpty)
        #expect(after.allSatisfy { abs($0.voltageVolts) < 0.005 })
        #expect(after.first?.testTimeSeconds == onset)
    }

    @Test func intermittentSoftShortsStartAt300HoursAndTurnHardAt450() {
        let run = samples("6b", hours: 455)
        func dips(in range: Range<Double>) -> Int {
            var count = 0
            var inDip = false
            for sample in run where range.contains(sample.testTimeSeconds) {
                // A contact pulls η to 9–33 % of the ≈ 205 mV plateau.
                let low = abs(sample.voltageVolts) < 0.1
                if low, !inDip { count += 1 }
                inDip = low
            }
            return count
        }
        #expect(dips(in: 0..<(300 * hour)) == 0)
        #expect(dips(in: (300 * hour)..<(310 * hour)) >= 3)
        #expect(dips(in: (400 * hour)..<(410 * hour)) > dips(in: (300 * hour)..<(310 * hour)))
        let hard = run.filter { $0.testTimeSeconds >= 450 * hour }
        #expect(hard.allSatisfy { abs($0.voltageVolts) < 0.005 })
    }

    @Test func softShortEventsDoNotDependOnTheLoggingInterval() {
        // The events live in continuous time: at 10-s and 60-s logging, the same contacts show.
        let fine = samples("6", hours: 330).filter { $0.testTimeSeconds >= 300 * hour }
        let coarse = samples("6b", hours: 330).filter { $0.testTimeSeconds >= 300 * hour }
        let coarseLow = Set(coarse.filter { abs($0.voltageVolts) < 0.1 }.map { Int($0.testTimeSeconds) })
        let fineAtSameTimes = fine.filter { coarseLow.contains(Int($0.testTimeSeconds)) }
        #expect(!coarseLow.isEmpty)
        #expect(fineAtSameTimes.allSatisfy { abs($0.voltageVolts) < 0.1 })
    }

    @Test func decliningOverpotentialCrossesHalfItsPeakNear571Hours() {
        let run = halfCycles("7")
        let peak = run.map(\.plateauOverpotentialVolts).max()!
        #expect(abs(peak - 0.21) < 0.01)
        let firstHalf = run.first { $0.plateauOverpotentialVolts <= 0.5 * peak }!
        #expect(firstHalf.startTestTimeSeconds > 568 * hour && firstHalf.startTestTimeSeconds < 575 * hour)
        let before = run.filter { $0.endTestTimeSeconds <= 500 * hour && $0.startTestTimeSeconds > 100 * hour }
        #expect(before.allSatisfy { $0.plateauOverpotentialVolts > 0.19 })
        let end = run.filter { $0.startTestTimeSeconds > 610 * hour }.map(\.plateauOverpotentialVolts)
        #expect(abs(median(end) - 0.3 * median(before.map(\.plateauOverpotentialVolts))) < 0.01)
    }

    @Test func criticalCurrentRampNumbers() {
        let run = samples("8")
        let area = 0.785
        // Areal capacity per half-cycle is 0.05·k mAh cm⁻² at j = 0.1·k mA cm⁻².
        let halfCycles = HalfCycleOverpotentialTally(run).halfCycles
        for halfCycle in halfCycles.dropLast() where halfCycle.startTestTimeSeconds > 0 {
            let density = abs(halfCycle.currentAmperes) * 1000 / area
            let duration = (halfCycle.endTestTimeSeconds - halfCycle.startTestTimeSeconds) / hour
            #expect(abs(density * duration - 0.05 * (density / 0.1).rounded()) < 1e-6)
        }
        // The short: the first sample with |V| < 5 mV while current flows.
        guard let short = run.first(where: { abs($0.voltageVolts) < 0.005 }) else {
            Issue.record("no short in the CCD ramp")
            return
        }
        #expect(short.testTimeSeconds >= ScenarioCatalog.criticalCurrentShortSeconds && short.testTimeSeconds < 10.68 * hour)
        #expect(abs(ScenarioCatalog.criticalCurrentShortSeconds / hour - 10.667) < 0.001)
        let criticalDensity = abs(short.currentAmperes) * 1000 / area
        #expect(abs(criticalDensity - 0.6) < 1e-9)
        // Max sustained: the step before, all four half-cycles complete at 0.5 mA cm⁻².
        let sustained = halfCycles.filter { abs(abs($0.currentAmperes) * 1000 / area - 0.5) < 1e-9 }
        #expect(sustained.count == 4)
        #expect(sustained.allSatisfy { $0.plateauOverpotentialVolts > 0.4 })
        // Cumulative areal capacity to failure: Σ j·t = 3.0 + 0.6 × 0.667 ≈ 3.4 mAh cm⁻².
        var cumulative = 0.0
        for (previous, sample) in zip(run, run.dropFirst()) where sample.testTimeSeconds <= short.testTimeSeconds {
            cumulative += abs(sample.currentAmperes) * 1000 / area * (sample.testTimeSeconds - previous.testTimeSeconds) / hour
        }
        #expect(abs(cumulative - 3.4) < 0.02)
    }

    @Test func temperatureSwingModulatesTheOverpotential() {
        // E_a = 0.3 eV and ±2 °C: η swings by about ±7–8 % around its mean (docs/detectors.md §7.2).
        let run = halfCycles("2", intervalSeconds: 60, hours: 400).filter { $0.startTestTimeSeconds > 250 * hour }
        let values = run.map(\.plateauOverpotentialVolts)
        let mean = values.reduce(0, +) / Double(values.count)
        let swing = (values.max()! - values.min()!) / 2 / mean
        #expect(swing > 0.04 && swing < 0.09)
    }
}

struct ExtraScenarioTests {
    @Test func squareRootGrowthRatiosCrossWhereTheWindowsSay() {
        let run = HalfCycleOverpotentialTally(CellSimulation(preset: preset("sqrt-growth"), seed: 1)).halfCycles
        let reference = median(run[2...11].map(\.plateauOverpotentialVolts))
        let double = run.first { $0.plateauOverpotentialVolts / reference >= 2 }!
        let fivefold = run.first { $0.plateauOverpotentialVolts / reference >= 5 }!
        #expect(double.startTestTimeSeconds > 56 * hour && double.startTestTimeSeconds < 70 * hour)
        #expect(fivefold.startTestTimeSeconds > 530 * hour && fivefold.startTestTimeSeconds < 555 * hour)
        // √t: the growth in the second 300 h is smaller than in the first.
        let at = { (h: Double) in run.first { $0.startTestTimeSeconds >= h * hour }!.plateauOverpotentialVolts }
        #expect(at(300) - at(10) > at(590) - at(300))
    }

    @Test func fullCellHardShortPullsTheVoltageBelow2Volts() {
        let run = samples("full-cell-hard-short")
        let onset = ScenarioCatalog.fullCellHardShortSeconds
        let before = run.filter { $0.testTimeSeconds < onset }
        #expect(before.allSatisfy { $0.voltageVolts > 2.9 })
        let charging = run.first { $0.testTimeSeconds >= onset }!
        #expect(charging.cycleIndex == 8 && charging.stepType == .constantCurrentCharge)
        let after = run.filter { $0.testTimeSeconds >= onset && $0.stepType != .constantCurrentDischarge }
        #expect(after.count > 10)
        #expect(after.allSatisfy { $0.voltageVolts < 2.0 })
    }

    @Test func coulombicEfficiencyDriftsAndTheRollingMeanCrossesAtCycle24() {
        let run = samples("ce-drift")
        let cycles = CycleCapacityTally(run).cycles
        #expect(cycles.count == 40)
        let efficiencies = cycles.map(\.coulombicEfficiency)
        #expect(efficiencies[1..<10].allSatisfy { abs($0 - 1) < 0.001 })
        // ≈ −0.2 points per cycle once the leak grows, but never below 0.90 (no S6 FAIL).
        let drift = (efficiencies[29] - efficiencies[19]) / 10
        #expect(drift < -0.0018 && drift > -0.0026)
        #expect(efficiencies.allSatisfy { $0 > 0.9 })
        // S6 WARN arithmetic: the 10-cycle mean falls 2 points below the cycles-3–7 median.
        let baseline = median(Array(efficiencies[2...6]))
        let crossing = (10...40).first { n in
            baseline - efficiencies[(n - 10)..<n].reduce(0, +) / 10 > 0.02
        }
        #expect(crossing == 24)
        // The charge still reaches 4.2 V: no runaway.
        let lastCharge = run.last { $0.cycleIndex == 40 && $0.stepType == .constantCurrentCharge }!
        #expect(lastCharge.voltageVolts > 4.19)
    }

    @Test func ovenExcursionWarmsTheCellAndLowersItsOverpotential() {
        let run = samples("oven-excursion", hours: 110)
        let inside = run.filter { $0.testTimeSeconds >= 100.5 * hour && $0.testTimeSeconds < 103.5 * hour }
        let before = run.filter { $0.testTimeSeconds >= 95 * hour && $0.testTimeSeconds < 99 * hour }
        #expect(inside.allSatisfy { abs($0.temperatureCelsius! - 33) < 0.2 })
        #expect(before.allSatisfy { abs($0.temperatureCelsius! - 25) < 0.2 })
        // Arrhenius with 0.3 eV: exp(−0.305) ≈ 0.74 of the plateau at 33 °C.
        let ratio = median(inside.map { abs($0.voltageVolts) }) / median(before.map { abs($0.voltageVolts) })
        #expect(abs(ratio - 0.737) < 0.02)
        let after = run.filter { $0.testTimeSeconds >= 105 * hour }
        #expect(after.allSatisfy { abs($0.temperatureCelsius! - 25) < 0.2 })
    }
}
