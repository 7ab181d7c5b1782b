import PropertyBased
import Testing
@testable import FleetHealth

/// F1 (test silent), F2 (agent lost) and F3 (clock ahead) as decisions of the pure monitor:
/// each raised once when its condition starts, resolved when it ends, with the evidence people
/// need; never for a test or agent keeping within its limits.
struct FleetHealthMonitorTests {
    static let test = "3f1c9a52-7a0e-4b8e-9d7c-1b2a3c4d5e6f", other = "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    static let agent = "agent-1"

    /// Defaults: F1 after max(10 × usual, 300 s), F2 after 120 s, F3 beyond 300 s.
    static func monitor(tests: [String] = [test], agent: String = agent, at start: Double = 1000) -> FleetHealthMonitor {
        var monitor = FleetHealthMonitor(observingSinceSeconds: start)
        monitor.agentSeen(agent, atSeconds: start)
        for test in tests { monitor.testStarted(test, agentID: agent, atSeconds: start) }
        return monitor
    }

    static func raised(_ decisions: [FleetHealthDecision]) -> [FleetHealthAlert] {
        decisions.compactMap { if case .raise(let alert) = $0 { alert } else { nil } }
    }

    // MARK: F1

    @Test func aTestSilentPastTheMinimumRaisesF1OnceAndSamplesResolveIt() {
        var monitor = Self.monitor()
        // 1 s cadence for a minute: 10 × usual is 10 s, so the 300 s minimum applies.
        for t in 1...60 {
            monitor.agentSeen(Self.agent, atSeconds: 1000 + Double(t))
            monitor.samplesArrived(Self.test, atSeconds: 1000 + Double(t), newestSampleClockSeconds: 1000 + Double(t))
        }
        var now = 1060.0
        while now < 1060 + 300 {
            now += 1
            monitor.agentSeen(Self.agent, atSeconds: now)
            #expect(monitor.evaluate(nowSeconds: now).isEmpty, "at \(now - 1060) s of silence")
        }
        monitor.agentSeen(Self.agent, atSeconds: now + 1)
        let decisions = monitor.evaluate(nowSeconds: now + 1)
        let subject = FleetHealthSubject.test(testID: Self.test, agentID: Self.agent)
        #expect(decisions.count == 1)
        let alert = Self.raised(decisions).first
        #expect(alert?.rule == .testSilent && alert?.subject == subject)
        #expect(alert?.evidence["silent_seconds"] == 301 && alert?.evidence["limit_seconds"] == 300 && alert?.evidence["usual_interval_seconds"] == 1)
        #expect(alert?.message == "test sent nothing for 301 s (limit 300 s)")
        // Still silent: no second episode.
        for t in 2...100 {
            monitor.agentSeen(Self.agent, atSeconds: now + Double(t))
            #expect(monitor.evaluate(nowSeconds: now + Double(t)).isEmpty)
        }
        monitor.samplesArrived(Self.test, atSeconds: now + 101, newestSampleClockSeconds: now + 101)
        #expect(monitor.evaluate(nowSeconds: now + 101) == [.resolve(.testSilent, subject)])
        #expect(monitor.evaluate(nowSeconds: now + 102).isEmpty)
    }

    @Test func aSlowCadenceGetsTenUsualIntervals() {
        var monitor = Self.monitor()
        for t in stride(from: 60.0, through: 1200, by: 60) {
            monitor.samplesArrived(Self.test, atSeconds: 1000 + t, newestSampleClockSeconds: 1000 + t)
        }
        let last = 2200.0
        monitor.agentSeen(Self.agent, atSeconds: last + 600)
        #expect(monitor.evaluate(nowSeconds: last + 600).isEmpty)
        monitor.agentSeen(Self.agent, atSeconds: last + 601)
        let alert = Self.raised(monitor.evaluate(nowSeconds: last + 601)).first
        #expect(alert?.rule == .testSilent && alert?.evidence["limit_seconds"] == 600)
    }

