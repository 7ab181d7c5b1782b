import CellModel
import Foundation
import Testing
@testable import CellSimulator

/// Full-cell numbers of docs/detectors.md §7.3 / §8.2 and the paper, measured from simulated samples.
struct FullCellScenarioTests {
    func tally(_ name: String, seed: UInt64 = 1, intervalSeconds: Double? = nil) -> [CycleCapacityTally.Cycle] {
        CycleCapacityTally(CellSimulation(preset: preset(name), seed: seed, sampleIntervalSeconds: intervalSeconds)).cycles
    }

    /// OLS slope of V against t (V/h) over a rest window in minutes.
    func restSlope(_ rest: [Sample], fromMinute: Double, toMinute: Double) -> Double {
        guard let start = rest.first?.testTimeSeconds else { return .nan }
        let window = rest.filter {
            let minute = ($0.testTimeSeconds - start) / 60
            return minute >= fromMinute && minute <= toMinute
        }
        let n = Double(window.count)
        let meanT = window.map { ($0.testTimeSeconds - start) / hour }.reduce(0, +) / n
        let meanV = window.map(\.voltageVolts).reduce(0, +) / n
        var numerator = 0.0, denominator = 0.0
        for sample in window {
            let dt = (sample.testTimeSeconds - start) / hour - meanT
            numerator += dt * (sample.voltageVolts - meanV)
            denominator += dt * dt
        }
        return numerator / denominator
    }

    @Test func protocolShapeOfOneCycle() {
        let run = Array(CellSimulation(preset: preset("9"), seed: 1).prefix(2000))
        let cycleOne = run.filter { $0.cycleIndex == 1 }
        // charge → rest → discharge → rest, as steps 1–4.
        var order: [StepType] = []
        for sample in cycleOne where order.last != sample.stepType { order.append(sample.stepType) }
        #expect(order == [.constantCurrentCharge, .rest, .constantCurrentDischarge, .rest])
        #expect(Set(cycleOne.compactMap(\.stepIndex)) == [1, 2, 3, 4])
        // 0.1C of 0.91 mAh is 91 µA; positive = charge.
        #expect(cycleOne.filter { $0.stepType == .constantCurrentCharge }.allSatisfy { abs($0.currentAmperes - 91e-6) < 1e-12 })
        #expect(cycleOne.filter { $0.stepType == .constantCurrentDischarge }.allSatisfy { abs($0.currentAmperes + 91e-6) < 1e-12 })
        #expect(cycleOne.filter { $0.stepType == .rest }.allSatisfy { $0.currentAmperes == 0 })
        // The charge ends on the 4.2 V limit and the discharge on 3.0 V (σ = 2 mV noise).
        let lastCharge = cycleOne.last { $0.stepType == .constantCurrentCharge }!
        let lastDischarge = cycleOne.last { $0.stepType == .constantCurrentDischarge }!
        #expect(abs(lastCharge.voltageVolts - 4.2) < 0.01)
        #expect(abs(lastDischarge.voltageVolts - 3.0) < 0.01)
        // Each rest lasts 2 h.
        let rests = cycleOne.filter { $0.stepType == .rest && $0.stepIndex == 2 }
        #expect(abs(rests.last!.testTimeSeconds - lastCharge.testTimeSeconds - 2 * hour) < 1e-6)
        // Cycle 2 starts with a charge.
        #expect(run.first { $0.cycleIndex == 2 }?.stepType == .constantCurrentCharge)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func coatedFullCellKeeps89PercentAfter96Cycles(seed: UInt64) {
        let cycles = tally("paper-full-coated", seed: seed)
        #expect(cycles.count == PaperStudy.coatedFullCellCycles)
        let reference = referenceCapacity(cycles)
        // Q₀ ≈ 130 mAh/g, 115 mAh/g and SOH 0.89 ± 0.01 at cycle 96.
        #expect(abs(specificCapacity(reference) - 130) < 2)
        let last = cycles.last!
        #expect(abs(last.dischargeAmpHours / reference - PaperStudy.coatedFullCellRetention) <= 0.01)
        #expect(abs(specificCapacity(last.dischargeAmpHours) - PaperStudy.coatedFullCellFinalSpecificCapacity) < 2)
        // Healthy: CE stays ≈ 1 from cycle 2 on.
        #expect(cycles.dropFirst().allSatisfy { abs($0.coulombicEfficiency - 1) < 0.01 })
    }

