import CellModel
import Foundation
import Testing
@testable import CellDetection

/// Graphite | Li half cell (docs/detectors.md §5.9): lithiation (discharge) to 5 mV, delithiation
/// (charge) to 1.5 V, 30 min rests, starting from a fresh cell's 2.9 V rest. The first cycle
/// loses 12 % to the SEI; later cycles keep `efficiency`.
struct AnodeHalfCellGenerator {
    var cycles = 30
    var intervalSeconds = 60.0
    var currentAmperes = 2e-4
    var capacityAmpHours = 2e-3
    var efficiency = 0.998
    /// Fraction of the initial capacity left in cycle n (1-based).
    var capacityFraction: (Int) -> Double = { _ in 1 }
    /// From this cycle on, the delithiation sits at the lithium potential (a short to the counter).
    var shortFromCycle: Int?
    var upperCutoffVolts = 1.5
    var seed: UInt64 = 3

    /// Open-circuit potential of graphite against Li at lithiation fraction x (0 … 1).
    static func openCircuit(_ x: Double) -> Double {
        let x = min(max(x, 0), 1)
        if x < 0.05 { return 1.5 - 26 * x }
        if x < 0.3 { return 0.2 - 0.3 * (x - 0.05) }
        if x < 0.6 { return 0.125 - 0.1 * (x - 0.3) }
        if x < 0.97 { return 0.095 - 0.1 * (x - 0.6) }
        return 0.058 - 1.8 * (x - 0.97)
    }

    func samples() -> [Sample] {
        var random = TestRandom(seed: seed)
        var result: [Sample] = []
        var time = 0.0
        var x = 0.0
        let resistanceOhms = 50.0
        func emit(_ current: Double, _ voltage: Double) {
            result.append(Sample(testTimeSeconds: time, voltageVolts: voltage + 0.0005 * random.gaussian(), currentAmperes: current))
            time += intervalSeconds
        }
        for _ in 0..<60 { emit(0, 2.9) }
        for cycle in 1...cycles {
            let capacity = capacityAmpHours * capacityFraction(cycle)
            let stored = cycle == 1 ? capacity / 0.88 : capacity / efficiency
            var charge = 0.0
            // lithiation: the SEI takes the first cycle's extra charge before x moves
            while true {
                let dq = currentAmperes * intervalSeconds / 3600
                charge += dq
                if charge > stored - capacity { x += dq / capacity }
                let voltage = Self.openCircuit(x) - currentAmperes * resistanceOhms
                emit(-currentAmperes, voltage)
                if voltage <= 0.005 || charge > 1.5 * stored { break }
            }
            for _ in 0..<30 { emit(0, Self.openCircuit(x)) }
            charge = 0
            while true {
                let dq = currentAmperes * intervalSeconds / 3600
                charge += dq
                x -= dq / capacity
                var voltage = Self.openCircuit(x) + currentAmperes * resistanceOhms
                if let short = shortFromCycle, cycle >= short { voltage = 0.0005 }
                emit(currentAmperes, voltage)
                if voltage >= upperCutoffVolts || charge > 1.5 * capacity { break }
            }
            x = 0
            for _ in 0..<30 { emit(0, min(Self.openCircuit(x), 1.2)) }
        }
        return result
    }
}

@Suite struct HalfCellTests {
    static let anode = CellMetadata(cellID: "gr", cellType: .half, workingElectrode: .anode, electrodeAreaSquareMeters: 1.13e-4)

    @Test func anAnodeHalfCellIsInferredAsOneAndNeverAsSymmetric() {
        let guess = CellTypeInference.infer(from: SampleColumns(AnodeHalfCellGenerator(cycles: 4).samples()))
        #expect(guess.cellType == .half)
        #expect(guess.workingElectrode == .anode)
        #expect(guess.confidence >= 0.8)
        // 0.005–3.1 V, the held-back file's window: still a half cell.
        var wide = AnodeHalfCellGenerator(cycles: 4)
        wide.upperCutoffVolts = 3.1
        #expect(CellTypeInference.infer(from: SampleColumns(wide.samples())).cellType == .half)
    }

    @Test func aHealthyAnodeHalfCellRaisesNothingWhetherGivenOrInferred() {
        let samples = AnodeHalfCellGenerator().samples()
        let given = Detection.run(samples, cell: Self.anode)
        #expect(given.warnOrFail.isEmpty, "\(given)")
        let inferred = DetectionRun.run(SampleColumns(samples), cellID: "gr", options: DetectionOptions())
        #expect(inferred.cell.cellType == .half && inferred.cell.workingElectrode == .anode)
        #expect(inferred.alerts.warnOrFail.isEmpty, "\(inferred.alerts)")
    }

    @Test func coulombicEfficiencyIsDelithiationOverLithiation() {
        var detector = CellDetector(cell: Self.anode)
        detector.collectsSummaries = true
        _ = detector.ingest(SampleColumns(AnodeHalfCellGenerator(cycles: 6).samples()))
        _ = detector.finish()
        let cycles = detector.drainSummaries().cycles.filter { $0.chargeCapacityAmpHours > 0 && $0.dischargeCapacityAmpHours > 0 }
        #expect(cycles.count >= 5)
        let first = cycles[0].chargeCapacityAmpHours / cycles[0].dischargeCapacityAmpHours
        #expect(abs(first - 0.88) < 0.02, "formation CE \(first)")
        for cycle in cycles.dropFirst() {
            let efficiency = cycle.chargeCapacityAmpHours / cycle.dischargeCapacityAmpHours
            #expect(efficiency < 1 && efficiency > 0.99, "cycle \(cycle.cycle): CE \(efficiency)")
            #expect(cycle.cellCoulombicEfficiency == efficiency, "the summary carries the cell's own CE")
        }
        let margin = detector.explanation.margins.first { $0.rule == .S6 }
        #expect(margin.map { $0.value < 1 && $0.value > 0.99 } == true, "\(String(describing: margin))")
    }

    @Test func anAnodeHalfCellsCapacityFadeReachesEndOfLife() {
        var generator = AnodeHalfCellGenerator(cycles: 40)
        generator.capacityFraction = { n in n <= 10 ? 1 : max(0.5, 1 - 0.02 * Double(n - 10)) }
        let alerts = Detection.run(generator.samples(), cell: Self.anode)
        let endOfLife = try? #require(alerts.first(.E1))
        #expect(endOfLife.map { $0.cycle >= 20 && $0.cycle <= 23 } == true, "\(alerts)")
        #expect(alerts.first(.H2) == nil)
    }

    @Test func aDelithiationStuckAtTheLithiumPotentialIsAHardShort() {
        var generator = AnodeHalfCellGenerator(cycles: 12)
        generator.shortFromCycle = 8
        let alerts = Detection.run(generator.samples(), cell: Self.anode)
        let short = try? #require(alerts.first(.H2))
        #expect(short?.cycle == 8, "\(alerts)")
        // Its healthy twin reaches 5 mV at the end of every lithiation, by design: no short.
        #expect(Detection.run(AnodeHalfCellGenerator(cycles: 12).samples(), cell: Self.anode).first(.H2) == nil)
    }
}
