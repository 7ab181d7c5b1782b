import Foundation

/// The fleet-health rules (F1 test silent, F2 agent lost, F3 clock ahead) as a value: fed what
/// the coordinators observe — tests starting and ending, samples arriving with their clocks,
/// agents heard from — and the time, it decides which episodes to raise and which to resolve.
///
/// Times are seconds on one clock, the observer's (the shell uses the database's, so that several
/// coordinators agree). The monitor keeps which episodes are open; the shell loads the whole state
/// (including the open alerts) from the database at each evaluation, so the decisions are right
/// with several coordinators and across restarts, and applying them twice changes nothing.
public struct FleetHealthMonitor: Sendable, Equatable {
    public var limits: FleetHealthLimits
    /// Since when the fleet has been watched (the coordinator's start): a silence before it may
    /// be the coordinators' own outage, so silences are counted from no earlier than this.
    public var observingSinceSeconds: Double

    /// A test as the rules see it.
    public struct WatchedTest: Sendable, Equatable {
        public var agentID: String
        /// Not ended (tests.ended_at IS NULL).
        public var isRunning: Bool
        /// When the coordinators learnt of the test: the start of its silence until it sends.
        public var registeredAtSeconds: Double
        public var cadence: ArrivalCadence
        /// How far its newest sample's clock was ahead of the coordinator's at arrival.
        public var sampleClockAheadSeconds: Double?
        /// The episodes open for it (F1, F3).
        public var open: Set<FleetHealthRule>

        public init(agentID: String, isRunning: Bool = true, registeredAtSeconds: Double, cadence: ArrivalCadence = ArrivalCadence(),
                    sampleClockAheadSeconds: Double? = nil, open: Set<FleetHealthRule> = []) {
            self.agentID = agentID
            self.isRunning = isRunning
            self.registeredAtSeconds = registeredAtSeconds
            self.cadence = cadence
            self.sampleClockAheadSeconds = sampleClockAheadSeconds
            self.open = open
        }
    }

    /// An agent as the rules see it.
    public struct WatchedAgent: Sendable, Equatable {
        /// The last time any coordinator heard from it (hello, heartbeat, delivery); nil if never.
        public var lastSeenSeconds: Double?
        /// Its last hello: a test's silence counts from no earlier than its agent's return (a
        /// returning agent's tests need a moment to send again, and were F2's meanwhile).
        public var connectedAtSeconds: Double?
        /// Whether its F2 episode is open.
        public var lostEpisodeOpen: Bool

        public init(lastSeenSeconds: Double?, connectedAtSeconds: Double? = nil, lostEpisodeOpen: Bool = false) {
            self.lastSeenSeconds = lastSeenSeconds
            self.connectedAtSeconds = connectedAtSeconds
            self.lostEpisodeOpen = lostEpisodeOpen
        }
    }

    public private(set) var tests: [String: WatchedTest] = [:]
    public private(set) var agents: [String: WatchedAgent] = [:]

    public init(limits: FleetHealthLimits = FleetHealthLimits(), observingSinceSeconds: Double) {
        self.limits = limits
        self.observingSinceSeconds = observingSinceSeconds
    }

    // MARK: observations

    /// A test became known (its start committed).
    public mutating func testStarted(_ testID: String, agentID: String, atSeconds seconds: Double) {
        guard tests[testID] == nil else { return }
        tests[testID] = WatchedTest(agentID: agentID, registeredAtSeconds: seconds)
    }

    /// New samples of a test committed at `seconds`; `newestSampleClockSeconds` is the largest
    /// unix time they carry (nil if none is finite).
    public mutating func samplesArrived(_ testID: String, atSeconds seconds: Double, newestSampleClockSeconds: Double?) {
        guard var test = tests[testID] else { return }
        test.cadence.arrived(atSeconds: seconds)
        if let clock = newestSampleClockSeconds, clock.isFinite { test.sampleClockAheadSeconds = clock - seconds }
        tests[testID] = test
    }

    public mutating func testEnded(_ testID: String) {
        tests[testID]?.isRunning = false
    }

    /// A heartbeat or delivery from the agent.
    public mutating func agentSeen(_ agentID: String, atSeconds seconds: Double) {
        let last = agents[agentID]?.lastSeenSeconds
        agents[agentID, default: WatchedAgent(lastSeenSeconds: nil)].lastSeenSeconds = max(last ?? seconds, seconds)
    }

    /// The agent said hello (connected or reconnected).
    public mutating func agentConnected(_ agentID: String, atSeconds seconds: Double) {
        agentSeen(agentID, atSeconds: seconds)
        agents[agentID]?.connectedAtSeconds = seconds
    }

    // MARK: restoring (the shell loads the state it stored)

    public mutating func restore(test testID: String, _ test: WatchedTest) { tests[testID] = test }
    public mutating func restore(agent agentID: String, _ agent: WatchedAgent) { agents[agentID] = agent }

    // MARK: deciding

    /// How long the agent has been unheard at `now`, counted from no earlier than the start of
    /// observation: what raises F2.
    public func agentSilenceSeconds(_ agentID: String, nowSeconds now: Double) -> Double {
        now - max(agents[agentID]?.lastSeenSeconds ?? observingSinceSeconds, observingSinceSeconds)
    }

    /// How long the agent has really been unheard: what keeps an open F2 open. A coordinator's
    /// restart delays a new episode but does not end one (it would only be raised again).
    func agentUnheardSeconds(_ agentID: String, nowSeconds now: Double) -> Double {
        now - (agents[agentID]?.lastSeenSeconds ?? -.infinity)
    }