    @Test func aTestThatNeverSentIsSilentSinceItStarted() {
        var monitor = Self.monitor()
        monitor.agentSeen(Self.agent, atSeconds: 1300)
        #expect(monitor.evaluate(nowSeconds: 1300).isEmpty)
        monitor.agentSeen(Self.agent, atSeconds: 1301)
        #expect(Self.raised(monitor.evaluate(nowSeconds: 1301)).map(\.rule) == [.testSilent])
    }

    @Test func anEndedTestIsNeverSilentAndItsOpenF1Resolves() {
        var monitor = Self.monitor()
        monitor.agentSeen(Self.agent, atSeconds: 1400)
        #expect(Self.raised(monitor.evaluate(nowSeconds: 1400)).count == 1)
        monitor.testEnded(Self.test)
        #expect(monitor.evaluate(nowSeconds: 1401) == [.resolve(.testSilent, .test(testID: Self.test, agentID: Self.agent))])
        monitor.agentSeen(Self.agent, atSeconds: 5000)
        #expect(monitor.evaluate(nowSeconds: 5000).isEmpty)
    }

    @Test func silenceIsCountedFromNoEarlierThanTheStartOfObservation() {
        // A coordinator (re)started at 10 000; the test last sent at 1000: its silence counts from 10 000.
        var monitor = FleetHealthMonitor(observingSinceSeconds: 10_000)
        monitor.restore(test: Self.test, .init(agentID: Self.agent, registeredAtSeconds: 900, cadence: ArrivalCadence(lastArrivalSeconds: 1000, usualIntervalSeconds: 1)))
        monitor.restore(agent: Self.agent, .init(lastSeenSeconds: 1000))
        #expect(monitor.evaluate(nowSeconds: 10_100).isEmpty)
        monitor.agentSeen(Self.agent, atSeconds: 10_300)
        #expect(monitor.evaluate(nowSeconds: 10_300).isEmpty)
        #expect(Self.raised(monitor.evaluate(nowSeconds: 10_301)).map(\.rule) == [.testSilent])
    }

    // MARK: F2

    @Test func anAgentUnheardPastTheLimitRaisesOneF2ForAllItsTestsAndNoF1() {
        var monitor = Self.monitor(tests: [Self.test, Self.other])
        #expect(monitor.evaluate(nowSeconds: 1120).isEmpty)
        let decisions = monitor.evaluate(nowSeconds: 1121)
        #expect(decisions.count == 1)
        let alert = Self.raised(decisions).first
        #expect(alert?.rule == .agentLost && alert?.subject == .agent(agentID: Self.agent) && alert?.subject.testID == nil)
        #expect(alert?.evidence == ["unheard_seconds": 121, "limit_seconds": 120, "running_tests": 2])
        #expect(alert?.message == "agent agent-1 not heard from for 121 s with 2 running tests")
        // Its tests fall silent past F1's limit too: F2 says it, once.
        #expect(monitor.evaluate(nowSeconds: 5000).isEmpty)
        // Back: F2 resolves. Its tests' silence counts from its return, so they have F1's limit
        // to send again before F1 is raised.
        monitor.agentConnected(Self.agent, atSeconds: 5001)
        #expect(monitor.evaluate(nowSeconds: 5001) == [.resolve(.agentLost, .agent(agentID: Self.agent))])
        monitor.agentSeen(Self.agent, atSeconds: 5301)
        #expect(monitor.evaluate(nowSeconds: 5301).isEmpty)
        monitor.samplesArrived(Self.test, atSeconds: 5302, newestSampleClockSeconds: 5302)
        monitor.agentSeen(Self.agent, atSeconds: 5302)
        let stillSilent = monitor.evaluate(nowSeconds: 5302)
        #expect(stillSilent.count == 1 && Self.raised(stillSilent).first?.subject == .test(testID: Self.other, agentID: Self.agent), "\(stillSilent)")
    }

