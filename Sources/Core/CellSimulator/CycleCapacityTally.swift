import CellModel

/// Charge and discharge capacity per cycle, read off a sample stream the way a test summary
/// does. Used by the paper checks (SOH after 96 cycles, rate capability) and handy for any
/// consumer of simulated full cells. Memory grows with cycles, not samples.
///
/// It reads the simulated instrument's per-step counter (`Sample.capacityAmpHours`) the way
/// `cellfleet inspect` reads a real one's (`InstrumentCycleCapacityTally`, rule `perStep`), so
/// the paper's figures are checked against what an instrument would report; only a stream
/// without a counter is coulomb-counted. The detector's `CycleSummary` counts coulombs always,
/// for the reasons given there, and is lower by the interval before each step's first sample.
public struct CycleCapacityTally: Sendable {
    public struct Cycle: Sendable, Hashable {
        public var cycleIndex: Int
        public var chargeAmpHours: Double
        public var dischargeAmpHours: Double
        /// Mean |current| of the discharge (A), to tell rate-test blocks apart.
        public var dischargeCurrentAmperes: Double

        public var coulombicEfficiency: Double { chargeAmpHours > 0 ? dischargeAmpHours / chargeAmpHours : .nan }
    }

    public private(set) var cycles: [Cycle] = []
    private var previous: Sample?
    private var stepAmpHours = 0.0

    public init() {}

    public init(_ samples: some Sequence<Sample>) {
        for sample in samples { add(sample) }
    }

    /// Uses the cycler's step capacity counter when the samples carry one, else integrates
    /// |I| by the trapezoid rule within each step.
    public mutating func add(_ sample: Sample) {
        defer { previous = sample }
        guard let cycleIndex = sample.cycleIndex.map(Int.init) else { return }
        if cycles.last?.cycleIndex != cycleIndex {
            cycles.append(Cycle(cycleIndex: cycleIndex, chargeAmpHours: 0, dischargeAmpHours: 0, dischargeCurrentAmperes: 0))
        }
        let sameStep = previous.map { $0.stepIndex == sample.stepIndex && $0.cycleIndex == sample.cycleIndex } ?? false
        let increment: Double
        if let counter = sample.capacityAmpHours {
            increment = sameStep ? counter - stepAmpHours : counter
            stepAmpHours = counter
        } else if sameStep, let previous {
            increment = 0.5 * (abs(previous.currentAmperes) + abs(sample.currentAmperes)) * (sample.testTimeSeconds - previous.testTimeSeconds) / 3600
        } else {
            increment = 0
        }
        let last = cycles.count - 1
        if sample.currentAmperes > 0 {
            cycles[last].chargeAmpHours += increment
        } else if sample.currentAmperes < 0 {
            cycles[last].dischargeAmpHours += increment
            cycles[last].dischargeCurrentAmperes = abs(sample.currentAmperes)
        }
    }
}
