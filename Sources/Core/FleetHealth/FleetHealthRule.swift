/// The coordinator's own alerts about the fleet rather than a cell (issue 12 §3, issue 13; rule
/// ids are a contract). They are episodes, at most one open per test (F1, F3), agent (F2) or
/// agent's source file (F4), or a hole in a test's samples (F5, one per hole). F1–F3 are raised when the condition starts and resolved by the
/// coordinator when it ends (`FleetHealthMonitor`); F4 is raised when an agent reports a
/// quarantined file (`SourceQuarantineAlert`) or declares samples lost (`SampleLossAlert`) and
/// resolved by a person.
public enum FleetHealthRule: String, Sendable, Hashable, CaseIterable, Comparable {
    /// A running test has sent nothing for longer than max(10 × its usual interval, 5 min).
    case testSilent = "F1"
    /// An agent with running tests has not been heard from for more than 2 min.
    case agentLost = "F2"
    /// A test's sample clock runs more than 5 min ahead of the coordinator's.
    case clockAhead = "F3"
    /// An agent stopped following a source file (its earlier records changed, it shrank, or it
    /// cannot be parsed); the other files carry on.
    case sourceQuarantined = "F4"
    /// Samples of a test will never arrive: the agent declared them lost (its spool was damaged,
    /// or the coordinator refused them for good). The test carries on after the hole.
    case samplesLost = "F5"

    /// All of them warn: the data may be late, mis-stamped or not read at all, the cells themselves
    /// are not known to be failing, and a person should look — not be woken as for a fail.
    public static let severity = "warn"

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What a fleet-health alert is about: one test (F1, F3; its agent is named too) or one agent
/// (F2: one alert for the agent, however many tests it runs).
public enum FleetHealthSubject: Sendable, Hashable {
    case test(testID: String, agentID: String)
    case agent(agentID: String)

    public var agentID: String {
        switch self {
        case .test(_, let agentID), .agent(let agentID): agentID
        }
    }

    /// Nil for an agent-level alert (F2 carries a null test_id).
    public var testID: String? {
        if case .test(let testID, _) = self { return testID }
        return nil
    }
}