    @Test func anAgentHeardOnlyByHeartbeatsAfterALossLeavesItsSilentTestsToF1() {
        // Seen again without a hello (another coordinator's heartbeats): the silence stands.
        var monitor = Self.monitor()
        #expect(Self.raised(monitor.evaluate(nowSeconds: 1200)).map(\.rule) == [.agentLost])
        monitor.agentSeen(Self.agent, atSeconds: 1400)
        let decisions = monitor.evaluate(nowSeconds: 1400)
        #expect(decisions.first == .resolve(.agentLost, .agent(agentID: Self.agent)))
        #expect(Self.raised(decisions).map(\.rule) == [.testSilent])
    }

    @Test func anAgentWithoutRunningTestsIsNeverLost() {
        var monitor = Self.monitor()
        monitor.testEnded(Self.test)
        #expect(monitor.evaluate(nowSeconds: 100_000).isEmpty)
    }

    @Test func anOpenF2ResolvesWhenItsTestsEndWithoutIt() {
        var monitor = Self.monitor()
        #expect(Self.raised(monitor.evaluate(nowSeconds: 1200)).map(\.rule) == [.agentLost])
        monitor.testEnded(Self.test)
        #expect(monitor.evaluate(nowSeconds: 1201) == [.resolve(.agentLost, .agent(agentID: Self.agent))])
    }

    @Test func anAgentHeardWithinTheLimitIsNeverLost() {
        var monitor = Self.monitor()
        for t in stride(from: 1000.0, through: 3000, by: 119) {
            monitor.agentSeen(Self.agent, atSeconds: t)
            monitor.samplesArrived(Self.test, atSeconds: t, newestSampleClockSeconds: t)
            #expect(monitor.evaluate(nowSeconds: t + 119).isEmpty)
        }
    }

    // MARK: F3

    @Test func samplesStampedAheadPastTheLimitRaiseF3UntilTheClockIsBack() {
        var monitor = Self.monitor()
        monitor.samplesArrived(Self.test, atSeconds: 1001, newestSampleClockSeconds: 1001 + 300)
        #expect(monitor.evaluate(nowSeconds: 1001).isEmpty)
        monitor.samplesArrived(Self.test, atSeconds: 1002, newestSampleClockSeconds: 1002 + 420)
        monitor.agentSeen(Self.agent, atSeconds: 1002)
        let alert = Self.raised(monitor.evaluate(nowSeconds: 1002)).first
        #expect(alert?.rule == .clockAhead && alert?.subject == .test(testID: Self.test, agentID: Self.agent))
        #expect(alert?.evidence == ["ahead_seconds": 420, "limit_seconds": 300])
        #expect(alert?.message == "sample clock 420 s ahead of the coordinator's (limit 300 s)")
        monitor.samplesArrived(Self.test, atSeconds: 1003, newestSampleClockSeconds: 1003 + 400)
        #expect(monitor.evaluate(nowSeconds: 1003).isEmpty)
        monitor.samplesArrived(Self.test, atSeconds: 1004, newestSampleClockSeconds: 1004 + 2)
        #expect(monitor.evaluate(nowSeconds: 1004) == [.resolve(.clockAhead, .test(testID: Self.test, agentID: Self.agent))])
    }

    @Test func samplesStampedBehindNeverRaiseF3() {
        var monitor = Self.monitor()
        // A spool's backlog delivered a day late.
        monitor.samplesArrived(Self.test, atSeconds: 1001, newestSampleClockSeconds: 1001 - 86_400)
        #expect(monitor.evaluate(nowSeconds: 1001).isEmpty)
    }

    @Test func anOpenF3ResolvesWhenTheTestEnds() {
        var monitor = Self.monitor()
        monitor.samplesArrived(Self.test, atSeconds: 1001, newestSampleClockSeconds: 1001 + 3600)
        #expect(Self.raised(monitor.evaluate(nowSeconds: 1001)).map(\.rule) == [.clockAhead])
        monitor.testEnded(Self.test)
        #expect(monitor.evaluate(nowSeconds: 1002) == [.resolve(.clockAhead, .test(testID: Self.test, agentID: Self.agent))])
    }

