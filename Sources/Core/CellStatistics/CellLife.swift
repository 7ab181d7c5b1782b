/// One cell's life as survival analysis sees it: how long it ran and whether that run ended in
/// the event (failure) or was right-censored (still running, or stopped for an unrelated reason).
///
/// The life is in whatever unit the lab chose for the comparison (cycles to EOL, hours, CAC);
/// the statistics do not care, as long as every cell in one analysis uses the same unit.
public struct CellLife: Sendable, Hashable {
    public var cell: String
    public var group: String
    public var life: Double
    public var failed: Bool
    /// Where the cell was cycled; used only to spot channels that kill cells.
    public var channel: String?
    public var cycler: String?
    /// Failure mode (short, polarization, fade, ...) for failed cells; competing causes are
    /// counted, never folded into one Weibull.
    public var kind: String?

    public init(cell: String, group: String, life: Double, failed: Bool,
                channel: String? = nil, cycler: String? = nil, kind: String? = nil) {
        self.cell = cell
        self.group = group
        self.life = life
        self.failed = failed
        self.channel = channel
        self.cycler = cycler
        self.kind = kind
    }
}

/// Inputs the estimators refuse, rather than return numbers that mean nothing.
public enum SurvivalInputError: Error, Equatable, CustomStringConvertible {
    case noCells(group: String)
    case invalidLife(group: String, life: Double)

    public var description: String {
        switch self {
        case .noCells(let group): return "group '\(group)' has no cells"
        case .invalidLife(let group, let life):
            return "group '\(group)': life \(life) is not a finite number >= 0"
        }
    }
}
