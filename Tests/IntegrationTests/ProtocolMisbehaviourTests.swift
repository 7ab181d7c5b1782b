import TestSupport
import CellfleetCoordinator
import Foundation
import Logging
import PostgresNIO
import Testing
import WireProtocol
import ZeroMQ

/// Bad input never takes the coordinator down or writes anything twice: each kind gets a
/// defined reply, a log line and a counter, and a well-behaved agent keeps being served.
@Suite(.serialized) struct ProtocolMisbehaviourTests {
    /// A coordinator running in this process against a test database.
    final class Harness: @unchecked Sendable {
        let database: TestDatabase
        let client: PostgresClient
        let coordinator: Coordinator
        let endpoint: String
        let tasks: [Task<Void, Never>]

        init(stages: [any CommitStage] = [], configure: (inout CoordinatorConfiguration) -> Void = { _ in }) async throws {
            database = try TestDatabase()
            client = try database.makeClient()
            endpoint = "tcp://127.0.0.1:\(TestPaths.freePort())"
            var configuration = CoordinatorConfiguration(listenEndpoint: endpoint, coordinatorID: "test")
            configuration.insecure = true
            configuration.schemasDirectory = TestPaths.repositoryRoot.appendingPathComponent("schemas").path
            configure(&configuration)
            var logger = Logger(label: "test.coordinator")
            logger.logLevel = .error
            coordinator = Coordinator(configuration: configuration, client: client, stages: stages, logger: logger)
            let client = self.client, coordinator = self.coordinator
            tasks = [
                Task { await client.run() },
                Task { try? await coordinator.run() },
            ]
            await coordinator.waitUntilReady()
        }

        func stop() async {
            tasks.reversed().forEach { $0.cancel() }
            for task in tasks { await task.value }
            database.stop()
        }
    }

    /// A hand-driven agent connection, so tests can send exactly the bytes they want.
    final class RawAgent: @unchecked Sendable {
        let context: ZMQContext
        let link: ZMQSocketLoop
        var iterator: ZMQInbox.AsyncIterator

        init(endpoint: String, id: String) throws {
            context = try ZMQContext()
            link = try ZMQSocketLoop(name: "raw-agent", context: context) { context in
                let socket = try ZMQSocket(context: context, type: .dealer)
                try socket.setRoutingID(id)
                try socket.setLinger(milliseconds: 0)
                try socket.connect(endpoint)
                return socket
            }
            iterator = link.messages.makeAsyncIterator()
        }

        func send(_ envelope: WireEnvelope) throws { link.send([try envelope.serializedBytes()]) }
        func sendRaw(_ frames: [[UInt8]]) { link.send(frames) }

        /// The next message that is not a heartbeat, or nil after a timeout.
        func next(timeoutSeconds: Double = 60) async -> WireEnvelope? {
            let deadline = Date().addingTimeInterval(timeoutSeconds)
            while Date() < deadline {
                let message = await withTaskGroup(of: ZMQMessage?.self) { group in
                    var iterator = self.iterator
                    group.addTask { await iterator.next() }
                    group.addTask { try? await Task.sleep(for: .seconds(timeoutSeconds)); return nil }
                    let first = await group.next() ?? nil
                    group.cancelAll()
                    return first
                }
                guard let message, let envelope = try? WireEnvelope(serializedBytes: message.frames.last ?? []) else { return nil }
                if case .heartbeat = envelope.body { continue }
                return envelope
            }
            return nil
        }

        func close() {
            link.stop()
            context.terminate()
        }
    }

    static func start(_ id: UInt64, test: String, agent: String) -> WireEnvelope {
        var start = Cellfleet_Wire_V1_TestStart()
        start.deliveryID = id
        start.testID = test
        start.agentID = agent
        start.channelID = "ch1"
        start.cell.cellID = "cell-\(test.prefix(4))"
        start.cell.cellType = .symmetric
        start.startUnixTimeS = 1.7e9
        return WireEnvelope(.testStart(start))
    }

    static func batch(_ id: UInt64, test: String, first: UInt64, count: Int, voltage: Double = 0.2) -> WireEnvelope {
        var batch = Cellfleet_Wire_V1_SampleBatch()
        batch.deliveryID = id
        batch.testID = test
        batch.firstSeq = first
        batch.unixTimeS = (0..<count).map { 1.7e9 + Double($0) }
        batch.testTimeS = (0..<count).map { Double(first) + Double($0) }
        batch.voltageV = Array(repeating: voltage, count: count)
        batch.currentA = Array(repeating: 7.85e-5, count: count)
        return WireEnvelope(.sampleBatch(batch))
    }

