/// When the fleet-health rules fire. The defaults are issue 12's; tests shorten them by the
/// coordinator's hidden `--health-…` flags.
public struct FleetHealthLimits: Sendable, Equatable {
    /// F1 never fires for a silence shorter than this, however regular the test's cadence.
    public var testSilentMinimumSeconds: Double = 300
    /// F1 fires for a silence longer than this many usual intervals (if above the minimum).
    public var testSilentIntervalMultiple: Double = 10
    /// F2 fires once an agent with running tests has been unheard for longer than this.
    public var agentLostSeconds: Double = 120
    /// F3 fires once a test's newest sample is stamped more than this ahead of the coordinator.
    public var clockAheadSeconds: Double = 300

    public init() {}

    public init(testSilentMinimumSeconds: Double, testSilentIntervalMultiple: Double = 10, agentLostSeconds: Double, clockAheadSeconds: Double) {
        self.testSilentMinimumSeconds = testSilentMinimumSeconds
        self.testSilentIntervalMultiple = testSilentIntervalMultiple
        self.agentLostSeconds = agentLostSeconds
        self.clockAheadSeconds = clockAheadSeconds
    }

    /// The silence after which F1 fires for a test whose usual interval is `usualIntervalSeconds`
    /// (nil: not yet known, only the minimum applies).
    public func testSilentLimitSeconds(usualIntervalSeconds: Double?) -> Double {
        max(testSilentIntervalMultiple * (usualIntervalSeconds ?? 0), testSilentMinimumSeconds)
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public func validate() throws {
        for (name, value) in [("test-silent minimum", testSilentMinimumSeconds), ("test-silent multiple", testSilentIntervalMultiple),
                              ("agent-lost limit", agentLostSeconds), ("clock-ahead limit", clockAheadSeconds)]
        where !(value > 0 && value.isFinite) {
            throw Invalid(description: "the fleet-health \(name) must be a positive number of seconds, not \(value)")
        }
    }
}
