import CellModel

/// Options of an offline detection run (`cellfleet detect`), in the CLI's units.
public struct DetectionOptions: Sendable {
    /// nil: inferred from the voltage (see `CellTypeInference`).
    public var cellType: CellType?
    /// A half cell's working electrode; nil: inferred from the voltage range.
    public var workingElectrode: WorkingElectrode?
    /// docs/detectors.md §1.4 defaults: a 10 mm die (0.785 cm²) and a 5 V instrument clamp.
    public var areaSquareCentimeters: Double? = 0.785
    public var activeMassMilligrams: Double?
    public var nominalCapacityMilliampHours: Double?
    /// The protocol's voltage limits; nil: learned from the cell's first cycles.
    public var voltageMinVolts: Double?
    public var voltageMaxVolts: Double?
    public var voltageClampVolts: Double? = 5.0
    public var thresholds = DetectorThresholds.defaults

    public init() {}

    public func metadata(cellID: String, inferredType: CellType) -> CellMetadata {
        CellMetadata(
            cellID: cellID,
            cellType: cellType ?? inferredType,
            workingElectrode: workingElectrode,
            electrodeAreaSquareMeters: areaSquareCentimeters.map { $0 / 10_000 },
            activeMassKilograms: activeMassMilligrams.map { $0 / 1_000_000 },
            nominalCapacityAmpHours: nominalCapacityMilliampHours.map { $0 / 1000 },
            voltageMinVolts: voltageMinVolts,
            voltageMaxVolts: voltageMaxVolts
        )
    }
}

/// What an offline detection run found: the alerts (each Q1 episode once, with its count) and
/// what `detect --explain` shows.
public struct DetectionOutcome: Sendable {
    public var alerts: [Alert]
    /// The inference's guess, also when the options gave the type (then it is only shown).
    public var guess: CellTypeGuess
    public var cell: CellMetadata
    public var explanation: DetectionExplanation
}

/// Offline detection: a whole recorded channel through one `CellDetector`. (`cellfleet detect`
/// renders the alerts as JSON lines: `DetectionReport` in CellfleetReports.)
public enum DetectionRun {
    public static func detect(_ columns: SampleColumns, cellID: String, options: DetectionOptions) -> [Alert] {
        run(columns, cellID: cellID, options: options).alerts
    }

    public static func run(_ columns: SampleColumns, cellID: String, options: DetectionOptions) -> DetectionOutcome {
        let guess = CellTypeInference.infer(from: columns)
        let cell = CellTypeInference.resolve(options.metadata(cellID: cellID, inferredType: guess.cellType),
                                             cellTypeKnown: true, by: guess)
        var detector = CellDetector(cell: cell, thresholds: options.thresholds, voltageClampVolts: options.voltageClampVolts)
        detector.collectsEpisodes = true
        var alerts: [Alert] = []
        detector.ingest(columns, into: &alerts)
        detector.finish(into: &alerts)
        // One line per episode: a closed episode's count and last time go onto the alert that opened it.
        for episode in detector.drainEpisodes() where episode.phase == .closed && episode.kind != nil {
            if let index = alerts.lastIndex(where: episode.opened) {
                alerts[index].count = episode.count
                alerts[index].lastTestTimeSeconds = episode.lastTestTimeSeconds
            }
        }
        return DetectionOutcome(alerts: alerts, guess: guess, cell: detector.cell, explanation: detector.explanation)
    }
}
