import CellModel

/// Plateau overpotential per half-cycle of a symmetric cell (docs/detectors.md §3.4):
/// η_plat = time-weighted mean |V| over the half-cycle after skipping its first `skipSeconds`.
/// An analysis helper for tests and reports; memory grows with half-cycles, not samples.
public struct HalfCycleOverpotentialTally: Sendable {
    public struct HalfCycle: Sendable, Hashable {
        public var stepIndex: Int
        public var startTestTimeSeconds: Double
        public var endTestTimeSeconds: Double
        public var currentAmperes: Double
        public var plateauOverpotentialVolts: Double
        public var maximumOverpotentialVolts: Double
    }

    public let skipSeconds: Double
    public private(set) var halfCycles: [HalfCycle] = []
    private var previous: Sample?
    private var integral = 0.0
    private var plateauSeconds = 0.0

    public init(skipSeconds: Double = 60) {
        self.skipSeconds = skipSeconds
    }

    public init(_ samples: some Sequence<Sample>, skipSeconds: Double = 60) {
        self.init(skipSeconds: skipSeconds)
        for sample in samples { add(sample) }
    }

    public mutating func add(_ sample: Sample) {
        defer { previous = sample }
        let step = Int(sample.stepIndex ?? 0)
        if halfCycles.last?.stepIndex != step {
            // A step starts where the previous one logged its last point.
            let start = previous?.testTimeSeconds ?? sample.testTimeSeconds
            halfCycles.append(HalfCycle(
                stepIndex: step, startTestTimeSeconds: start, endTestTimeSeconds: sample.testTimeSeconds,
                currentAmperes: sample.currentAmperes, plateauOverpotentialVolts: .nan, maximumOverpotentialVolts: abs(sample.voltageVolts)
            ))
            integral = 0
            plateauSeconds = 0
            return
        }
        guard let previous else { return }
        let last = halfCycles.count - 1
        let start = halfCycles[last].startTestTimeSeconds
        halfCycles[last].endTestTimeSeconds = sample.testTimeSeconds
        halfCycles[last].maximumOverpotentialVolts = max(halfCycles[last].maximumOverpotentialVolts, abs(sample.voltageVolts))
        if previous.testTimeSeconds - start >= skipSeconds {
            let dt = sample.testTimeSeconds - previous.testTimeSeconds
            integral += 0.5 * (abs(previous.voltageVolts) + abs(sample.voltageVolts)) * dt
            plateauSeconds += dt
            halfCycles[last].plateauOverpotentialVolts = integral / plateauSeconds
        }
    }
}
