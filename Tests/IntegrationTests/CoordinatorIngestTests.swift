import TestSupport
import CellfleetCoordinator
import Foundation
import Logging
import PostgresNIO
import Testing
import WireProtocol

/// The coordinator's shell around its pure ingest rules, in this process against a real
/// database: the commit-stage seam sees exactly what commits, credit is enforced per agent while
/// the database is slow, and repeated hellos do not pile up as transactions.
@Suite(.serialized) struct CoordinatorIngestTests {
    typealias Raw = ProtocolMisbehaviourTests.RawAgent

    /// Records what it is shown and writes a row per call in the transaction; `failures` makes
    /// the next calls throw after writing, which must roll everything back.
    struct RecordingStage: CommitStage {
        final class Failures: @unchecked Sendable {
            private let lock = NSLock()
            private var remaining = 0
            func arm(_ count: Int) { lock.withLock { remaining = count } }
            func take() -> Bool { lock.withLock { defer { remaining = max(0, remaining - 1) }; return remaining > 0 } }
        }
        struct Forced: Error {}

        let failures: Failures
        var seen: [CommittedSamples] = []

        mutating func stage(_ samples: CommittedSamples, in transaction: PostgresConnection, logger: Logger) async throws {
            seen.append(samples)
            _ = try await transaction.query(
                "INSERT INTO stage_log (test_id, first_seq, samples) VALUES (\(samples.testID), \(samples.firstSequence), \(samples.columns.count))",
                logger: logger).collect()
            if failures.take() { throw Forced() }
        }
    }

    /// Samples whose voltage is their sequence number, so what a stage sees can be checked.
    static func batch(_ id: UInt64, test: String, first: UInt64, count: Int) -> WireEnvelope {
        var envelope = ProtocolMisbehaviourTests.batch(id, test: test, first: first, count: count)
        if case .sampleBatch(var batch) = envelope.body {
            batch.voltageV = (0..<count).map { Double(first) + Double($0) }
            envelope.body = .sampleBatch(batch)
        }
        return envelope
    }

    /// Replies until every id in `ids` has had one (an ack or an error); returns them by id.
    static func replies(_ agent: Raw, for ids: Set<UInt64>, timeoutSeconds: Double = 30) async -> [UInt64: [Cellfleet_Wire_V1_Envelope.OneOf_Body]] {
        var byID: [UInt64: [Cellfleet_Wire_V1_Envelope.OneOf_Body]] = [:]
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while !ids.isSubset(of: Set(byID.keys)), Date() < deadline {
            guard let reply = await agent.next(timeoutSeconds: max(0.1, deadline.timeIntervalSinceNow)), let body = reply.body else { break }
            switch body {
            case .ack(let ack): for id in ack.deliveryIds { byID[id, default: []].append(body) }
            case .error(let error): byID[error.deliveryID, default: []].append(body)
            default: break
            }
        }
        return byID
    }

    static func isAck(_ body: Cellfleet_Wire_V1_Envelope.OneOf_Body?) -> Bool {
        if case .ack = body { return true }
        return false
    }

    static func errorCode(_ body: Cellfleet_Wire_V1_Envelope.OneOf_Body?) -> Cellfleet_Wire_V1_ErrorCode? {
        if case .error(let error) = body { return error.code }
        return nil
    }

    func recorded(_ harness: ProtocolMisbehaviourTests.Harness) async throws -> RecordingStage {
        let stages = await harness.coordinator.committedStages
        return try #require(stages.first as? RecordingStage)
    }