    func expectAck(_ agent: RawAgent, _ ids: [UInt64], sourceLocation: SourceLocation = #_sourceLocation) async {
        var acked: Set<UInt64> = []
        while acked.count < ids.count {
            guard let reply = await agent.next() else { Issue.record("no acknowledgement", sourceLocation: sourceLocation); return }
            guard case .ack(let ack) = reply.body else {
                Issue.record("expected an ack, got \(String(describing: reply.body))", sourceLocation: sourceLocation)
                return
            }
            acked.formUnion(ack.deliveryIds)
        }
        #expect(acked == Set(ids), sourceLocation: sourceLocation)
    }

    func expectError(_ agent: RawAgent, _ code: Cellfleet_Wire_V1_ErrorCode, sourceLocation: SourceLocation = #_sourceLocation) async -> Cellfleet_Wire_V1_Error? {
        guard let reply = await agent.next() else { Issue.record("no reply", sourceLocation: sourceLocation); return nil }
        guard case .error(let error) = reply.body else {
            Issue.record("expected error \(code), got \(String(describing: reply.body))", sourceLocation: sourceLocation)
            return nil
        }
        #expect(error.code == code, sourceLocation: sourceLocation)
        return error
    }

    @Test func badInputIsRefusedCountedAndNeverStoredWhileOthersAreServed() async throws {
        let harness = try await Harness()
        let good = try RawAgent(endpoint: harness.endpoint, id: "good")
        let bad = try RawAgent(endpoint: harness.endpoint, id: "bad")
        defer { good.close(); bad.close() }
        let goodTest = UUID().uuidString.lowercased()
        let badTest = UUID().uuidString.lowercased()

        try good.send(Self.start(1, test: goodTest, agent: "good"))
        try good.send(Self.batch(2, test: goodTest, first: 1, count: 100))
        await expectAck(good, [1, 2])

        // Garbage frame.
        bad.sendRaw([[0xFF, 0x00, 0x13, 0x37, 0x42]])
        _ = await expectError(bad, .malformed)
        // Several frames where one is expected.
        bad.sendRaw([[1], [2]])
        _ = await expectError(bad, .malformed)
        // A protocol version from the future.
        var future = Self.start(1, test: badTest, agent: "bad")
        future.protocolVersion = 99
        try bad.send(future)
        let versionError = await expectError(bad, .unsupportedProtocolVersion)
        #expect(versionError?.supportedProtocolVersion == 1)
        #expect(versionError?.message.contains("99") == true)
        // Columns of different lengths.
        var ragged = Self.batch(3, test: badTest, first: 1, count: 10)
        if case .sampleBatch(var b) = ragged.body { b.voltageV.removeLast(); ragged.body = .sampleBatch(b) }
        try bad.send(ragged)
        _ = await expectError(bad, .malformed)
        // Samples for a test never started.
        try bad.send(Self.batch(4, test: badTest, first: 1, count: 10))
        _ = await expectError(bad, .unknownTest)
        // Samples into another agent's test.
        try bad.send(Self.batch(5, test: goodTest, first: 101, count: 10))
        _ = await expectError(bad, .notYourTest)
        // A test start claiming to be another agent.
        try bad.send(Self.start(6, test: UUID().uuidString.lowercased(), agent: "good"))
        _ = await expectError(bad, .notYourTest)

        // Meanwhile the good agent is still served.
        try good.send(Self.batch(3, test: goodTest, first: 101, count: 50))
        await expectAck(good, [3])

        let counts = harness.coordinator.statistics.snapshot
        #expect(counts.malformedMessages == 3)
        #expect(counts.unsupportedProtocolVersion == 1)
        #expect(counts.unknownTests == 1)
        #expect(counts.notYourTest == 2)
        #expect(try harness.database.scalar("SELECT count(*) FROM samples") == 150)
        #expect(try harness.database.scalar("SELECT count(*) FROM samples WHERE test_id <> '\(goodTest)'") == 0)
        await harness.stop()
    }