    @Test func noisyCoatedScenarioHasTheSameCapacityAndItsNoise() {
        let run = samples("9")
        let cycles = CycleCapacityTally(run).cycles
        let reference = referenceCapacity(cycles)
        #expect(abs(cycles.last!.dischargeAmpHours / reference - 0.89) <= 0.01)
        // σ = 2 mV: the second difference of V in a rest has σ ≈ √6 · 2 mV.
        let rest = run.filter { $0.cycleIndex == 50 && $0.stepType == .rest }
        var squares = 0.0
        for index in 2..<rest.count where rest[index].stepIndex == rest[index - 2].stepIndex {
            let second = rest[index].voltageVolts - 2 * rest[index - 1].voltageVolts + rest[index - 2].voltageVolts
            squares += second * second
        }
        let sigma = (squares / Double(rest.count - 2) / 6).squareRoot()
        #expect(abs(sigma - 0.002) < 0.0004)
        let temperatures = run.compactMap(\.temperatureCelsius)
        #expect(temperatures.max()! > 25.8 && temperatures.min()! < 24.2)
    }

    @Test func resistanceGrowsFrom40To581Ohms() {
        // The charge→rest voltage step is I·R(N) (plus a small RC relaxation within 60 s).
        let run = samples("paper-full-coated")
        func ohmicDrop(cycle: Int32) -> Double {
            let cycle = run.filter { $0.cycleIndex == cycle }
            let lastCharge = cycle.lastIndex { $0.stepType == .constantCurrentCharge }!
            return (cycle[lastCharge].voltageVolts - cycle[lastCharge + 1].voltageVolts) / 91e-6
        }
        #expect(abs(ohmicDrop(cycle: 1) - 45) < 25)
        #expect(abs(ohmicDrop(cycle: 96) - 581) / 581 < 0.1)
    }

    @Test func bareFullCellKneeAndEndOfLife() {
        let cycles = tally("10")
        #expect(cycles.count == 20)
        let reference = referenceCapacity(cycles)
        let soh = cycles.map { $0.dischargeAmpHours / reference }
        // Flat to cycle 5, then ≈ −4.5 %/cycle.
        #expect(abs(soh[4] - soh[1]) < 0.01)
        #expect(abs((soh[9] - soh[5]) / 4 + 0.045) < 0.006)
        // E1: first crossing of 0.80 at cycle 10, confirmed at 11.
        let firstBelow = soh.firstIndex { $0 < 0.8 }.map { $0 + 1 }
        #expect(firstBelow == 10)
        #expect(soh[10] < 0.8)
        // The online E2 slope (5-point OLS) is beyond −0.5 %/cycle at cycles 6 and 7.
        func slope(endingAt cycle: Int) -> Double {
            let window = soh[(cycle - 5)..<cycle]
            return zip([-2.0, -1, 0, 1, 2], window).map { $0 * $1 }.reduce(0, +) / 10
        }
        #expect(slope(endingAt: 5) > -0.005)
        #expect(slope(endingAt: 6) < -0.005)
        #expect(slope(endingAt: 7) < -0.005)
    }

    @Test func paperBareFullCellDecaysRapidly() {
        let cycles = tally("paper-full-bare", intervalSeconds: 300)
        #expect(cycles.count == 96)
        let reference = referenceCapacity(cycles)
        #expect(cycles[19].dischargeAmpHours / reference < 0.5)
        #expect(cycles.last!.dischargeAmpHours / reference < 0.2)
    }

