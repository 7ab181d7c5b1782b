import CellModel

/// A named, labelled simulated test: the cell, the cycler protocol, the instrument's artefacts and
/// what a correct detector must conclude about it (docs/detectors.md §8).
public struct ScenarioPreset: Sendable {
    public var name: String
    /// Other names the CLI accepts for this preset (e.g. `coated-long-run` for "1").
    public var aliases: [String]
    public var summary: String
    public var cell: CellMetadata
    /// The cycler's hard voltage limit: |V| never reads beyond it (5 V for symmetric cells, docs/detectors.md §8.1).
    public var voltageClampVolts: Double?
    /// Symmetric presets run exactly this long; full-cell presets end with their last programmed
    /// cycle, and this is an upper bound (every step at its time limit).
    public var durationSeconds: Double
    public var sampleIntervalSeconds: Double
    public var expectation: ScenarioExpectation
    /// The physics and protocol the simulator runs.
    public var model: SimulatedCellModel
    public var artefacts: InstrumentArtefacts

    public init(
        name: String,
        aliases: [String] = [],
        summary: String,
        cell: CellMetadata,
        voltageClampVolts: Double?,
        durationSeconds: Double,
        sampleIntervalSeconds: Double,
        expectation: ScenarioExpectation,
        model: SimulatedCellModel,
        artefacts: InstrumentArtefacts
    ) {
        self.name = name
        self.aliases = aliases
        self.summary = summary
        self.cell = cell
        self.voltageClampVolts = voltageClampVolts
        self.durationSeconds = durationSeconds
        self.sampleIntervalSeconds = sampleIntervalSeconds
        self.expectation = expectation
        self.model = model
        self.artefacts = artefacts
    }
}

/// Which of the two cell families a preset simulates.
public enum SimulatedCellModel: Sendable {
    case symmetric(SymmetricCellParameters)
    case full(FullCellParameters)
}
