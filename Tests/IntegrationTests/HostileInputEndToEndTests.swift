import TestSupport
import CellfleetCoordinator
import Foundation
import Testing
import WireProtocol

/// Issue 17 through a real coordinator and PostgreSQL, with hand-driven agent connections:
/// declared holes, checked test ends, implausible and non-finite times, frames too large for
/// their kind — each refused with its reason or recorded once, never `INTERNAL`, never stored
/// as nonsense, while a good agent is served.
@Suite(.serialized) struct HostileInputEndToEndTests {
    typealias P = ProtocolMisbehaviourTests
    let helpers = ProtocolMisbehaviourTests()

    static func end(_ id: UInt64, test: String, lastSeq: UInt64, lostFrom: UInt64 = 0) -> WireEnvelope {
        var end = Cellfleet_Wire_V1_TestEnd()
        end.deliveryID = id
        end.testID = test
        end.lastSeq = lastSeq
        end.endUnixTimeS = 1.7e9 + 100
        end.reason = "completed"
        end.lostFromSeq = lostFrom
        if lostFrom != 0 { end.lostReason = "the last records of the agent's spool were damaged" }
        return WireEnvelope(.testEnd(end))
    }

    static func declaring(_ envelope: WireEnvelope, from: UInt64, reason: String) -> WireEnvelope {
        var envelope = envelope
        if case .sampleBatch(var batch) = envelope.body {
            batch.lostFromSeq = from
            batch.lostReason = reason
            envelope.body = .sampleBatch(batch)
        }
        return envelope
    }

    @Test func aDeclaredHoleIsRecordedOnceWithItsAlertAndTheTestGoesOn() async throws {
        let harness = try await P.Harness()
        let agent = try P.RawAgent(endpoint: harness.endpoint, id: "lab1")
        defer { agent.close() }
        let test = UUID().uuidString.lowercased()
        try agent.send(P.start(1, test: test, agent: "lab1"))
        try agent.send(P.batch(2, test: test, first: 1, count: 10))
        await helpers.expectAck(agent, [1, 2])
        // 11…20 never come: first a gap, then the same batch declaring them lost.
        try agent.send(P.batch(4, test: test, first: 21, count: 10))
        let gap = await helpers.expectError(agent, .sequenceGap)
        #expect(gap?.expectedSeq == 11)
        let reason = "2 damaged spool record(s) were skipped when the agent started"
        try agent.send(Self.declaring(P.batch(4, test: test, first: 21, count: 10), from: 11, reason: reason))
        await helpers.expectAck(agent, [4])
        // Received again (the ack was lost): acknowledged, nothing recorded twice.
        try agent.send(Self.declaring(P.batch(4, test: test, first: 21, count: 10), from: 11, reason: reason))
        await helpers.expectAck(agent, [4])
        #expect(try harness.database.query("SELECT first_seq || '-' || last_seq || ' ' || reason FROM sample_losses") == ["11-20 \(reason)"])
        #expect(try harness.database.query("SELECT rule || ' ' || severity || ' ' || seq FROM alerts") == ["F5 warn 11"])
        #expect(try harness.database.scalar("SELECT count(*) FROM sample_losses l JOIN alerts a USING (alert_id) WHERE a.test_id = l.test_id") == 1)
        #expect(try harness.database.scalar("SELECT count(*) FROM samples WHERE test_id = '\(test)'") == 20)
        #expect(try harness.database.scalar("SELECT committed_seq FROM test_progress WHERE test_id = '\(test)'") == 30)
        // The test's end: beyond the stored samples it is a gap; declared, the rest is a hole.
        try agent.send(Self.end(5, test: test, lastSeq: 40))
        #expect(await helpers.expectError(agent, .sequenceGap)?.expectedSeq == 31)
        try agent.send(Self.end(5, test: test, lastSeq: 40, lostFrom: 31))
        await helpers.expectAck(agent, [5])
        #expect(try harness.database.query("SELECT first_seq || '-' || last_seq FROM sample_losses ORDER BY first_seq") == ["11-20", "31-40"])
        #expect(try harness.database.scalar("SELECT count(*) FROM tests WHERE ended_at IS NOT NULL AND last_seq = 40") == 1)
        // Nothing after the end.
        try agent.send(P.batch(6, test: test, first: 41, count: 5))
        #expect(await helpers.expectError(agent, .malformed)?.message.contains("has ended") == true)
        #expect(harness.coordinator.statistics.snapshot.samplesLost == 20)
        #expect(harness.coordinator.statistics.snapshot.commitFailures == 0)
        await harness.stop()
    }

