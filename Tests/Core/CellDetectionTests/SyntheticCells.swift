import CellModel
import Foundation
import CellDetection

/// Small deterministic cell models for the unit tests, so each rule can be shown to fire on its
/// signature and stay quiet on the near-miss without depending on the full simulator.
struct TestRandom {
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(state: seed &+ 0x9E37_79B9_7F4A_7C15) }

    mutating func nextUInt64() -> UInt64 { generator.next() }

    mutating func uniform() -> Double { Double(nextUInt64() >> 11) / Double(1 << 53) }

    mutating func gaussian() -> Double {
        let u1 = max(uniform(), 1e-300)
        let u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}

/// Li | SE | Li per docs/detectors.md §7.2: V = s·η + ε + glitch, with nucleation and end-of-step rise.
struct SymmetricCellGenerator {
    var areaSquareCentimeters = 0.785
    /// mA cm⁻² for the n-th half-cycle (0-based).
    var currentDensity: (Int) -> Double = { _ in 0.1 }
    var halfCycleHours = 1.0
    var intervalSeconds = 60.0
    var durationHours = 50.0
    var noiseVolts = 0.0005
    /// Ω·cm² at test time (hours).
    var areaSpecificResistance: (Double) -> Double = { _ in 2000 }
    /// A parallel short's area resistance (Ω·cm²) at test time (hours), nil when none.
    var shortResistance: (Double) -> Double? = { _ in nil }
    var glitchProbability = 0.0
    var glitchVolts = 0.0
    var clampVolts = 5.0
    var seed: UInt64 = 1
    var startTime = 0.0

    func samples() -> [Sample] {
        var random = TestRandom(seed: seed)
        var result: [Sample] = []
        let halfCycleSeconds = halfCycleHours * 3600
        let count = Int(durationHours * 3600 / intervalSeconds)
        result.reserveCapacity(count)
        for index in 0..<count {
            let time = startTime + Double(index) * intervalSeconds
            let hours = time / 3600
            let halfCycle = Int(time / halfCycleSeconds)
            let tau = time - Double(halfCycle) * halfCycleSeconds
            let sign: Double = halfCycle % 2 == 0 ? 1 : -1
            let density = currentDensity(halfCycle) / 1000  // A cm⁻²
            var resistance = areaSpecificResistance(hours)
            if let shunt = shortResistance(hours) { resistance = resistance * shunt / (resistance + shunt) }
            let shape = 1 + 0.15 * exp(-tau / 60) + 0.05 * pow(tau / halfCycleSeconds, 4)
            var voltage = sign * density * resistance * shape + noiseVolts * random.gaussian()
            if glitchProbability > 0, random.uniform() < glitchProbability {
                voltage += (random.uniform() < 0.5 ? -1 : 1) * glitchVolts
            }
            voltage = min(max(voltage, -clampVolts), clampVolts)
            result.append(Sample(testTimeSeconds: time, voltageVolts: voltage,
                                 currentAmperes: sign * density * areaSquareCentimeters,
                                 temperatureCelsius: 25))
        }
        return result
    }
}

/// Li | LGPS | LCO per docs/detectors.md §7.3 (OCV table, IR, one RC, optional parallel short),
/// cycled CC 0.1C to 4.2 V, rest 2 h, CC to 3.0 V, rest 2 h.
struct FullCellGenerator {
    var cycles = 20
    var intervalSeconds = 60.0
    var noiseVolts = 0.001
    var massGrams = 0.007
    var usableFraction: (Int) -> Double = { n in 0.943 * (1 - 0.0006 * Double(n - 1)) }
    var resistanceOhms: (Int) -> Double = { n in 40 + 5.7 * Double(n - 1) }
    /// Parallel short (Ω) during the given cycle and step kind, nil when none.
    var shortOhms: (Int, StepKind, Double) -> Double? = { _, _, _ in nil }
    var seed: UInt64 = 1
    var writesCycleIndex = false

    static let table: [(Double, Double)] = [
        (0.44, 4.274), (0.46, 4.232), (0.50, 4.164), (0.55, 4.081), (0.60, 4.018), (0.65, 3.971), (0.70, 3.932),
        (0.75, 3.908), (0.80, 3.901), (0.85, 3.897), (0.90, 3.881), (0.94, 3.851), (0.96, 3.813), (0.97, 3.78),
        (0.98, 3.70), (0.99, 3.55), (1.00, 3.00),
    ]

    static func openCircuit(_ y: Double) -> Double {
        let y = min(max(y, 0.44), 1.0)
        for index in 1..<table.count where y <= table[index].0 {
            let (y0, u0) = table[index - 1]
            let (y1, u1) = table[index]
            return u0 + (u1 - u0) * (y - y0) / (y1 - y0)
        }
        return table.last!.1
    }

    func samples() -> [Sample] {
        var random = TestRandom(seed: seed)
        var result: [Sample] = []
        let theoreticalAmpHours = 0.274 * massGrams
        let current = 0.130 * massGrams * 0.1  // 0.1C of 130 mAh/g, in A
        var y = 0.99
        var relaxation = 0.0
        var time = 0.0
        func emit(_ cycle: Int, _ kind: StepKind, _ applied: Double, _ stepStart: Double) -> Double {
            let resistance = resistanceOhms(cycle)
            let open = Self.openCircuit(y)
            var ionic = applied
            if let shunt = shortOhms(cycle, kind, time - stepStart) {
                ionic = (applied * shunt - (open + relaxation)) / (shunt + resistance)
            }
            let voltage = open + ionic * resistance + relaxation + noiseVolts * random.gaussian()
            result.append(Sample(testTimeSeconds: time, voltageVolts: voltage, currentAmperes: applied,
                                 temperatureCelsius: 25, cycleIndex: writesCycleIndex ? Int32(cycle) : nil))
            let dt = intervalSeconds
            relaxation += dt / 3600 * (0.025 * ionic / current - relaxation)
            y -= ionic * dt / 3600 / (theoreticalAmpHours * usableFraction(cycle))
            y = min(max(y, 0.3), 1.0)
            time += dt
            return voltage
        }
        for cycle in 1...cycles {
            var start = time
            let limit = 1.5 * 10 * 3600.0
            while time - start < limit, emit(cycle, .charge, current, start) < 4.2 {}
            start = time
            while time - start < 7200 { _ = emit(cycle, .rest, 0, start) }
            start = time
            while time - start < limit, emit(cycle, .discharge, -current, start) > 3.0 {}
            start = time
            while time - start < 7200 { _ = emit(cycle, .rest, 0, start) }
        }
        return result
    }
}

enum Detection {
    static func run(_ samples: [Sample], cell: CellMetadata, thresholds: DetectorThresholds = .defaults,
                    clamp: Double? = 5) -> [Alert] {
        var detector = CellDetector(cell: cell, thresholds: thresholds, voltageClampVolts: clamp)
        var alerts: [Alert] = []
        for sample in samples { detector.ingest(sample, into: &alerts) }
        detector.finish(into: &alerts)
        return alerts
    }

    static let symmetricCell = CellMetadata(cellID: "sym", cellType: .symmetric, electrodeAreaSquareMeters: 0.785e-4)
    static let fullCell = CellMetadata(cellID: "full", cellType: .full, electrodeAreaSquareMeters: 0.785e-4, activeMassKilograms: 7e-6)
}

extension Array where Element == Alert {
    func first(_ rule: DetectionRule) -> Alert? { first { $0.rule == rule } }
    var rules: Set<DetectionRule> { Set(map(\.rule)) }
    var warnOrFail: [Alert] { filter { $0.severity != .info } }
}
