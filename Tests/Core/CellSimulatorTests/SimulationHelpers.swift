import CellModel
@testable import CellSimulator

/// Shared helpers: look up a preset (failing loudly) and collect a simulation.
func preset(_ name: String) -> ScenarioPreset {
    guard let preset = ScenarioCatalog.preset(named: name) else {
        fatalError("no preset named \(name)")
    }
    return preset
}

func samples(_ name: String, seed: UInt64 = 1, intervalSeconds: Double? = nil, hours: Double? = nil) -> [Sample] {
    Array(CellSimulation(preset: preset(name), seed: seed, sampleIntervalSeconds: intervalSeconds, durationSeconds: hours.map { $0 * 3600 }))
}

/// Median of a non-empty array.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid])
}

let hour = 3600.0
let cathodeGrams = 7e-3

/// mAh per gram of LCO.
func specificCapacity(_ ampHours: Double) -> Double { ampHours * 1000 / cathodeGrams }

/// Q_ref as docs/detectors.md §5.1 defines it: median discharge capacity of cycles 2–6.
func referenceCapacity(_ cycles: [CycleCapacityTally.Cycle]) -> Double {
    median(cycles.filter { (2...6).contains($0.cycleIndex) }.map(\.dischargeAmpHours))
}