    @Test func gapsAreRefusedAndOverlapsStoredOnce() async throws {
        let harness = try await Harness()
        let agent = try RawAgent(endpoint: harness.endpoint, id: "seq")
        defer { agent.close() }
        let test = UUID().uuidString.lowercased()
        try agent.send(Self.start(1, test: test, agent: "seq"))
        try agent.send(Self.batch(2, test: test, first: 1, count: 100))
        await expectAck(agent, [1, 2])
        // A gap: 101…150 never arrived.
        try agent.send(Self.batch(3, test: test, first: 151, count: 50))
        let gap = await expectError(agent, .sequenceGap)
        #expect(gap?.expectedSeq == 101)
        // Re-batched differently (as after an agent restart): 51…200 overlaps 51…100.
        try agent.send(Self.batch(4, test: test, first: 51, count: 150))
        await expectAck(agent, [4])
        // The very same delivery again: acknowledged, not stored again.
        try agent.send(Self.batch(4, test: test, first: 51, count: 150))
        await expectAck(agent, [4])
        #expect(try harness.database.scalar("SELECT count(*) FROM samples") == 200)
        #expect(try harness.database.scalar("SELECT max(seq) FROM samples") == 200)
        #expect(try harness.database.scalar("SELECT committed_seq FROM test_progress") == 200)
        let counts = harness.coordinator.statistics.snapshot
        #expect(counts.sequenceGaps == 1)
        #expect(counts.samplesDuplicate == 50 + 150)
        await harness.stop()
    }

    @Test func nonFiniteValuesAreStoredAsNullAndCounted() async throws {
        let harness = try await Harness()
        let agent = try RawAgent(endpoint: harness.endpoint, id: "nan")
        defer { agent.close() }
        let test = UUID().uuidString.lowercased()
        try agent.send(Self.start(1, test: test, agent: "nan"))
        var batch = Self.batch(2, test: test, first: 1, count: 4)
        if case .sampleBatch(var b) = batch.body {
            b.voltageV = [0.2, .nan, .infinity, -.infinity]
            b.currentA[0] = .nan
            batch.body = .sampleBatch(b)
        }
        try agent.send(batch)
        await expectAck(agent, [1, 2])
        #expect(try harness.database.scalar("SELECT count(*) FROM samples") == 4)
        #expect(try harness.database.scalar("SELECT count(*) FROM samples WHERE voltage_v IS NULL") == 3)
        #expect(try harness.database.scalar("SELECT count(*) FROM samples WHERE current_a IS NULL") == 1)
        #expect(harness.coordinator.statistics.snapshot.nonFiniteValues == 4)
        await harness.stop()
    }
    /// Holds every commit that stages samples until the test opens it, so the deliveries sent
    /// meanwhile queue up and are committed as one group; the database refuses the samples of
    /// `poisonTest` (a division by zero in the transaction: a server error, as a constraint or
    /// an encoding the edge did not foresee would be).
    struct GateStage: CommitStage {
        final class Gate: @unchecked Sendable {
            private let lock = NSLock()
            private var closed = true
            var isClosed: Bool { lock.withLock { closed } }
            func open() { lock.withLock { closed = false } }
        }
        let gate: Gate
        let poisonTest: UUID

        mutating func stage(_ samples: CommittedSamples, in transaction: PostgresConnection, logger: Logger) async throws {
            while gate.isClosed { try await Task.sleep(for: .milliseconds(10)) }
            if samples.testID == poisonTest {
                _ = try await transaction.query("SELECT 1 / 0", logger: logger).collect()
            }
        }
    }

