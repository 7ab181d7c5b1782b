/// The rule identifiers of the detector specification (docs/detectors.md §1.2). The raw values are a
/// contract: they appear in `cellfleet detect` output and in stored alerts.
public enum DetectionRule: String, Sendable, Hashable, Codable, CaseIterable {
    case P1, P2, P3, P4, H1, H2, S1, S2, S3, S4, S5, S6, S7, E1, E2, R1, Q1

    /// The severity an alert of this rule normally carries. S6 also has a rolling-mean WARN part,
    /// which is the one place where an alert's severity differs from its rule's default.
    public var defaultSeverity: AlertSeverity {
        switch self {
        case .P2, .P3, .P4, .H1, .H2, .S5, .S6, .E1: .fail
        case .P1, .S1, .S2, .S3, .S4, .S7, .E2, .R1: .warn
        case .Q1: .info
        }
    }

    /// Fail rules are terminal verdicts: they latch for the rest of the test (docs/detectors.md §2.4).
    public var latches: Bool { defaultSeverity == .fail }
}

/// Three levels only, so that downstream routing (Alertmanager severities, dashboards) stays simple.
public enum AlertSeverity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case info, warn, fail

    public static func < (lhs: AlertSeverity, rhs: AlertSeverity) -> Bool {
        lhs.rank < rhs.rank
    }

    private var rank: Int {
        switch self {
        case .info: 0
        case .warn: 1
        case .fail: 2
        }
    }
}
