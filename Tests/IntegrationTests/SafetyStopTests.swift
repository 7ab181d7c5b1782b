import TestSupport
import Foundation
import Testing
import WireProtocol

/// The safety stop through real processes (issue 12 §5): an agent started with `--on-fail stop`
/// runs a bare-lithium cell (blows up, P2 at ~106 h) beside a coated one. The fail alert commits
/// with its stop command; the coordinator sends it; the agent stops that channel's source, ends
/// the test `stopped: P2` and answers; the result is stored and said on the alert. The healthy
/// cell runs on to its end.
@Suite(.serialized) struct SafetyStopTests {
    @Test func aFailAlertStopsItsChannelWithinSecondsAndOnlyThatOne() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let spool = TestPaths.temporaryDirectory("safety-stop")
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: spool)
        }
        let coordinator = try await TestProcess.insecureCoordinator(database, port: port)
        defer { coordinator.terminate() }
        // 60 s of test time per sample; 20 s of wall time are 333 test hours.
        let agent = try TestProcess(TestPaths.cellfleet, [
            "agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.path, "--simulate", "2",
            "--scenarios", "4,1", "--rate", "1000", "--speed", "60000", "--duration", "20", "--on-fail", "stop",
            "--insecure", "--agent-id", "stop-agent",
        ])
        #expect(await agent.waitForExit(timeoutSeconds: 120) == 0, "agent stderr: \(agent.stderr.suffix(2000))")
        #expect(await eventually(timeoutSeconds: 30) {
            try database.scalar("SELECT count(*) FROM tests WHERE ended_at IS NOT NULL") == 2
        }, "coordinator stderr: \(coordinator.stderr.suffix(3000))")

        let rows = try database.query("""
            SELECT t.attributes->>'scenario', t.attributes->>'on_fail', t.end_reason,
                   (SELECT max(test_time_s) / 3600 FROM samples s WHERE s.test_id = t.test_id)
            FROM tests t ORDER BY t.channel_id
            """).map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.map { Array($0.prefix(3)) } == [["4", "stop", "stopped: P2"], ["1", "stop", "completed"]], "\(rows)")
        let lastHours = rows.compactMap { Double($0[3]) }
        // Stopped within seconds of the P2 (~106 h; a wall second is ~17 test hours here), long
        // before the run's end; the healthy cell ran on.
        #expect(lastHours.count == 2 && lastHours[0] < 200 && lastHours[1] > 300, "last sample at \(lastHours) h")

        let alert = try database.query("""
            SELECT rule, severity, safety_stop FROM alerts a JOIN tests t USING (test_id)
            WHERE t.attributes->>'scenario' = '4' AND a.severity = 'fail' ORDER BY alert_id
            """)
        #expect(alert.first == "P2|fail|stopped", "\(alert)")
        let commands = try database.query("""
            SELECT c.agent_id, c.channel_id, c.action, c.reason, c.state, c.result_ok, c.result_message
            FROM commands c ORDER BY command_id
            """)
        #expect(commands == ["stop-agent|ch1|stop_channel|P2|succeeded|t|channel ch1 stopped"], "\(commands)")
        // The fail alert of the healthy cell's neighbour made no stop for the healthy cell.
        #expect(try database.scalar("SELECT count(*) FROM alerts a JOIN tests t USING (test_id) WHERE t.attributes->>'scenario' = '1' AND a.safety_stop IS NOT NULL") == 0)
    }

    /// A fail alert of an `on_fail = "stop"` test whose agent is not connected: the stop waits,
    /// and once the (shortened) minute has passed its alert says "stop pending"; a test that
    /// only notifies gets no stop at all.
    @Test func aStopNoAgentConfirmsIsSaidPendingOnItsAlert() async throws {
        let database = try TestDatabase()
        defer { database.stop() }
        let port = TestPaths.freePort()
        let coordinator = try await TestProcess.insecureCoordinator(database, port: port, ["--stop-confirm-seconds", "2"])
        defer { coordinator.terminate() }
        let stopping = UUID().uuidString.lowercased(), notifying = UUID().uuidString.lowercased()
        _ = try database.query("""
            INSERT INTO tests (test_id, agent_id, channel_id, cell_id, started_at, attributes) VALUES
              ('\(stopping)', 'away-agent', 'ch1', 'cell-1', now(), '{"on_fail": "stop"}'),
              ('\(notifying)', 'away-agent', 'ch2', 'cell-2', now(), '{"on_fail": "notify"}');
            INSERT INTO alerts (test_id, rule, severity, message, seq, agent_id, channel_id)
              SELECT test_id, 'P2', 'fail', 'blow-up', 10, agent_id, channel_id FROM tests;
            """)
        #expect(try database.query("SELECT test_id || ' ' || COALESCE(safety_stop, '-') FROM alerts ORDER BY channel_id")
                == ["\(stopping) requested", "\(notifying) -"])
        #expect(try database.query("SELECT agent_id, channel_id, reason, state FROM commands") == ["away-agent|ch1|P2|pending"])
        #expect(await eventually(timeoutSeconds: 30) {
            try database.query("SELECT safety_stop FROM alerts WHERE test_id = '\(stopping)'") == ["stop pending"]
        }, "coordinator stderr: \(coordinator.stderr.suffix(2000))")
        // Nothing was sent to an agent that is not there.
        #expect(try database.query("SELECT state, attempts FROM commands") == ["pending|0"])
    }

    /// An agent whose source cannot be stopped (a cycler's export file, say) answers the stop
    /// with ok = false: the command is stored failed with its reason, and the alert says a person
    /// must stop the channel. Played by a wire client speaking the real protocol.
    @Test func aSourceThatCannotBeStoppedIsSaidSoAndAPersonIsAsked() async throws {
        let database = try TestDatabase()
        defer { database.stop() }
        let port = TestPaths.freePort()
        let coordinator = try await TestProcess.insecureCoordinator(database, port: port)
        defer { coordinator.terminate() }
        let agent = try WireTestClient(endpoint: "tcp://127.0.0.1:\(port)", routingID: "file-agent", key: nil, serverPublicKey: nil)
        defer { agent.close() }
        #expect(await agent.handshake(agentID: "file-agent").map { if case .welcome = $0.body { true } else { false } } == true)
        let testID = UUID().uuidString.lowercased()
        var start = Cellfleet_Wire_V1_TestStart.test(deliveryID: 1, testID: testID, agentID: "file-agent")
        start.cell.attributes["on_fail"] = "stop"
        agent.send(WireEnvelope(.testStart(start)))
        #expect(await agent.next(timeoutSeconds: 30) { if case .ack = $0.body { true } else { false } } != nil)

        _ = try database.query("""
            INSERT INTO alerts (test_id, rule, severity, message, seq, agent_id, channel_id)
            VALUES ('\(testID)', 'H1', 'fail', 'hard short', 5, 'file-agent', 'ch1')
            """)
        let sent = await agent.next(timeoutSeconds: 30) { if case .command = $0.body { true } else { false } }
        guard case .command(let command)? = sent?.body, case .stopChannel(let stop)? = command.action else {
            Issue.record("no stop command reached the agent; coordinator stderr: \(coordinator.stderr.suffix(2000))")
            return
        }
        #expect(stop.channelID == "ch1" && stop.reason == "H1")
        var result = Cellfleet_Wire_V1_CommandResult()
        result.commandID = command.commandID
        result.ok = false
        result.message = "channel ch1 follows an export file; its cycler must be stopped at the instrument"
        agent.send(WireEnvelope(.commandResult(result)))
        #expect(await eventually(timeoutSeconds: 30) {
            try database.query("SELECT state, result_ok FROM commands") == ["failed|f"]
        })
        #expect(try database.query("SELECT safety_stop FROM alerts")
                == ["not stopped: channel ch1 follows an export file; its cycler must be stopped at the instrument; a person must stop the channel"])
        // A repeat of the answer (a re-sent command answered again) changes nothing.
        agent.send(WireEnvelope(.commandResult(result)))
        try await Task.sleep(for: .seconds(1))
        #expect(try database.query("SELECT state, attempts FROM commands").first?.hasPrefix("failed|") == true)
    }
}
