import CellModel
import Foundation
import Testing
@testable import CellDetection

/// Hand-made test data: stretches of constant current with a voltage shape, one after another.
struct SampleTrace {
    var samples: [Sample] = []
    var time = 0.0
    var intervalSeconds = 60.0

    /// `seconds` of samples at `current`, the voltage a function of the fraction of the stretch.
    mutating func add(_ seconds: Double, _ voltage: (Double) -> Double, _ current: Double) {
        var elapsed = 0.0
        while elapsed < seconds {
            samples.append(Sample(testTimeSeconds: time, voltageVolts: voltage(elapsed / seconds), currentAmperes: current))
            time += intervalSeconds
            elapsed += intervalSeconds
        }
    }

    /// Cycles of a 2 h charge at `charge` A, a rest, a discharge at `discharge` A until the given
    /// CE, and a rest.
    mutating func addCycles(_ plan: [(charge: Double, discharge: Double, efficiency: Double)]) {
        for cycle in plan {
            add(7200, { 3.6 + 0.6 * $0 }, cycle.charge)
            add(1800, { _ in 4.15 }, 0)
            add(7200 * cycle.efficiency * cycle.charge / cycle.discharge, { 4.1 - 1.1 * $0 }, -cycle.discharge)
            add(1800, { _ in 3.2 }, 0)
        }
    }
}

/// Full cells judged against their own window and currents (docs/detectors.md §5.2, §5.5, §5.9).
@Suite struct OperatingWindowTests {
    /// A fresh Li-ion cell rests at 0.15 V before its formation charge: not a short.
    @Test func aFreshCellRestingLowBeforeFormationIsNoShort() {
        var samples = (0..<180).map { Sample(testTimeSeconds: Double($0) * 60, voltageVolts: 0.15, currentAmperes: 0) }
        let offset = 180 * 60.0
        samples += FullCellGenerator(cycles: 4).samples().map {
            Sample(testTimeSeconds: $0.testTimeSeconds + offset, voltageVolts: $0.voltageVolts, currentAmperes: $0.currentAmperes)
        }
        let alerts = Detection.run(samples, cell: Detection.fullCell)
        #expect(alerts.first(.H2) == nil, "\(alerts)")
    }

    /// After the window is known (3.0–4.2 V), a rest collapsing to 0.3 V is a hard short, and the
    /// threshold is the window's minimum less 1 V.
    @Test func aCollapseBelowTheLearnedWindowIsAHardShort() throws {
        var generator = FullCellGenerator(cycles: 6)
        generator.shortOhms = { cycle, kind, _ in cycle == 5 && kind == .rest ? 0.5 : nil }
        var detector = CellDetector(cell: Detection.fullCell, voltageClampVolts: 5)
        var alerts: [Alert] = []
        for sample in generator.samples() { detector.ingest(sample, into: &alerts) }
        let short = try #require(alerts.first(.H2))
        #expect(short.cycle == 5)
        #expect(abs(detector.window.minimumVolts - 3.0) < 0.05)
        #expect(abs(detector.h2ThresholdVolts - 2.0) < 0.05)
    }

    /// The protocol's limits given as metadata set the window: a cell cycled down to 1.5 V
    /// (a CCCV discharge) rests at 1.7 V without an alarm; a fixed 2 V would have fired.
    @Test func theGivenWindowMovesTheThreshold() {
        var cell = Detection.fullCell
        cell.voltageMinVolts = 1.5
        cell.voltageMaxVolts = 4.4
        let detector = CellDetector(cell: cell)
        #expect(abs(detector.h2ThresholdVolts - 0.5) < 1e-9)
        #expect(detector.window.isMinimumGiven && !detector.window.isLearning)
        var trace = SampleTrace()
        for _ in 0..<3 {
            trace.add(7200, { 3.6 + 0.8 * $0 }, 1e-3)
            trace.add(1800, { _ in 4.3 }, 0)
            trace.add(7200, { 4.3 - 2.8 * $0 }, -1e-3)
            trace.add(3600, { _ in 1.7 }, 0)
        }
        #expect(Detection.run(trace.samples, cell: cell).first(.H2) == nil)
        #expect(Detection.run(trace.samples, cell: Detection.fullCell).first(.H2) == nil, "learned from the discharges' ends")
    }