    @Test func aCommitStageSeesExactlyTheCommittedRowsOnceInOrderAndKeepsNothingOfARollback() async throws {
        let failures = RecordingStage.Failures()
        let harness = try await ProtocolMisbehaviourTests.Harness(stages: [RecordingStage(failures: failures)])
        try harness.database.postgres.psql("CREATE TABLE stage_log (test_id uuid, first_seq bigint, samples int)")
        let agent = try Raw(endpoint: harness.endpoint, id: "staged")
        defer { agent.close() }
        let test = UUID().uuidString.lowercased()

        try agent.send(ProtocolMisbehaviourTests.start(1, test: test, agent: "staged"))
        try agent.send(Self.batch(2, test: test, first: 1, count: 100))
        try agent.send(Self.batch(3, test: test, first: 101, count: 50))
        var answers = await Self.replies(agent, for: [1, 2, 3])
        #expect([1, 2, 3].allSatisfy { Self.isAck(answers[$0]?.first) })
        // Re-sent overlapping, and the very same again: stored once, seen once.
        try agent.send(Self.batch(4, test: test, first: 51, count: 150))
        answers = await Self.replies(agent, for: [4])
        #expect(Self.isAck(answers[4]?.first))
        try agent.send(Self.batch(4, test: test, first: 51, count: 150))
        answers = await Self.replies(agent, for: [4])
        #expect(Self.isAck(answers[4]?.first))

        var stage = try await recorded(harness)
        let seenSequences = stage.seen.flatMap { samples in (0..<samples.columns.count).map { samples.firstSequence + Int64($0) } }
        #expect(seenSequences == Array(1...200))
        #expect(stage.seen.flatMap(\.columns.voltageVolts) == (1...200).map(Double.init))
        #expect(stage.seen.allSatisfy { $0.agentID == "staged" && $0.testID.uuidString.lowercased() == test })
        #expect(try harness.database.scalar("SELECT sum(samples) FROM stage_log") == 200)

        // A stage that fails rolls the samples back with its own writes, and its state stays.
        failures.arm(1)
        try agent.send(Self.batch(5, test: test, first: 201, count: 50))
        answers = await Self.replies(agent, for: [5])
        #expect(Self.errorCode(answers[5]?.first) == .internal)
        #expect(try await recorded(harness).seen.count == stage.seen.count)
        #expect(try harness.database.scalar("SELECT count(*) FROM samples") == 200)
        #expect(try harness.database.scalar("SELECT sum(samples) FROM stage_log") == 200)
        #expect(try harness.database.scalar("SELECT committed_seq FROM test_progress") == 200)
        // The agent re-sends: now it commits, and the stage sees those samples once.
        try agent.send(Self.batch(5, test: test, first: 201, count: 50))
        answers = await Self.replies(agent, for: [5])
        #expect(Self.isAck(answers[5]?.first))
        stage = try await recorded(harness)
        #expect(stage.seen.flatMap { samples in (0..<samples.columns.count).map { samples.firstSequence + Int64($0) } } == Array(1...250))
        #expect(try harness.database.scalar("SELECT count(*) FROM samples") == 250)
        #expect(try harness.database.scalar("SELECT sum(samples) FROM stage_log") == 250)
        await harness.stop()
    }

