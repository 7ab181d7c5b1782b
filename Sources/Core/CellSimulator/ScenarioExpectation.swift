/// What a correct detector concludes about a scenario, as labelled in docs/detectors.md §8.2.
///
/// Semantics: when `healthy` is true, no warn/fail alert of any rule may fire over the whole run,
/// except warns of the rules in `allowedOnHealthy`. Each `ExpectedAlert` constrains the **first**
/// alert of its rules. After a terminal alert, secondary alerts are allowed (docs/detectors.md §8.1) unless a rule is
/// in `forbiddenRules`.
public struct ScenarioExpectation: Sendable {
    public var healthy: Bool
    /// The first alert of each named rule must fall in its window.
    public var expectedAlerts: [ExpectedAlert]
    /// Rule IDs that must never fire (e.g. "P1", "P2", "P3" for scenario 3).
    public var forbiddenRules: Set<String>
    /// No warn/fail alert of any rule before this test time.
    public var quietBeforeTestTimeSeconds: Double?
    /// Same, in cycles (full-cell scenarios): nothing may fire in cycles below this one.
    public var quietBeforeCycle: Int?
    /// Warns allowed on a healthy cell, e.g. ["R1"].
    public var allowedOnHealthy: Set<String>
    /// Rules that must stay silent until a time or cycle, e.g. "no short alarm before P2" in #4.
    public var rulesQuietBefore: [RuleQuietPeriod]
    /// The verdict in words, as the design table states it (for reports).
    public var verdict: String

    public init(
        healthy: Bool,
        expectedAlerts: [ExpectedAlert] = [],
        forbiddenRules: Set<String> = [],
        quietBeforeTestTimeSeconds: Double? = nil,
        quietBeforeCycle: Int? = nil,
        allowedOnHealthy: Set<String> = [],
        rulesQuietBefore: [RuleQuietPeriod] = [],
        verdict: String = ""
    ) {
        self.healthy = healthy
        self.expectedAlerts = expectedAlerts
        self.forbiddenRules = forbiddenRules
        self.quietBeforeTestTimeSeconds = quietBeforeTestTimeSeconds
        self.quietBeforeCycle = quietBeforeCycle
        self.allowedOnHealthy = allowedOnHealthy
        self.rulesQuietBefore = rulesQuietBefore
        self.verdict = verdict.isEmpty ? (healthy ? "HEALTHY" : "") : verdict
    }
}

/// A window for the first alert of any of `rules`. Bounds are inclusive; a nil bound is open.
public struct ExpectedAlert: Sendable {
    /// Any of these satisfies it, e.g. ["S1", "S2"] for scenario 6.
    public var rules: Set<String>
    public var earliestTestTimeSeconds: Double?
    public var latestTestTimeSeconds: Double?
    public var earliestCycle: Int?
    public var latestCycle: Int?
    /// A window measured from the start (first sample) of cycle `earliestCycle`, for rules the
    /// design times relative to a cycle, e.g. "S4 within the first hour of the cycle-30 charge".
    public var earliestSecondsIntoCycle: Double?
    public var latestSecondsIntoCycle: Double?

    public init(
        rules: Set<String>,
        earliestTestTimeSeconds: Double? = nil,
        latestTestTimeSeconds: Double? = nil,
        earliestCycle: Int? = nil,
        latestCycle: Int? = nil,
        earliestSecondsIntoCycle: Double? = nil,
        latestSecondsIntoCycle: Double? = nil
    ) {
        self.rules = rules
        self.earliestTestTimeSeconds = earliestTestTimeSeconds
        self.latestTestTimeSeconds = latestTestTimeSeconds
        self.earliestCycle = earliestCycle
        self.latestCycle = latestCycle
        self.earliestSecondsIntoCycle = earliestSecondsIntoCycle
        self.latestSecondsIntoCycle = latestSecondsIntoCycle
    }

    /// A window in test hours.
    public static func hours(_ rules: Set<String>, _ earliest: Double?, _ latest: Double?) -> ExpectedAlert {
        ExpectedAlert(
            rules: rules,
            earliestTestTimeSeconds: earliest.map { $0 * 3600 },
            latestTestTimeSeconds: latest.map { $0 * 3600 }
        )
    }

    /// A window in cycles.
    public static func cycles(_ rules: Set<String>, _ earliest: Int?, _ latest: Int?) -> ExpectedAlert {
        ExpectedAlert(rules: rules, earliestCycle: earliest, latestCycle: latest)
    }
}

/// `rules` must not fire before the given test time or cycle.
public struct RuleQuietPeriod: Sendable {
    public var rules: Set<String>
    public var beforeTestTimeSeconds: Double?
    public var beforeCycle: Int?

    public init(rules: Set<String>, beforeTestTimeSeconds: Double? = nil, beforeCycle: Int? = nil) {
        self.rules = rules
        self.beforeTestTimeSeconds = beforeTestTimeSeconds
        self.beforeCycle = beforeCycle
    }
}
