/// The opening or the end of an alert's episode, for a consumer that keeps alerts open while
/// their condition lasts (the live coordinator resolves a warn episode when it ends, and counts
/// a Q1 note's occurrences), where `detect` prints one line per episode.
///
/// Fail alerts latch (docs/detectors.md §2.4): their episodes open and never end in the core;
/// a person resolves them. Warn episodes end when their rule re-arms; a Q1 note's episode ends
/// after `DetectorThresholds.q1EpisodeQuietSeconds` of test time without a new occurrence, or
/// when the test finishes.
public struct AlertEpisode: Codable, Sendable, Hashable {
    public enum Phase: String, Codable, Sendable, Hashable {
        case opened, closed
    }

    public var phase: Phase
    public var rule: DetectionRule
    public var severity: AlertSeverity
    /// Q1's kind (`DataQualityKind`), nil for the other rules.
    public var kind: String?
    /// The test time of the alert that opened the episode: with rule and kind, its key.
    public var startTestTimeSeconds: Double
    public var lastTestTimeSeconds: Double
    /// Occurrences in the episode so far (1 for a rule that fires once per episode).
    public var count: Int

    public init(phase: Phase, rule: DetectionRule, severity: AlertSeverity, kind: String?,
                startTestTimeSeconds: Double, lastTestTimeSeconds: Double, count: Int) {
        self.phase = phase
        self.rule = rule
        self.severity = severity
        self.kind = kind
        self.startTestTimeSeconds = startTestTimeSeconds
        self.lastTestTimeSeconds = lastTestTimeSeconds
        self.count = count
    }

    /// Whether `alert` is the one that opened this episode.
    public func opened(_ alert: Alert) -> Bool {
        alert.rule == rule && alert.kind == kind && alert.severity == severity && alert.testTimeSeconds == startTestTimeSeconds
    }
}
