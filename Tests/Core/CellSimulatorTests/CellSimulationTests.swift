import CellModel
import Foundation
import Testing
@testable import CellSimulator

struct CellSimulationTests {
    @Test(arguments: ["1", "2", "6", "9", "11"])
    func sameSeedGivesIdenticalSamples(name: String) {
        let a = Array(CellSimulation(preset: preset(name), seed: 7, durationSeconds: 100 * hour).prefix(3000))
        let b = Array(CellSimulation(preset: preset(name), seed: 7, durationSeconds: 100 * hour).prefix(3000))
        #expect(a.count == 3000)
        #expect(a == b)
    }

    @Test(arguments: ["1", "2b", "9"])
    func differentSeedsGiveDifferentNoise(name: String) {
        let a = Array(CellSimulation(preset: preset(name), seed: 1, durationSeconds: 10 * hour).prefix(500))
        let b = Array(CellSimulation(preset: preset(name), seed: 2, durationSeconds: 10 * hour).prefix(500))
        #expect(a.map(\.testTimeSeconds) == b.map(\.testTimeSeconds))
        let differing = zip(a, b).filter { $0.voltageVolts != $1.voltageVolts }.count
        #expect(differing > 450)
        // …but the same physics underneath: the noise is small against the signal.
        let meanGap = zip(a, b).map { abs($0.voltageVolts - $1.voltageVolts) }.reduce(0, +) / Double(a.count)
        #expect(meanGap < 0.02)
    }

    /// A copy of a running simulation continues independently (value semantics), which is what
    /// a paced live channel relies on.
    @Test func copiesAdvanceIndependently() {
        var original = CellSimulation(preset: preset("2"), seed: 3)
        for _ in 0..<100 { _ = original.next() }
        var copy = original
        let fromOriginal = (0..<50).compactMap { _ in original.next() }
        let fromCopy = (0..<50).compactMap { _ in copy.next() }
        #expect(fromOriginal == fromCopy)
        #expect(fromOriginal.count == 50)
    }

    @Test func timeStepIndicesAndUnits() {
        let run = samples("1", hours: 4)
        #expect(run.first?.testTimeSeconds == 0)
        #expect(run.last?.testTimeSeconds == 4 * hour)
        #expect(run.count == 4 * 60 + 1)
        for (previous, sample) in zip(run, run.dropFirst()) {
            #expect(abs(sample.testTimeSeconds - previous.testTimeSeconds - 60) < 1e-9)
        }
        for sample in run {
            #expect(sample.unixTimeSeconds == CellSimulation.defaultStartUnixTimeSeconds + sample.testTimeSeconds)
            // 0.1 mA cm⁻² on 0.785 cm² is 78.5 µA.
            #expect(abs(abs(sample.currentAmperes) - 78.5e-6) < 1e-9)
            #expect(sample.stepType == (sample.currentAmperes > 0 ? .constantCurrentCharge : .constantCurrentDischarge))
            #expect((sample.voltageVolts > 0) == (sample.currentAmperes > 0))
            #expect(sample.temperatureCelsius.map { abs($0 - 25) < 0.2 } == true)
        }
        // Half-cycle k (1-based) is step k and belongs to cycle (k + 1) / 2; its last sample
        // sits on the step boundary.
        let boundary = run.first { $0.testTimeSeconds == 2 * hour }
        #expect(boundary?.stepIndex == 2)
        #expect(boundary?.cycleIndex == 1)
        #expect(run.first { $0.testTimeSeconds == 2 * hour + 60 }?.stepIndex == 3)
        #expect(run.first { $0.testTimeSeconds == 2 * hour + 60 }?.cycleIndex == 2)
        // The cycler's step capacity counter restarts each step: 78.5 µA × 1 h at the step end.
        #expect(abs((boundary?.capacityAmpHours ?? 0) - 78.5e-6) < 1e-12)
    }

    @Test func overridesOfIntervalAndDuration() {
        let run = samples("4", intervalSeconds: 300, hours: 10)
        #expect(run.count == 10 * 12 + 1)
        #expect(run.last?.testTimeSeconds == 10 * hour)
        // An interval that does not divide the half-cycle still logs every step's end point.
        let odd = samples("1", intervalSeconds: 7 * 60, hours: 2)
        #expect(odd.contains { $0.testTimeSeconds == hour })
        #expect(odd.contains { $0.testTimeSeconds == 2 * hour })
        #expect(odd.contains { $0.testTimeSeconds == 7 * 60 })
        #expect(odd.contains { $0.testTimeSeconds == hour + 7 * 60 })
    }

    @Test func nonsensicalOverridesFallBackInsteadOfHanging() {
        let zeroInterval = Array(CellSimulation(preset: preset("1"), seed: 1, sampleIntervalSeconds: 0, durationSeconds: hour))
        #expect(zeroInterval.count == 61)
        let negativeDuration = Array(CellSimulation(preset: preset("1"), seed: 1, durationSeconds: -5))
        #expect(negativeDuration.count == 1)
        let nanInterval = Array(CellSimulation(preset: preset("9"), seed: 1, sampleIntervalSeconds: .nan, durationSeconds: hour))
        #expect(nanInterval.count == 61)
    }

    @Test func rateTestEndsWithItsProtocol() {
        let run = samples("3", intervalSeconds: 60)
        #expect(run.last?.testTimeSeconds == 50 * hour)
        #expect(run.last?.stepIndex == 50)
        // A longer duration does not invent half-cycles the protocol does not have.
        let longer = samples("3", intervalSeconds: 600, hours: 80)
        #expect(longer.last?.testTimeSeconds == 50 * hour)
    }

