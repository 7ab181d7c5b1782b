import CellModel
import CellSimulator
import Foundation

/// A simulated cycler channel running a preset of the cell simulator in wall-clock time: one
/// sample per sampling period, each advancing simulated test time by `testSecondsPerSample`
/// (1 / rate × speed factor). The simulator is deterministic per seed, so an agent restarted on
/// its spool re-creates the channel and skips to the next sequence number: the signal carries on.
public struct SimulatedChannel: Sendable {
    public let channelIndex: Int
    public let scenario: String
    public let seed: UInt64
    private var simulation: CellSimulation
    public let cell: CellMetadata

    /// The presets channels cycle through by default: coated (healthy, 200 mV) and bare
    /// (polarization blow-up) Li | LGPS | Li symmetric cells, as in the reference study.
    public static let defaultScenarios = ["1", "4"]

    public init(channelIndex: Int, scenario: String, seed: UInt64, testSecondsPerSample: Double, cellIDPrefix: String) throws {
        guard let preset = ScenarioCatalog.preset(named: scenario) else {
            throw AgentConfiguration.Invalid(description: "unknown simulator scenario '\(scenario)' (see `cellfleet simulate --list`)")
        }
        self.channelIndex = channelIndex
        self.scenario = scenario
        self.seed = seed
        simulation = CellSimulation(
            preset: preset, seed: seed &+ UInt64(channelIndex), sampleIntervalSeconds: testSecondsPerSample)
        var cell = preset.cell
        cell.cellID = "\(cellIDPrefix)-ch\(channelIndex + 1)-\(preset.name)"
        cell.attributes["scenario"] = preset.name
        cell.attributes["source"] = "simulated"
        self.cell = cell
    }

    /// Skips the samples an earlier run already produced (sequence numbers 1…`count`).
    public mutating func skip(_ count: UInt64) {
        var remaining = count
        while remaining > 0, simulation.next() != nil { remaining -= 1 }
    }

    /// The next sample, stamped with the wall-clock time it is taken at; nil when the simulated
    /// test has run its course.
    public mutating func next(unixTimeSeconds: Double) -> Sample? {
        guard var sample = simulation.next() else { return nil }
        sample.unixTimeSeconds = unixTimeSeconds
        return sample
    }
}