    public func isAgentLost(_ agentID: String, nowSeconds now: Double) -> Bool {
        agentSilenceSeconds(agentID, nowSeconds: now) > limits.agentLostSeconds
    }

    /// How long the test has sent nothing at `now`, while watched and its agent connected: what
    /// raises F1.
    public func testSilenceSeconds(_ test: WatchedTest, nowSeconds now: Double) -> Double {
        now - max(test.cadence.lastArrivalSeconds ?? test.registeredAtSeconds, observingSinceSeconds,
                  agents[test.agentID]?.connectedAtSeconds ?? -.infinity)
    }

    /// How long the test has really sent nothing: what keeps an open F1 open (only its samples,
    /// or its end, end the episode — not a restart or its agent's reconnection).
    func testUnheardSeconds(_ test: WatchedTest, nowSeconds now: Double) -> Double {
        now - (test.cadence.lastArrivalSeconds ?? test.registeredAtSeconds)
    }

    /// The episodes to raise and resolve at `now`, in a fixed order (agents, then tests, by id);
    /// the monitor records them as applied.
    public mutating func evaluate(nowSeconds now: Double) -> [FleetHealthDecision] {
        var decisions: [FleetHealthDecision] = []
        var runningTests: [String: Int] = [:]
        for test in tests.values where test.isRunning { runningTests[test.agentID, default: 0] += 1 }

        // F2: one episode per agent, while it has running tests and is unheard past the limit.
        for agentID in Set(agents.keys).union(runningTests.keys).sorted() {
            var agent = agents[agentID] ?? WatchedAgent(lastSeenSeconds: nil)
            let running = runningTests[agentID] ?? 0
            let silence = agentSilenceSeconds(agentID, nowSeconds: now)
            let lost = running > 0 && silence > limits.agentLostSeconds
            let stillLost = running > 0 && agentUnheardSeconds(agentID, nowSeconds: now) > limits.agentLostSeconds
            let subject = FleetHealthSubject.agent(agentID: agentID)
            if lost && !agent.lostEpisodeOpen {
                agent.lostEpisodeOpen = true
                decisions.append(.raise(FleetHealthAlert(
                    rule: .agentLost, subject: subject,
                    message: "agent \(agentID) not heard from for \(Self.format(silence)) with \(running) running test\(running == 1 ? "" : "s")",
                    evidence: ["unheard_seconds": silence, "limit_seconds": limits.agentLostSeconds, "running_tests": Double(running)])))
            } else if !stillLost && agent.lostEpisodeOpen {
                agent.lostEpisodeOpen = false
                decisions.append(.resolve(.agentLost, subject))
            }
            agents[agentID] = agent
        }

        for testID in tests.keys.sorted() {
            guard var test = tests[testID] else { continue }
            let subject = FleetHealthSubject.test(testID: testID, agentID: test.agentID)

            // F1: silent past its limit. Not raised while its agent is lost: F2 already says so,
            // once for all the agent's tests. An open F1 stays open until samples come again.
            let silence = testSilenceSeconds(test, nowSeconds: now)
            let limit = limits.testSilentLimitSeconds(usualIntervalSeconds: test.cadence.usualIntervalSeconds)
            let silent = test.isRunning && silence > limit
            let stillSilent = test.isRunning && testUnheardSeconds(test, nowSeconds: now) > limit
            if silent && !test.open.contains(.testSilent) && !isAgentLost(test.agentID, nowSeconds: now) {
                test.open.insert(.testSilent)
                var evidence = ["silent_seconds": silence, "limit_seconds": limit]
                evidence["usual_interval_seconds"] = test.cadence.usualIntervalSeconds
                decisions.append(.raise(FleetHealthAlert(
                    rule: .testSilent, subject: subject,
                    message: "test sent nothing for \(Self.format(silence)) (limit \(Self.format(limit)))", evidence: evidence)))
            } else if !stillSilent && test.open.contains(.testSilent) {
                test.open.remove(.testSilent)
                decisions.append(.resolve(.testSilent, subject))
            }

            // F3: the newest samples stamped ahead of the coordinator's clock past the limit.
            let ahead = test.sampleClockAheadSeconds ?? -.infinity
            let aheadTooFar = test.isRunning && ahead > limits.clockAheadSeconds
            if aheadTooFar && !test.open.contains(.clockAhead) {
                test.open.insert(.clockAhead)
                decisions.append(.raise(FleetHealthAlert(
                    rule: .clockAhead, subject: subject,
                    message: "sample clock \(Self.format(ahead)) ahead of the coordinator's (limit \(Self.format(limits.clockAheadSeconds)))",
                    evidence: ["ahead_seconds": ahead, "limit_seconds": limits.clockAheadSeconds])))
            } else if !aheadTooFar && test.open.contains(.clockAhead) {
                test.open.remove(.clockAhead)
                decisions.append(.resolve(.clockAhead, subject))
            }
            tests[testID] = test
        }
        return decisions
    }

    /// Seconds for people: "95 s", "12.5 min", "3.2 h".
    static func format(_ seconds: Double) -> String {
        if seconds < 600 { return "\(Int(seconds.rounded())) s" }
        if seconds < 7200 { return String(format: "%.1f min", seconds / 60) }
        return String(format: "%.1f h", seconds / 3600)
    }
}