    @Test func fullCellSoftShortOnCharge() {
        let run = samples("11")
        let cycles = CycleCapacityTally(run).cycles
        #expect(cycles.count == 31)
        let reference = referenceCapacity(cycles)
        // Cycles 1–29: healthy, each charge reaches 4.2 V.
        #expect(cycles[1..<29].allSatisfy { abs($0.coulombicEfficiency - 1) < 0.01 })
        let charges = Dictionary(grouping: run.filter { $0.stepType == .constantCurrentCharge }, by: { $0.cycleIndex! })
        for cycle in Int32(1)...29 {
            #expect(charges[cycle]!.last!.voltageVolts > 4.19)
        }
        // Cycle 30: the charge never reaches 4.2 V and runs to the cycler's 1.5 × time limit.
        let charge30 = charges[30]!
        #expect(charge30.allSatisfy { $0.voltageVolts < 4.2 })
        let start = run.last { $0.cycleIndex == 29 }!.testTimeSeconds
        #expect(abs(charge30.last!.testTimeSeconds - start - 15 * hour) < 1)
        // Q_ch passes 1.3·Q_ref between 13 and 14 h into the charge (reference calibration, docs/detectors.md §8.3: 13.7 h).
        let runaway = charge30.first { $0.capacityAmpHours! > 1.3 * reference }!
        #expect(runaway.testTimeSeconds - start > 13 * hour && runaway.testTimeSeconds - start < 14 * hour)
        // Contacts: negative steps of ≥ 10 mV in the median-of-3 voltage within the first hour.
        let firstHour = charge30.filter { $0.testTimeSeconds - start > 60 && $0.testTimeSeconds - start <= hour }.map(\.voltageVolts)
        let smoothed = (1..<(firstHour.count - 1)).map { median(Array(firstHour[($0 - 1)...($0 + 1)])) }
        let drops = zip(smoothed, smoothed.dropFirst()).filter { $1 - $0 < -0.010 }.count
        #expect(drops >= 3)
        // No hard-short signature: V stays above 2.0 V outside discharges.
        #expect(run.filter { $0.stepType != .constantCurrentDischarge }.allSatisfy { $0.voltageVolts > 2.0 })
        // CE collapses in cycles 30 and 31.
        #expect(cycles[29].coulombicEfficiency < 0.9 && cycles[30].coulombicEfficiency < 0.9)
    }

    @Test func fullCellMicroShortSelfDischarges() {
        let run = samples("12")
        let cycles = CycleCapacityTally(run).cycles
        #expect(cycles.count == 24)
        let reference = referenceCapacity(cycles)
        #expect(cycles[2..<19].allSatisfy { abs($0.coulombicEfficiency - 1) < 0.01 })
        // From cycle 20: CE ≈ 0.71; the charge still reaches 4.2 V at ≈ 1.2 × Q_ref (< 1.3).
        for cycle in cycles[19...] {
            #expect(abs(cycle.coulombicEfficiency - 0.71) < 0.03)
            #expect(cycle.chargeAmpHours / reference > 1.1 && cycle.chargeAmpHours / reference < 1.28)
        }
        let charge20 = run.filter { $0.cycleIndex == 20 && $0.stepType == .constantCurrentCharge }
        #expect(charge20.last!.voltageVolts > 4.19)
        // The post-charge rest: healthy relaxation ≈ −10.6 / −4.9 mV/h over minutes 30–75 /
        // 75–120; the leak adds ≈ −12 mV/h to both.
        let rest19 = run.filter { $0.cycleIndex == 19 && $0.stepIndex == 19 * 4 - 2 }
        let rest20 = run.filter { $0.cycleIndex == 20 && $0.stepIndex == 20 * 4 - 2 }
        #expect(rest19.allSatisfy { $0.stepType == .rest } && rest20.allSatisfy { $0.stepType == .rest })
        let healthyEarly = restSlope(rest19, fromMinute: 30, toMinute: 75) * 1000
        let healthyLate = restSlope(rest19, fromMinute: 75, toMinute: 120) * 1000
        let leakyEarly = restSlope(rest20, fromMinute: 30, toMinute: 75) * 1000
        let leakyLate = restSlope(rest20, fromMinute: 75, toMinute: 120) * 1000
        #expect(abs(healthyEarly + 10.6) < 2.5)
        #expect(abs(healthyLate + 4.9) < 2.5)
        #expect(leakyEarly - healthyEarly < -5)
        #expect(leakyLate - healthyLate < -5)
    }

    @Test func rateCapabilityMatchesThePaper() {
        let cycles = tally("paper-rate-capability")
        #expect(cycles.count == 25)
        for (cRate, expected) in PaperStudy.rateCapability {
            let amperes = cRate * 0.91e-3
            let block = cycles.filter { abs($0.dischargeCurrentAmperes - amperes) < 1e-9 }
            #expect(block.count >= 5)
            let measured = specificCapacity(median(block.map(\.dischargeAmpHours)))
            #expect(abs(measured - expected) / expected <= 0.03, "\(cRate)C gave \(measured) mAh/g, paper \(expected)")
        }
        // Back at 0.1C, the capacity returns.
        #expect(abs(specificCapacity(cycles.last!.dischargeAmpHours) - 130) / 130 < 0.03)
    }

    @Test func calibratedRateMultipliersAreMonotone() {
        let multipliers = RateCapabilityCalibration.multipliers
        #expect(multipliers.count == 4)
        #expect(zip(multipliers, multipliers.dropFirst()).allSatisfy { $0.multiplier > $1.multiplier })
        #expect(abs(multipliers[0].multiplier - 1) < 0.02)
    }
}