    @Test func aCoordinatorRestartNeitherEndsNorRepeatsOpenEpisodes() {
        // The agent was lost and its other test silent before the restart at 10 000; the agent
        // reconnects at 10 001 but the silent test's channel still sends nothing.
        var monitor = FleetHealthMonitor(observingSinceSeconds: 10_000)
        monitor.restore(agent: Self.agent, .init(lastSeenSeconds: 1000, lostEpisodeOpen: true))
        monitor.restore(test: Self.test, .init(agentID: Self.agent, registeredAtSeconds: 0, cadence: ArrivalCadence(lastArrivalSeconds: 900, usualIntervalSeconds: 1),
                                               open: [.testSilent]))
        #expect(monitor.evaluate(nowSeconds: 10_001).isEmpty)
        monitor.agentConnected(Self.agent, atSeconds: 10_002)
        #expect(monitor.evaluate(nowSeconds: 10_002) == [.resolve(.agentLost, .agent(agentID: Self.agent))])
        monitor.agentSeen(Self.agent, atSeconds: 10_400)
        #expect(monitor.evaluate(nowSeconds: 10_400).isEmpty, "F1 stays the one open episode")
        monitor.samplesArrived(Self.test, atSeconds: 10_401, newestSampleClockSeconds: 10_401)
        #expect(monitor.evaluate(nowSeconds: 10_401) == [.resolve(.testSilent, .test(testID: Self.test, agentID: Self.agent))])
    }

    @Test func restoredOpenEpisodesAreNotRaisedAgainOnlyResolved() {
        // As the shell loads it: the alerts already open in the database.
        var monitor = FleetHealthMonitor(observingSinceSeconds: 0)
        monitor.restore(test: Self.test, .init(agentID: Self.agent, registeredAtSeconds: 0, cadence: ArrivalCadence(lastArrivalSeconds: 0),
                                               sampleClockAheadSeconds: 1000, open: [.testSilent, .clockAhead]))
        monitor.restore(agent: Self.agent, .init(lastSeenSeconds: 0, lostEpisodeOpen: true))
        #expect(monitor.evaluate(nowSeconds: 10_000).isEmpty)
        monitor.agentSeen(Self.agent, atSeconds: 10_000)
        #expect(monitor.evaluate(nowSeconds: 10_000) == [.resolve(.agentLost, .agent(agentID: Self.agent))])
    }

    @Test func limitsAreValidated() {
        #expect(throws: FleetHealthLimits.Invalid.self) { try FleetHealthLimits(testSilentMinimumSeconds: 0, agentLostSeconds: 1, clockAheadSeconds: 1).validate() }
        #expect(throws: FleetHealthLimits.Invalid.self) { try FleetHealthLimits(testSilentMinimumSeconds: 1, agentLostSeconds: .nan, clockAheadSeconds: 1).validate() }
        #expect(throws: Never.self) { try FleetHealthLimits().validate() }
    }

    // MARK: properties

    @Test func propertyNoAlertWhileArrivalsKeepWithinTheMinimum() async {
        await propertyCheck(count: 200, input: zip(Gen.double(in: 0.001 ... 299), Gen.double(in: 0 ... 1)).array(of: 1 ... 300)) { steps in
            var monitor = Self.monitor(at: 0)
            var now = 0.0
            for (gap, evaluateAt) in steps {
                // Evaluated anywhere within the gap (the agent's heartbeats keep coming), then
                // the samples arrive.
                monitor.agentSeen(Self.agent, atSeconds: now + gap * evaluateAt)
                let decisions = monitor.evaluate(nowSeconds: now + gap * evaluateAt)
                #expect(decisions.isEmpty, "\(decisions)")
                now += gap
                monitor.samplesArrived(Self.test, atSeconds: now, newestSampleClockSeconds: now + gap)
                monitor.agentSeen(Self.agent, atSeconds: now)
            }
        }
    }