    @Test func loggingGapsAreMissingFromTheLog() {
        let run = samples("2", intervalSeconds: 60, hours: 610)
        let gaps = zip(run, run.dropFirst()).filter { $1.testTimeSeconds - $0.testTimeSeconds > 120 }
        #expect(gaps.count == 2)
        #expect(gaps.count == 2 && abs(gaps[0].0.testTimeSeconds - 200 * hour) < 61 && abs(gaps[0].1.testTimeSeconds - 200.5 * hour) < 61)
        #expect(gaps.count == 2 && abs(gaps[1].0.testTimeSeconds - 600 * hour) < 61 && abs(gaps[1].1.testTimeSeconds - 602 * hour) < 61)
        #expect(!run.contains { $0.testTimeSeconds > 200 * hour && $0.testTimeSeconds < 200.5 * hour })
    }

    @Test func midTestChangeOfLoggingInterval() {
        var custom = preset("1")
        custom.artefacts.sampleIntervalChanges = [SampleIntervalChange(fromTestTimeSeconds: 2 * hour, sampleIntervalSeconds: 10)]
        let run = Array(CellSimulation(preset: custom, seed: 1, durationSeconds: 3 * hour))
        let early = run.filter { $0.testTimeSeconds <= 2 * hour }
        let late = run.filter { $0.testTimeSeconds > 2 * hour }
        #expect(early.count == 121)
        #expect(late.count == 360)
    }

    @Test func glitchesAppearAtTheirRate() {
        // #2b: ±60 mV glitches with p = 2·10⁻³ on σ = 10 mV noise; count 5σ outliers of the
        // residual against the neighbours' mean.
        let run = samples("2b", hours: 400)
        var outliers = 0
        for index in 1..<(run.count - 1) where run[index].stepIndex == run[index - 1].stepIndex && run[index].stepIndex == run[index + 1].stepIndex {
            let residual = run[index].voltageVolts - 0.5 * (run[index - 1].voltageVolts + run[index + 1].voltageVolts)
            if abs(residual) > 0.045 { outliers += 1 }
        }
        let expected = 2e-3 * Double(run.count)
        #expect(Double(outliers) > 0.5 * expected)
        #expect(Double(outliers) < 1.6 * expected)
    }

    @Test func diurnalTemperatureSwing() {
        let run = samples("2", intervalSeconds: 600, hours: 48)
        let temperatures = run.compactMap(\.temperatureCelsius)
        #expect(temperatures.max()! > 26.8 && temperatures.max()! < 27.2)
        #expect(temperatures.min()! < 23.2 && temperatures.min()! > 22.8)
    }
}

struct ChannelArtefactTests {
    @Test func channelRestartRenumbersStepsAndJumpsCycles() {
        let run = samples("healthy-artefacts", hours: 310)
        let restart = 300.4 * hour
        let before = run.last { $0.testTimeSeconds < restart }!
        let after = run.first { $0.testTimeSeconds >= restart }!
        // The half-cycle in progress (step 301 of cycle 151) becomes step 1 of cycle 201.
        #expect(before.stepIndex == 301 && before.cycleIndex == 151)
        #expect(after.stepIndex == 1 && after.cycleIndex == 201)
        // The cell itself does not notice: same current, continuous voltage.
        #expect(after.currentAmperes == before.currentAmperes)
        #expect(abs(abs(after.voltageVolts) - abs(before.voltageVolts)) < 0.05)
        let next = run.first { $0.testTimeSeconds >= 301 * hour + 1 }!
        #expect(next.stepIndex == 2)
    }

    @Test func healthyArtefactsCarryGapsAndAnIntervalChange() {
        let run = samples("healthy-artefacts", hours: 260)
        let spacings = zip(run, run.dropFirst()).map { $1.testTimeSeconds - $0.testTimeSeconds }
        #expect(spacings.filter { $0 > 1500 && $0 < 2000 }.count == 1)
        #expect(spacings.filter { $0 > 7000 }.count == 1)
        #expect(run.filter { $0.testTimeSeconds < 200 * hour }.count < run.filter { $0.testTimeSeconds >= 200 * hour }.count)
    }

    @Test func conditioningDeclineFalls20Percent() {
        let halfCycles = HalfCycleOverpotentialTally(CellSimulation(preset: preset("conditioning-decline"), seed: 1, durationSeconds: 300 * hour)).halfCycles
        #expect(abs(halfCycles[0].plateauOverpotentialVolts - 0.25) < 0.01)
        #expect(abs(halfCycles[200].plateauOverpotentialVolts - 0.205) < 0.005)
        #expect(halfCycles[0].plateauOverpotentialVolts / halfCycles[200].plateauOverpotentialVolts > 1.2)
    }

    @Test func fastForwardJoinsATestInProgress() {
        var live = CellSimulation(preset: preset("6"), seed: 2)
        let skipped = live.fastForward(toTestTimeSeconds: 300 * hour)
        #expect(skipped == 300 * 360)
        let first = live.next()
        #expect(first?.testTimeSeconds == 300 * hour)
        let reference = CellSimulation(preset: preset("6"), seed: 2)
        let same = reference.first { $0.testTimeSeconds >= 300 * hour }
        #expect(first == same)
        #expect(live.next()?.testTimeSeconds == 300 * hour + 10)
    }
}
