/// One firing of one rule on one cell: the durable record that operators and the fleet statistics
/// see. `evidence` carries the numbers that crossed their thresholds, so that an alert can be
/// judged without replaying the raw data.
public struct Alert: Codable, Sendable, Hashable {
    public var rule: DetectionRule
    public var severity: AlertSeverity
    public var cellID: String
    public var testTimeSeconds: Double
    /// The cycle in which the rule fired (the cycler's cycle index when it records one).
    public var cycle: Int
    /// Values that crossed, by name, in SI units unless the name says otherwise.
    public var evidence: [String: Double]
    /// A short human-readable explanation, e.g. which clause of a rule fired.
    public var message: String
    /// Q1's kind of note (`DataQualityKind`), nil for the other rules.
    public var kind: String?
    /// Occurrences aggregated into this alert's episode (Q1 notes): 1 until its close is known.
    public var count: Int
    /// The test time of the episode's last occurrence, once its close is known.
    public var lastTestTimeSeconds: Double?

    public init(
        rule: DetectionRule,
        severity: AlertSeverity? = nil,
        cellID: String,
        testTimeSeconds: Double,
        cycle: Int,
        evidence: [String: Double],
        message: String,
        kind: String? = nil,
        count: Int = 1,
        lastTestTimeSeconds: Double? = nil
    ) {
        self.rule = rule
        self.severity = severity ?? rule.defaultSeverity
        self.cellID = cellID
        self.testTimeSeconds = testTimeSeconds
        self.cycle = cycle
        self.evidence = evidence
        self.message = message
        self.kind = kind
        self.count = count
        self.lastTestTimeSeconds = lastTestTimeSeconds
    }
}
