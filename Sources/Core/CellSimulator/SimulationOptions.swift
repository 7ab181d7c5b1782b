/// The knobs a user turns on a preset from the command line, kept here so they are testable.
public struct SimulationOptions: Sendable {
    public var seed: UInt64
    public var sampleIntervalSeconds: Double?
    public var durationHours: Double?

    public init(seed: UInt64, sampleIntervalSeconds: Double? = nil, durationHours: Double? = nil) {
        self.seed = seed
        self.sampleIntervalSeconds = sampleIntervalSeconds
        self.durationHours = durationHours
    }

    public func simulation(of preset: ScenarioPreset) -> CellSimulation {
        CellSimulation(
            preset: preset, seed: seed, sampleIntervalSeconds: sampleIntervalSeconds,
            durationSeconds: durationHours.map { $0 * 3600 }
        )
    }
}
