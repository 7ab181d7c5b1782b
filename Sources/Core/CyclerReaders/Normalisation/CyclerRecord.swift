import CellModel

/// One time-series record in our units (SI, positive current = charge) together with the
/// instrument's own facts that the normalised sample cannot carry: its cycle numbering, step,
/// state label and raw capacity counters, which cycle summaries must be computed from.
/// (`RecordNormaliser.normalise` writes each record field by field, for speed: a field added
/// here must be set there too.)
public struct CyclerRecord: Sendable, Hashable {
    public var sample: Sample
    /// 0-based index of the record in the source (resume position).
    public var recordIndex: Int
    /// Cycle as the instrument (or its export software's rule) numbers it; never renumbered.
    public var instrumentCycle: Int?
    public var stepNumber: Int?
    public var halfCycle: Int?
    public var stateLabel: String?
    public var direction: CurrentDirection
    /// The test-time column converted to seconds, as written (not rebased, not resumed).
    public var testTimeAsWrittenSeconds: Double?
    /// Capacity counters in Ah, as the instrument scopes them (step, half cycle, cycle).
    public var chargeCounterAmpHours: Double?
    public var dischargeCounterAmpHours: Double?
    /// Single counter whose direction is the state's (or, for signed counters, its sign).
    public var capacityCounterAmpHours: Double?
    public var capacityCounterIsSigned: Bool
}

/// The codes (1–4) are what a saved `NormaliserState` holds.
public enum CurrentDirection: Int, Sendable, Hashable, Codable {
    case charge = 1, discharge, rest, unknown

    init(_ stepType: StepType) {
        if stepType.isCharge { self = .charge } else if stepType.isDischarge { self = .discharge } else if stepType == .rest { self = .rest } else { self = .unknown }
    }
}
