import TestSupport
import Foundation
import Testing
import WireProtocol

/// What an agent following cycler export files tells the coordinator (issue 13), through real
/// processes: the built coordinator on a real PostgreSQL with a webhook receiver, and a raw wire
/// client speaking v1 as such an agent does.
/// - The hello's `Channel.aux_temperature` is stored in `channels.aux_temperature`.
/// - A `SourceQuarantined` delivery is acknowledged after COMMIT and raises one F4 alert (warn,
///   source coordinator, evidence `file` and `reason`, the named test's columns); the same
///   delivery again, and a new quarantine of the same file while its alert is open, add none;
///   a quarantine without a test raises its own with `test_id` NULL.
/// - The alert reaches the webhook and `cellfleet alerts list --source coordinator --json`.
/// - After a person resolves it, the re-sent delivery still changes nothing, while a new
///   quarantine of the file raises a new episode.
@Suite(.serialized) struct SourceQuarantineEndToEndTests {
    typealias RawAgent = ProtocolMisbehaviourTests.RawAgent
    static let agentID = "land-pc-1"
    static let file = "2025-06/LGPS_coated_1-1.xlsx"

    static func hello(epoch: UInt64) -> WireEnvelope {
        var hello = Cellfleet_Wire_V1_Hello()
        hello.agentID = agentID
        hello.softwareVersion = "test"
        hello.agentEpoch = epoch
        hello.minProtocolVersion = 1
        hello.maxProtocolVersion = 1
        hello.channels = [("1-1", true), ("1-2", false)].map { id, aux in
            var channel = Cellfleet_Wire_V1_Channel()
            channel.channelID = id
            channel.cyclerMake = "LAND"
            channel.cyclerModel = "CT3002A"
            channel.currentMinA = -0.005
            channel.currentMaxA = 0.005
            channel.voltageMinV = -5
            channel.voltageMaxV = 5
            channel.auxTemperature = aux
            return channel
        }
        return WireEnvelope(.hello(hello))
    }

    static func quarantine(_ id: UInt64, file: String = file, test: String = "", agent: String = agentID,
                           reason: String = "its first 120 records changed since they were sent; re-export it under a new name") -> WireEnvelope {
        var quarantine = Cellfleet_Wire_V1_SourceQuarantined()
        quarantine.deliveryID = id
        quarantine.agentID = agent
        quarantine.channelID = "1-1"
        quarantine.testID = test
        quarantine.file = file
        quarantine.reason = reason
        quarantine.unixTimeS = 1.75e9
        return WireEnvelope(.sourceQuarantined(quarantine))
    }

    /// The next reply that is not a heartbeat or a welcome (a welcome answers a repeated hello).
    func reply(_ agent: RawAgent) async -> WireEnvelope? {
        while let reply = await agent.next(timeoutSeconds: 30) {
            if case .welcome = reply.body { continue }
            return reply
        }
        return nil
    }

    func expectAck(_ agent: RawAgent, _ id: UInt64, sourceLocation: SourceLocation = #_sourceLocation) async {
        let reply = await reply(agent)
        guard case .ack(let ack) = reply?.body else {
            Issue.record("expected the ack of \(id), got \(String(describing: reply?.body))", sourceLocation: sourceLocation)
            return
        }
        #expect(ack.deliveryIds == [id], sourceLocation: sourceLocation)
    }

    func expectError(_ agent: RawAgent, _ code: Cellfleet_Wire_V1_ErrorCode, delivery id: UInt64, sourceLocation: SourceLocation = #_sourceLocation) async {
        let reply = await reply(agent)
        guard case .error(let error) = reply?.body else {
            Issue.record("expected error \(code), got \(String(describing: reply?.body))", sourceLocation: sourceLocation)
            return
        }
        #expect(error.code == code && error.deliveryID == id, "\(error)", sourceLocation: sourceLocation)
    }

