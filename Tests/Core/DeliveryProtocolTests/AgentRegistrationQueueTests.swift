import DeliveryProtocol
import PropertyBased
import Testing

/// Hellos while the database is slow: one registration at a time per agent, repeats coalesced,
/// a bounded number held.
struct AgentRegistrationQueueTests {
    typealias Queue = AgentRegistrationQueue<String>

    @Test func aRepeatedHelloWhileRegisteringIsAnsweredByThatRegistration() {
        var queue = Queue()
        #expect(queue.received("hello epoch 1", from: "lab1") == .register("hello epoch 1"))
        // The agent says hello every second while the upsert is slow.
        for _ in 0..<10 { #expect(queue.received("hello epoch 1", from: "lab1") == .coalesced) }
        #expect(queue.registeringCount == 1)
        #expect(queue.waitingCount == 0)
        // Its welcome answers them all: nothing is registered again.
        #expect(queue.finished("lab1").isEmpty)
        #expect(queue.registeringCount == 0)
        // A hello after the registration is a new one (the welcome may have been lost).
        #expect(queue.received("hello epoch 1", from: "lab1") == .register("hello epoch 1"))
    }

    @Test func aDifferentHelloWhileRegisteringIsRegisteredAfterwardsWithTheLatest() {
        var queue = Queue()
        #expect(queue.received("epoch 1", from: "lab1") == .register("epoch 1"))
        // The agent restarted meanwhile (new epoch), and again.
        #expect(queue.received("epoch 2", from: "lab1") == .coalesced)
        #expect(queue.received("epoch 3", from: "lab1") == .coalesced)
        #expect(queue.waitingCount == 1)
        let next = queue.finished("lab1")
        #expect(next.map(\.agentID) == ["lab1"])
        #expect(next.map(\.hello) == ["epoch 3"])
        #expect(queue.registeringCount == 1)
        // Back to what is being registered: nothing further to do.
        #expect(queue.received("epoch 4", from: "lab1") == .coalesced)
        #expect(queue.received("epoch 3", from: "lab1") == .coalesced)
        #expect(queue.finished("lab1").isEmpty)
    }

    @Test func registrationsWaitForASlotInOrderAndWaitingOnesAreCoalescedToo() {
        var queue = Queue(maximumConcurrent: 1, maximumWaitingAgents: 2)
        #expect(queue.received("a1", from: "a") == .register("a1"))
        #expect(queue.received("b1", from: "b") == .queued)
        #expect(queue.received("c1", from: "c") == .queued)
        #expect(queue.received("b2", from: "b") == .coalesced)
        // A flood of made-up agents is not kept.
        #expect(queue.received("d1", from: "d") == .dropped)
        #expect(queue.waitingCount == 2)
        #expect(queue.finished("a").map(\.hello) == ["b2"])
        #expect(queue.finished("b").map(\.hello) == ["c1"])
        #expect(queue.finished("c").isEmpty)
        #expect(queue.finished("c").isEmpty, "finishing twice starts nothing")
        #expect(queue.received("d1", from: "d") == .register("d1"))
    }

    @Test func aChattyAgentGoesBehindTheAgentsAlreadyWaiting() {
        var queue = Queue(maximumConcurrent: 1)
        #expect(queue.received("a1", from: "a") == .register("a1"))
        #expect(queue.received("b1", from: "b") == .queued)
        #expect(queue.received("a2", from: "a") == .coalesced)
        #expect(queue.finished("a").map(\.agentID) == ["b"])
        #expect(queue.finished("b").map(\.hello) == ["a2"])
    }

    /// Any sequence of hellos and finished registrations: never two at once for one agent, never
    /// more than allowed at once, a bounded number held, and every agent's latest hello is
    /// registered in the end (or answered by the registration of an identical one).
    @Test func forAnySequenceOneAtATimePerAgentAndTheLatestHelloWins() async {
        await propertyCheck(count: 300, input: Gen.uint64().array(of: 1...120)) { script in
            var queue = Queue(maximumConcurrent: 2, maximumWaitingAgents: 3)
            let agents = ["a", "b", "c", "d", "e"]
            var registering: [String: String] = [:]
            var latest: [String: String] = [:]
            var lastRegistered: [String: String] = [:]
            var dropped: Set<String> = []

            func start(_ agent: String, _ hello: String) {
                #expect(registering[agent] == nil, "two registrations of \(agent) at once")
                registering[agent] = hello
                lastRegistered[agent] = hello
            }

            for step in script {
                var code = step
                func take(_ n: UInt64) -> UInt64 { defer { code /= n }; return code % n }
                let agent = agents[Int(take(UInt64(agents.count)))]
                if take(3) < 2 {
                    let hello = "\(agent)\(take(3))"
                    switch queue.received(hello, from: agent) {
                    case .register(let registered):
                        #expect(registered == hello)
                        start(agent, hello)
                        dropped.remove(agent)
                    case .queued, .coalesced:
                        dropped.remove(agent)
                    case .dropped:
                        dropped.insert(agent)
                    }
                    latest[agent] = hello
                } else if registering[agent] != nil {
                    registering[agent] = nil
                    for (next, hello) in queue.finished(agent) { start(next, hello) }
                }
                #expect(registering.count <= 2)
                #expect(queue.registeringCount == registering.count)
                #expect(queue.waitingCount <= 3 + 2)
            }
            // The database catches up: finish everything.
            while let agent = registering.keys.sorted().first {
                registering[agent] = nil
                for (next, hello) in queue.finished(agent) { start(next, hello) }
            }
            #expect(queue.waitingCount == 0)
            for (agent, hello) in latest where !dropped.contains(agent) {
                #expect(lastRegistered[agent] == hello, "agent \(agent) said \(hello) last but was registered with \(lastRegistered[agent] ?? "nothing")")
            }
        }
    }
}