    /// A CV hold at 4.9 V (LNMO) is a full cell's protocol, not P4's clamp.
    @Test func aHighVoltageHoldIsNotTheClampOnAFullCell() {
        let samples = (0..<200).map { Sample(testTimeSeconds: Double($0) * 10, voltageVolts: 4.9, currentAmperes: 1e-4 * exp(-Double($0) / 50)) }
        #expect(Detection.run(samples, cell: Detection.fullCell).first(.P4) == nil)
        #expect(Detection.run(samples, cell: Detection.symmetricCell).first(.P4) != nil, "the clause still guards symmetric cells")
    }

    /// Hand-made cycles: charge at `charge` A for 2 h, rest, discharge at `discharge` A until
    /// the given CE, rest.
    static func cycles(_ plan: [(charge: Double, discharge: Double, efficiency: Double)]) -> [Sample] {
        var trace = SampleTrace()
        trace.addCycles(plan)
        return trace.samples
    }

    @Test func aRateStepsPassingDipInEfficiencyIsNoCollapse() {
        // C/10 for 6 cycles, C/2 for 6 (its first two at CE 0.85: the cell keeps what the faster
        // discharge could not take out), back to C/10 (CE 1.1 for two cycles).
        var plan: [(charge: Double, discharge: Double, efficiency: Double)] = Array(repeating: (1e-4, 1e-4, 0.995), count: 6)
        plan += [(5e-4, 5e-4, 0.85), (5e-4, 5e-4, 0.85)] + Array(repeating: (5e-4, 5e-4, 0.995), count: 4)
        plan += [(1e-4, 1e-4, 1.1), (1e-4, 1e-4, 1.1)] + Array(repeating: (1e-4, 1e-4, 0.995), count: 4)
        let alerts = Detection.run(Self.cycles(plan), cell: Detection.fullCell)
        #expect(alerts.filter { $0.rule == .S6 }.isEmpty, "\(alerts)")
        // The same dip at a steady current is a collapse.
        var steady: [(charge: Double, discharge: Double, efficiency: Double)] = Array(repeating: (1e-4, 1e-4, 0.995), count: 6)
        steady += Array(repeating: (1e-4, 1e-4, 0.85), count: 3)
        #expect(Detection.run(Self.cycles(steady), cell: Detection.fullCell).contains { $0.rule == .S6 && $0.severity == .fail })
    }

    /// A GITT discharge at the cycling current (12 pulses of 10 min with 1 h rests) is one cycle,
    /// judged once when it ends: not twelve cycles of a twelfth of the capacity (E1, S6).
    @Test func aGittDischargeIsOneCycleNotTwelve() {
        var trace = SampleTrace()
        trace.addCycles(Array(repeating: (1e-4, 1e-4, 0.995), count: 8))
        // Logged every 10 s, as a cycler logs pulses.
        trace.intervalSeconds = 10
        trace.add(7200, { 3.6 + 0.6 * $0 }, 1e-4)
        trace.add(1800, { _ in 4.15 }, 0)
        for pulse in 0..<12 {
            let top = 4.1 - 1.1 * Double(pulse) / 12
            trace.add(600 * 0.995, { top - 0.09 * $0 }, -1e-4)
            trace.add(3600, { _ in top - 0.05 }, 0)
        }
        trace.intervalSeconds = 60
        trace.addCycles(Array(repeating: (1e-4, 1e-4, 0.995), count: 4))
        let samples = trace.samples
        var detector = CellDetector(cell: Detection.fullCell)
        detector.collectsSummaries = true
        var alerts: [Alert] = []
        detector.ingest(SampleColumns(samples), into: &alerts)
        detector.finish(into: &alerts)
        #expect(alerts.warnOrFail.isEmpty, "\(alerts)")
        let gitt = detector.drainSummaries().cycles.first { $0.cycle == 9 }
        #expect(gitt.map { abs($0.dischargeCapacityAmpHours / $0.chargeCapacityAmpHours - 0.995) < 0.03 } == true)
        #expect(gitt?.stateOfHealth.map { $0 > 0.95 } == true, "judged once, on the whole cycle")
    }

    /// Formation at C/10 for two cycles, then ageing at C/3: the capacity reference is the C/3
    /// cycles', so their fade reaches E1.
    @Test func theCapacityReferenceFollowsTheAgeingCurrent() throws {
        var plan: [(charge: Double, discharge: Double, efficiency: Double)] = Array(repeating: (1e-4, 1e-4, 0.99), count: 2)
        for cycle in 0..<30 {
            plan.append((3.3e-4, 3.3e-4, cycle < 10 ? 0.99 : 0.99 - 0.03 * Double(cycle - 9)))
        }
        let alerts = Detection.run(Self.cycles(plan), cell: Detection.fullCell)
        let endOfLife = try #require(alerts.first(.E1), "\(alerts)")
        #expect(endOfLife.cycle > 12)
    }
}