    static func objects(_ jsonLines: String) throws -> [[String: Any]] {
        try jsonLines.split(separator: "\n").map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    @Test func aQuarantinedFileRaisesOneF4ThatReachesPeopleAndAReSendChangesNothing() async throws {
        let database = try TestDatabase()
        let webhook = try await AlertDeliveryEndToEndTests.WebhookReceiver(refuseFirst: 0)
        let port = TestPaths.freePort()
        let coordinator = try TestProcess(TestPaths.cellfleet, [
            "coordinator", "--database", database.url, "--listen", "tcp://127.0.0.1:\(port)", "--insecure",
            "--webhook", webhook.url, "--webhook-secret-file", webhook.secretFile.path,
        ] + AlertDeliveryEndToEndTests.fastPeriods)
        let agent = try RawAgent(endpoint: "tcp://127.0.0.1:\(port)", id: Self.agentID)
        defer {
            agent.close()
            coordinator.terminate()
            webhook.stop()
            database.stop()
        }
        let listening = await coordinator.waitForStderr("coordinator listening")
        try #require(listening, "\(coordinator.stderr.suffix(3000))")
        func f4(_ condition: String = "true") throws -> [String] {
            try database.query("""
                SELECT coalesce(test_id::text, '-') || ' ' || agent_id || ' ' || coalesce(channel_id, '-') || ' ' || coalesce(cell_id, '-')
                       || ' ' || state || ' ' || severity || ' ' || source || ' ' || occurrences || ' ' || (evidence->>'file')
                FROM alerts WHERE rule = 'F4' AND \(condition) ORDER BY alert_id
                """)
        }

        // The hello: one channel with an auxiliary temperature probe, one without.
        try agent.send(Self.hello(epoch: 42))
        let welcome = await agent.next(timeoutSeconds: 30)
        guard case .welcome = welcome?.body else {
            Issue.record("no welcome: \(String(describing: welcome?.body)); coordinator: \(coordinator.stderr.suffix(2000))")
            return
        }
        #expect(try database.query("SELECT channel_id || ' ' || aux_temperature FROM channels WHERE agent_id = '\(Self.agentID)' ORDER BY channel_id")
                == ["1-1 true", "1-2 false"])

        // A test on channel 1-1 whose file is then quarantined; the same delivery again; a second
        // quarantine of the same file under a new delivery id.
        let testID = UUID().uuidString.lowercased()
        var start = ProtocolMisbehaviourTests.start(1, test: testID, agent: Self.agentID)
        if case .testStart(var body) = start.body {
            body.channelID = "1-1"
            body.cell.cellID = "LGPS_coated_1-1"
            start.body = .testStart(body)
        }
        try agent.send(start)
        await expectAck(agent, 1)
        try agent.send(Self.quarantine(2, test: testID))
        await expectAck(agent, 2)
        try agent.send(Self.quarantine(2, test: testID))
        await expectAck(agent, 2)
        try agent.send(Self.quarantine(3, test: testID, reason: "the file shrank from 2 MB to 1 MB; re-export it under a new name"))
        await expectAck(agent, 3)
        // Another file, quarantined before it had a test; and what is refused alone.
        try agent.send(Self.quarantine(4, file: "garbage.csv", reason: "no profile reads it: the header names no voltage column"))
        await expectAck(agent, 4)
        try agent.send(Self.quarantine(5, file: ""))
        await expectError(agent, .malformed, delivery: 5)
        try agent.send(Self.quarantine(6, test: "not-a-uuid"))
        await expectError(agent, .malformed, delivery: 6)
        try agent.send(Self.quarantine(7, agent: "someone-else"))
        await expectError(agent, .notYourTest, delivery: 7)

        #expect(try f4() == [
            "\(testID) \(Self.agentID) 1-1 LGPS_coated_1-1 firing warn coordinator 2 \(Self.file)",
            "- \(Self.agentID) 1-1 - firing warn coordinator 1 garbage.csv",
        ], "coordinator: \(coordinator.stderr.suffix(2000))")
        #expect(try database.query("SELECT evidence->>'reason' FROM alerts WHERE rule = 'F4' ORDER BY alert_id") == [
            "its first 120 records changed since they were sent; re-export it under a new name",
            "no profile reads it: the header names no voltage column",
        ])
        // Each delivery recorded once, with its epoch and the alert that tells people of it.
        #expect(try database.query("""
            SELECT q.delivery_id || ' ' || q.agent_epoch || ' ' || coalesce(q.test_id::text, '-') || ' ' || q.file || ' ' || a.rule
                   || ' ' || extract(epoch FROM q.quarantined_at)::bigint
            FROM source_quarantines q JOIN alerts a USING (alert_id) ORDER BY q.delivery_id
            """) == [
            "2 42 \(testID) \(Self.file) F4 1750000000",
            "3 42 \(testID) \(Self.file) F4 1750000000",
            "4 42 - garbage.csv F4 1750000000",
        ])
        #expect(try database.scalar("SELECT count(DISTINCT alert_id) FROM source_quarantines") == 2)

        // People see it: the listing, and the webhook (once each, firing).
        let listed = try TestProcess.run(TestPaths.cellfleet, ["alerts", "list", "--database", database.url, "--source", "coordinator", "--json"])
        let objects = try Self.objects(listed)
        #expect(objects.count == 2, "\(listed)")
        let first = try #require(objects.first)
        #expect(first["rule"] as? String == "F4")
        #expect(first["severity"] as? String == "warn")
        #expect(first["test_id"] as? String == testID)
        #expect(first["agent_id"] as? String == Self.agentID)
        #expect(first["source"] as? String == "coordinator")
        #expect((first["message"] as? String)?.hasPrefix("source file \(Self.file) quarantined: its first 120 records changed") == true)
        let evidence = try #require(first["evidence"] as? [String: Any])
        #expect(evidence["file"] as? String == Self.file)
        #expect(evidence["reason"] as? String == "its first 120 records changed since they were sent; re-export it under a new name")
        #expect(objects.last?["test_id"] is NSNull)
        #expect((objects.last?["evidence"] as? [String: Any])?["file"] as? String == "garbage.csv")
        #expect(await eventually(timeoutSeconds: 30) { webhook.requests.filter { $0.status == 200 && $0.rule == "F4" && $0.state == "firing" }.count == 2 },
                "\(webhook.requests); coordinator: \(coordinator.stderr.suffix(2000))")
        #expect(webhook.requests.filter { $0.rule == "F4" }.compactMap(\.test_id) == [testID])

        // Resolved by a person: the old delivery re-sent still changes nothing; a new quarantine
        // of the file is a new episode.
        let alertID = try #require(first["alert_id"] as? Int)
        _ = try TestProcess.run(TestPaths.cellfleet, ["alerts", "resolve", "\(alertID)", "--database", database.url, "--by", "alice"])
        try agent.send(Self.quarantine(3, test: testID))
        await expectAck(agent, 3)
        #expect(try f4("evidence->>'file' = '\(Self.file)'").count == 1)
        try agent.send(Self.quarantine(8, test: testID, reason: "its first records changed again"))
        await expectAck(agent, 8)
        #expect(try f4("evidence->>'file' = '\(Self.file)'") == [
            "\(testID) \(Self.agentID) 1-1 LGPS_coated_1-1 resolved warn coordinator 2 \(Self.file)",
            "\(testID) \(Self.agentID) 1-1 LGPS_coated_1-1 firing warn coordinator 1 \(Self.file)",
        ])
        #expect(try database.scalar("SELECT count(*) FROM source_quarantines") == 4)
        #expect(coordinator.process.isRunning)
    }
}