    /// A delivery the database refuses, in one group with a good agent's delivery: the group is
    /// retried delivery by delivery, so the good one is acknowledged and only the offending one
    /// is refused, with its own error and for good (`UNSTORABLE`; issue 17 §7: `withTransaction`
    /// wraps the server's error, and the retry looked for it unwrapped and never ran).
    @Test func aDeliveryTheDatabaseRefusesIsRefusedAloneWhileTheRestOfItsGroupCommits() async throws {
        let gate = GateStage.Gate()
        let poisonTest = UUID()
        let harness = try await Harness(stages: [GateStage(gate: gate, poisonTest: poisonTest)])
        let good = try RawAgent(endpoint: harness.endpoint, id: "good")
        let bad = try RawAgent(endpoint: harness.endpoint, id: "poison")
        defer { good.close(); bad.close() }
        let goodTest = UUID().uuidString.lowercased(), poison = poisonTest.uuidString.lowercased()
        try good.send(Self.start(1, test: goodTest, agent: "good"))
        try good.send(Self.batch(2, test: goodTest, first: 1, count: 100))
        try await Task.sleep(for: .milliseconds(300))  // the first commit is now held in the gate
        try bad.send(Self.start(1, test: poison, agent: "poison"))
        try bad.send(Self.batch(2, test: poison, first: 1, count: 10))
        try good.send(Self.batch(3, test: goodTest, first: 101, count: 50))
        try await Task.sleep(for: .milliseconds(500))  // all queued behind it: one group
        gate.open()

        await expectAck(good, [1, 2, 3])
        await expectAck(bad, [1])
        // Refused for good: division by zero is about the delivery's data (SQLSTATE 22012), so
        // committing it again can only fail again.
        let refusal = await expectError(bad, .unstorable)
        #expect(refusal?.deliveryID == 2)
        #expect(refusal?.message.contains("division by zero") == true, "\(refusal?.message ?? "")")
        #expect(harness.coordinator.statistics.snapshot.commitFailures == 2, "the group, then the poison's batch alone")
        #expect(try harness.database.scalar("SELECT count(*) FROM samples WHERE test_id = '\(goodTest)'") == 150)
        #expect(try harness.database.scalar("SELECT count(*) FROM samples WHERE test_id = '\(poison)'") == 0)
        await harness.stop()
    }
    /// Test starts the database would refuse or store as nonsense are refused `MALFORMED` at the
    /// edge, naming the field — not `INTERNAL`, which tells an agent to try again for ever — and
    /// nothing of them is stored, while a good agent is served.
    @Test func absurdTestStartsAreRefusedMalformedNamingTheField() async throws {
        let harness = try await Harness()
        let good = try RawAgent(endpoint: harness.endpoint, id: "good")
        let bad = try RawAgent(endpoint: harness.endpoint, id: "absurd")
        defer { good.close(); bad.close() }
        let faults: [(String, (inout Cellfleet_Wire_V1_TestStart) -> Void)] = [
            ("cell.electrode_area_m2", { $0.cell.electrodeAreaM2 = .nan }),
            ("cell.active_mass_kg", { $0.cell.activeMassKg = -2e-6 }),
            ("cell.cell_id", { $0.cell.cellID = "cell\u{0}1" }),
            ("start_unix_time_s", { $0.startUnixTimeS = .nan }),
            ("cell.cell_type", { $0.cell.cellType = .UNRECOGNIZED(9) }),
            ("cell.attributes[coating]", { $0.cell.attributes["coating"] = "Li\u{0}AlO2" }),
        ]
        for (index, (field, fault)) in faults.enumerated() {
            var envelope = Self.start(UInt64(index + 1), test: UUID().uuidString.lowercased(), agent: "absurd")
            if case .testStart(var start) = envelope.body { fault(&start); envelope.body = .testStart(start) }
            try bad.send(envelope)
            let refusal = await expectError(bad, .malformed)
            #expect(refusal?.message.contains(field) == true, "\(field): \(refusal?.message ?? "no reply")")
        }
        // A hello with a NUL byte is answered, not dropped on the floor; a huge version is not stored.
        for version in ["0.9\u{0}", String(repeating: "9", count: 1000)] {
            var hello = Cellfleet_Wire_V1_Hello()
            hello.agentID = "absurd"
            hello.softwareVersion = version
            hello.minProtocolVersion = 1
            hello.maxProtocolVersion = 1
            try bad.send(WireEnvelope(.hello(hello)))
            let refusal = await expectError(bad, .malformed)
            #expect(refusal?.message.contains("software_version") == true, "\(refusal?.message ?? "no reply")")
        }
        let goodTest = UUID().uuidString.lowercased()
        try good.send(Self.start(1, test: goodTest, agent: "good"))
        try good.send(Self.batch(2, test: goodTest, first: 1, count: 20))
        await expectAck(good, [1, 2])
        #expect(try harness.database.query("SELECT agent_id FROM tests") == ["good"])
        #expect(try harness.database.scalar("SELECT count(*) FROM agents WHERE agent_id = 'absurd'") == 0)
        #expect(harness.coordinator.statistics.snapshot.malformedMessages == faults.count + 2)
        #expect(harness.coordinator.statistics.snapshot.commitFailures == 0, "nothing reached the database")
        await harness.stop()
    }
}