/// Q1 notes aggregated per kind (docs/detectors.md §6.2), and alert episodes.
@Suite struct AlertEpisodeTests {
    @Test func repeatedGapsAreOneNoteWithACount() {
        var samples: [Sample] = []
        var time = 0.0
        for block in 0..<5 {
            for index in 0..<50 {
                samples.append(Sample(testTimeSeconds: time, voltageVolts: 3.7, currentAmperes: index < 25 ? 1e-4 : -1e-4))
                time += 60
            }
            time += block < 4 ? 7200 : 0
        }
        let outcome = DetectionRun.run(SampleColumns(samples), cellID: "gaps", options: DetectionOptions())
        let gaps = outcome.alerts.filter { $0.kind == DataQualityKind.loggingGap.rawValue }
        #expect(gaps.count == 1)
        #expect(gaps.first?.count == 4)
        #expect(gaps.first.map { $0.lastTestTimeSeconds! > $0.testTimeSeconds } == true)
        // With a quiet period shorter than the spacing, each gap is its own episode again.
        var options = DetectionOptions()
        options.thresholds.q1EpisodeQuietSeconds = 3000
        let separate = DetectionRun.run(SampleColumns(samples), cellID: "gaps", options: options)
        #expect(separate.alerts.filter { $0.kind == DataQualityKind.loggingGap.rawValue }.count == 4)
    }

    @Test func repeatedTestTimesAreKeptNotNoted() {
        // Every sample logged twice with the same time: nothing noted, and the charge still counts.
        let single = FullCellGenerator(cycles: 3).samples()
        let doubled = single.flatMap { [$0, $0] }
        let alerts = Detection.run(doubled, cell: Detection.fullCell)
        #expect(alerts.filter { $0.rule == .Q1 }.isEmpty, "\(alerts)")
        var once = CellDetector(cell: Detection.fullCell)
        var twice = CellDetector(cell: Detection.fullCell)
        once.collectsSummaries = true
        twice.collectsSummaries = true
        _ = once.ingest(SampleColumns(single)); _ = once.finish()
        _ = twice.ingest(SampleColumns(doubled)); _ = twice.finish()
        let a = once.drainSummaries().cycles.map(\.chargeCapacityAmpHours)
        let b = twice.drainSummaries().cycles.map(\.chargeCapacityAmpHours)
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) { #expect(abs(x - y) <= 0.01 * x) }
    }

    @Test func aQuantisedTemperatureAtOneHertzIsNotAFastChange() {
        func samples(_ temperature: (Int) -> Double) -> [Sample] {
            (0..<4000).map { Sample(testTimeSeconds: Double($0), voltageVolts: 3.7, currentAmperes: 0, temperatureCelsius: temperature($0)) }
        }
        let quantised = Detection.run(samples { $0 % 2 == 0 ? 25.0 : 25.1 }, cell: Detection.fullCell)
        #expect(quantised.filter { $0.kind == DataQualityKind.thermalRate.rawValue }.isEmpty, "\(quantised)")
        let ramp = Detection.run(samples { 25 + Double($0) / 60 * 2 }, cell: Detection.fullCell)
        #expect(ramp.filter { $0.kind == DataQualityKind.thermalRate.rawValue }.count == 1)
    }

    @Test func warnEpisodesOpenAndEnd() {
        var detector = CellDetector(cell: Detection.fullCell)
        detector.collectsEpisodes = true
        var alerts: [Alert] = []
        // S6's rolling-mean warn: ten cycles at CE 0.96 after a 0.995 baseline, then back to 0.995.
        var plan: [(charge: Double, discharge: Double, efficiency: Double)] = Array(repeating: (1e-4, 1e-4, 0.995), count: 8)
        plan += Array(repeating: (1e-4, 1e-4, 0.96), count: 12) + Array(repeating: (1e-4, 1e-4, 0.995), count: 12)
        detector.ingest(SampleColumns(OperatingWindowTests.cycles(plan)), into: &alerts)
        detector.finish(into: &alerts)
        let warn = alerts.filter { $0.rule == .S6 && $0.severity == .warn }
        #expect(warn.count == 1, "\(alerts)")
        let episodes = detector.drainEpisodes().filter { $0.rule == .S6 }
        #expect(episodes.map(\.phase) == [.opened, .closed])
        #expect(episodes.allSatisfy { $0.startTestTimeSeconds == warn.first?.testTimeSeconds })
        #expect(episodes.last.map { $0.lastTestTimeSeconds > $0.startTestTimeSeconds } == true)
    }
}