    @Test func propertyNoF1WhileTheCadenceKeepsWithinAFactorOfTwo() async {
        // Whatever the cadence (1 s … 2 h), gaps within ×2 of it never reach 10 usual intervals.
        await propertyCheck(count: 200, input: zip(Gen.double(in: 1 ... 7200), Gen.double(in: 0.5 ... 2).array(of: 1 ... 200))) { base, factors in
            var monitor = FleetHealthMonitor(observingSinceSeconds: 0)
            monitor.restore(test: Self.test, .init(agentID: Self.agent, registeredAtSeconds: 0, cadence: ArrivalCadence(lastArrivalSeconds: 0, usualIntervalSeconds: base)))
            var now = 0.0
            for factor in factors {
                let gap = base * factor
                // Heartbeats keep the agent present throughout.
                monitor.agentSeen(Self.agent, atSeconds: now + gap)
                #expect(Self.raised(monitor.evaluate(nowSeconds: now + gap)).isEmpty)
                now += gap
                monitor.samplesArrived(Self.test, atSeconds: now, newestSampleClockSeconds: now)
            }
        }
    }

    /// Events over two agents and three tests: arrivals (on time, ahead or behind), heartbeats,
    /// ends, time passing, evaluations.
    @Test func propertyAtMostOneOpenEpisodeAndEveryRaiseIsResolvedOnceTheConditionEnds() async {
        let tests = [Self.test, Self.other, "0e5d1c2b-3a49-4f8e-b7d6-c5b4a3928170"]
        let agents = ["agent-a", "agent-b"]
        await propertyCheck(count: 300, input: zip(Gen.int(in: 0 ... 6), Gen.int(in: 0 ... 2), Gen.double(in: 0 ... 400)).array(of: 1 ... 200)) { events in
            var monitor = FleetHealthMonitor(limits: FleetHealthLimits(testSilentMinimumSeconds: 300, agentLostSeconds: 120, clockAheadSeconds: 300),
                                             observingSinceSeconds: 0)
            for (index, test) in tests.enumerated() { monitor.testStarted(test, agentID: agents[index % 2], atSeconds: 0) }
            var open = Set<String>()
            var raises = 0, resolves = 0
            func apply(_ decisions: [FleetHealthDecision]) {
                for decision in decisions {
                    switch decision {
                    case .raise(let alert):
                        raises += 1
                        #expect(open.insert("\(alert.rule) \(alert.subject)").inserted, "a second open \(alert.rule) for \(alert.subject)")
                        #expect(alert.subject.testID == nil || alert.rule != .agentLost)
                    case .resolve(let rule, let subject):
                        resolves += 1
                        #expect(open.remove("\(rule) \(subject)") != nil, "resolved \(rule) for \(subject), which was not open")
                    }
                }
            }
            var now = 0.0
            for (kind, which, amount) in events {
                now += amount
                let test = tests[which], agent = agents[which % 2]
                switch kind {
                case 0: monitor.samplesArrived(test, atSeconds: now, newestSampleClockSeconds: now)
                case 1: monitor.samplesArrived(test, atSeconds: now, newestSampleClockSeconds: now + amount * 2)
                case 2: monitor.samplesArrived(test, atSeconds: now, newestSampleClockSeconds: now - amount)
                case 3: monitor.agentSeen(agent, atSeconds: now)
                case 4 where amount > 300: monitor.agentConnected(agent, atSeconds: now)
                case 4: monitor.testEnded(test)
                default: apply(monitor.evaluate(nowSeconds: now))
                }
                // Evaluating again at once changes nothing.
                var again = monitor
                _ = again.evaluate(nowSeconds: now)
                let repeated = again.evaluate(nowSeconds: now)
                #expect(repeated.isEmpty, "\(repeated)")
            }
            // Every test ends and every agent is back: everything open resolves.
            for test in tests { monitor.testEnded(test) }
            for agent in agents { monitor.agentSeen(agent, atSeconds: now) }
            apply(monitor.evaluate(nowSeconds: now))
            #expect(open.isEmpty && raises == resolves, "open \(open)")
        }
    }
}