    @Test func whileTheDatabaseIsSlowAnAgentBeyondItsCreditIsRefusedAndEveryDeliveryAnsweredOnce() async throws {
        let harness = try await ProtocolMisbehaviourTests.Harness { $0.credit = 8 }
        let agent = try Raw(endpoint: harness.endpoint, id: "greedy")
        let polite = try Raw(endpoint: harness.endpoint, id: "polite")
        defer { agent.close(); polite.close() }
        let test = UUID().uuidString.lowercased()
        try agent.send(ProtocolMisbehaviourTests.start(1, test: test, agent: "greedy"))
        #expect(Self.isAck(await Self.replies(agent, for: [1])[1]?.first))

        // Hold every commit: the marks cannot be locked while this transaction lives.
        let locked = Task {
            try await harness.client.withTransaction(logger: Logger(label: "test.lock")) { connection in
                _ = try await connection.query("LOCK TABLE test_progress IN EXCLUSIVE MODE", logger: Logger(label: "test.lock")).collect()
                try await Task.sleep(for: .seconds(3))
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        let ids = Set<UInt64>(2...21)
        for id in ids.sorted() { try agent.send(Self.batch(id, test: test, first: 1 + (id - 2) * 10, count: 10)) }
        // Another agent keeps its own credit meanwhile.
        try polite.send(ProtocolMisbehaviourTests.start(1, test: UUID().uuidString.lowercased(), agent: "polite"))

        let early = await Self.replies(agent, for: Set(10...21), timeoutSeconds: 2)
        #expect(Set(early.keys) == Set(10...21), "the deliveries beyond the credit are refused at once")
        #expect(early.values.allSatisfy { Self.errorCode($0.first) == .creditExceeded })
        let pending = await harness.coordinator.pendingUsage(of: "greedy")
        #expect(pending.deliveries == 8)
        try await locked.value

        let late = await Self.replies(agent, for: Set(2...9))
        #expect(Set(late.keys) == Set(2...9))
        #expect(late.values.allSatisfy { $0.count == 1 && Self.isAck($0.first) })
        #expect(Self.isAck(await Self.replies(polite, for: [1])[1]?.first))
        // Nothing else comes: each delivery had exactly one answer.
        let more = await agent.next(timeoutSeconds: 1)
        #expect(more == nil)
        #expect(try harness.database.scalar("SELECT count(*) FROM samples") == 80)
        #expect(harness.coordinator.statistics.snapshot.creditExceeded == 12)

        // Refused ones re-sent within the credit once acknowledgements made room are stored.
        for window in [Array<UInt64>(10...17), Array<UInt64>(18...21)] {
            for id in window { try agent.send(Self.batch(id, test: test, first: 1 + (id - 2) * 10, count: 10)) }
            let resent = await Self.replies(agent, for: Set(window))
            #expect(Set(resent.keys) == Set(window))
            #expect(resent.values.allSatisfy { Self.isAck($0.first) })
        }
        #expect(try harness.database.scalar("SELECT count(*) FROM samples") == 200)
        await harness.stop()
    }

    @Test func hellosRepeatedWhileTheDatabaseIsSlowAreCoalescedIntoOneRegistration() async throws {
        let harness = try await ProtocolMisbehaviourTests.Harness()
        let agent = try WireTestClient(endpoint: harness.endpoint, routingID: "chatty", key: nil, serverPublicKey: nil)
        defer { agent.close() }
        // Registration waits on this lock, as on a slow database.
        let locked = Task {
            try await harness.client.withTransaction(logger: Logger(label: "test.lock")) { connection in
                _ = try await connection.query("LOCK TABLE agents IN EXCLUSIVE MODE", logger: Logger(label: "test.lock")).collect()
                try await Task.sleep(for: .seconds(3))
            }
        }
        // The lock must be held before the first hello (under load the transaction starts late).
        #expect(await eventually(timeoutSeconds: 30) {
            try harness.database.scalar("SELECT count(*) FROM pg_locks WHERE relation = 'agents'::regclass AND mode = 'ExclusiveLock' AND granted") == 1
        })
        for _ in 0..<30 {
            agent.hello(agentID: "chatty")
            try await Task.sleep(for: .milliseconds(20))
        }
        let hellosSeen = await eventually(timeoutSeconds: 60) { harness.coordinator.statistics.snapshot.hellos == 30 }
        #expect(hellosSeen)
        try await locked.value
        let isWelcome: @Sendable (WireEnvelope) -> Bool = { envelope in
            if case .welcome = envelope.body { return true }
            return false
        }
        let welcome = await agent.next(timeoutSeconds: 60, where: isWelcome)
        #expect(welcome != nil)
        // One registration answered them all: one welcome, no second one.
        let second = await agent.next(timeoutSeconds: 1.5, where: isWelcome)
        #expect(second == nil)
        let counts = harness.coordinator.statistics.snapshot
        #expect(counts.hellosCoalesced == 29)
        #expect(try harness.database.scalar("SELECT count(*) FROM agents WHERE agent_id = 'chatty'") == 1)
        await harness.stop()
    }
}