    @Test func timesThatCannotBeTheTestsAreRefusedMalformedNeverInternal() async throws {
        let harness = try await P.Harness()
        let bad = try P.RawAgent(endpoint: harness.endpoint, id: "clock")
        let good = try P.RawAgent(endpoint: harness.endpoint, id: "good")
        defer { bad.close(); good.close() }
        let test = UUID().uuidString.lowercased()
        try bad.send(P.start(1, test: test, agent: "clock"))
        await helpers.expectAck(bad, [1])
        var id: UInt64 = 2
        let faults: [(String, (inout Cellfleet_Wire_V1_SampleBatch) -> Void)] = [
            ("unix_time_s of sample 1 ", { $0.unixTimeS[0] = .infinity }),
            ("test_time_s of sample 3 ", { $0.testTimeS[2] = -.infinity }),
            // A delivery whose times span 3 000 days from the test's start.
            ("outside what the test can hold", { $0.unixTimeS[9] = 1.7e9 + 3_000 * 86_400 }),
            ("outside what the test can hold", { $0.unixTimeS[0] = 1.7e9 - 3 * 86_400 }),
        ]
        for (expected, fault) in faults {
            var envelope = P.batch(id, test: test, first: 1, count: 10)
            if case .sampleBatch(var batch) = envelope.body { fault(&batch); envelope.body = .sampleBatch(batch) }
            try bad.send(envelope)
            let refusal = await helpers.expectError(bad, .malformed)
            #expect(refusal?.message.contains(expected) == true, "\(refusal?.message ?? "no reply")")
            #expect(refusal?.deliveryID == id)
            id += 1
        }
        var end = Self.end(id, test: test, lastSeq: 0)
        if case .testEnd(var body) = end.body { body.endUnixTimeS = .nan; end.body = .testEnd(body) }
        try bad.send(end)
        #expect(await helpers.expectError(bad, .malformed)?.message.contains("end_unix_time_s") == true)

        let goodTest = UUID().uuidString.lowercased()
        try good.send(P.start(1, test: goodTest, agent: "good"))
        try good.send(P.batch(2, test: goodTest, first: 1, count: 20))
        await helpers.expectAck(good, [1, 2])
        #expect(try harness.database.scalar("SELECT count(*) FROM samples WHERE test_id = '\(test)'") == 0)
        #expect(try harness.database.scalar("SELECT count(*) FROM samples WHERE unix_time_s > 1.7e9 + 86400 OR unix_time_s < 1.7e9") == 0, "no row waits for a partition of a day it never saw")
        #expect(harness.coordinator.statistics.snapshot.commitFailures == 0, "nothing reached the database")
        await harness.stop()
    }

    @Test func framesLargerThanTheirKindAreRefusedOrCutOff() async throws {
        let harness = try await P.Harness()
        let bad = try P.RawAgent(endpoint: harness.endpoint, id: "huge")
        let good = try P.RawAgent(endpoint: harness.endpoint, id: "good")
        defer { bad.close(); good.close() }
        // 5 MB: more than a hello may be, less than libzmq's cut-off: refused, naming the kind.
        var hello = Cellfleet_Wire_V1_Hello()
        hello.agentID = "huge"
        hello.softwareVersion = String(repeating: "9", count: 5 << 20)
        hello.minProtocolVersion = 1
        hello.maxProtocolVersion = 1
        try bad.send(WireEnvelope(.hello(hello)))
        #expect(await helpers.expectError(bad, .malformed)?.message.contains("a Hello of") == true)
        // 2 MB of attributes: more than a test start may be.
        var start = P.start(1, test: UUID().uuidString.lowercased(), agent: "huge")
        if case .testStart(var body) = start.body { body.cell.attributes = ["notes": String(repeating: "n", count: 2 << 20)]; start.body = .testStart(body) }
        try bad.send(start)
        let refusal = await helpers.expectError(bad, .malformed)
        #expect(refusal?.message.contains("a TestStart of") == true)
        #expect(refusal?.deliveryID == 1, "the delivery is named, read from its header")
        // 200 MB: libzmq drops the connection on the length header; nothing is answered or held.
        hello.softwareVersion = String(repeating: "9", count: 200 << 20)
        try bad.send(WireEnvelope(.hello(hello)))
        hello.softwareVersion = ""
        let goodTest = UUID().uuidString.lowercased()
        try good.send(P.start(1, test: goodTest, agent: "good"))
        try good.send(P.batch(2, test: goodTest, first: 1, count: 20))
        await helpers.expectAck(good, [1, 2])
        #expect(try harness.database.scalar("SELECT count(*) FROM agents WHERE agent_id = 'huge'") == 0)
        #expect(try harness.database.scalar("SELECT count(*) FROM tests WHERE agent_id = 'huge'") == 0)
        await harness.stop()
    }
}
