import TestSupport
import Foundation
import Testing

/// Fleet health through real processes (issue 12 §3; docs/live-detection.md §3): a coordinator
/// with shortened limits, a real database, `cellfleet agent --simulate` processes.
/// - F2: an agent killed with `kill -9` and kept down raises one connection alert after the
///   limit — agent_id set, test_id null, one for its two tests, no F1 for them — which stays the
///   one open episode across a `kill -9` of the coordinator and resolves when the agent is back.
/// - F3: an agent whose sample clock is a minute ahead raises F3 for its test; it resolves when
///   the test ends.
/// - F1: a running test whose channel stalls while its agent stays connected raises F1 after
///   its limit; it resolves when the test ends.
@Suite(.serialized) struct FleetHealthEndToEndTests {
    static let agentLostSeconds = 3.0, testSilentMinimumSeconds = 8.0, clockAheadSeconds = 20.0

    @Test func anAgentKilledRaisesOneF2UntilItIsBackAndSkewedOrStalledTestsRaiseF3AndF1() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let spool = TestPaths.temporaryDirectory("fleet-health")
        let skewedSpool = TestPaths.temporaryDirectory("fleet-health-skewed")
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: spool)
            try? FileManager.default.removeItem(at: skewedSpool)
        }
        func startCoordinator() throws -> TestProcess {
            try TestProcess(TestPaths.cellfleet, [
                "coordinator", "--database", database.url, "--listen", "tcp://127.0.0.1:\(port)", "--insecure",
                "--health-agent-lost-seconds", "\(Self.agentLostSeconds)", "--health-test-silent-min-seconds", "\(Self.testSilentMinimumSeconds)",
                "--health-clock-ahead-seconds", "\(Self.clockAheadSeconds)", "--health-interval-seconds", "0.5",
            ])
        }
        var coordinator = try startCoordinator()
        defer { coordinator.terminate() }
        #expect(await coordinator.waitForStderr("coordinator listening"))
        func agentArguments(_ id: String, spool: URL) -> [String] {
            ["agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.path, "--simulate", "2", "--scenarios", "1",
             "--rate", "10", "--speed", "60", "--insecure", "--agent-id", id]
        }
        var agent = try TestProcess(TestPaths.cellfleet, agentArguments("health-agent", spool: spool))
        defer { agent.terminate() }
        let skewed = try TestProcess(TestPaths.cellfleet, agentArguments("skewed-agent", spool: skewedSpool) + [
            "--duration", "8", "--sample-clock-offset-seconds", "60",
        ])
        defer { skewed.terminate() }
        let quietSpool = TestPaths.temporaryDirectory("fleet-health-quiet")
        defer { try? FileManager.default.removeItem(at: quietSpool) }
        let quiet = try TestProcess(TestPaths.cellfleet, agentArguments("quiet-agent", spool: quietSpool) + [
            "--duration", "34", "--silence-first-channel-after-seconds", "2",
        ])
        defer { quiet.terminate() }
        func alerts(_ rule: String) throws -> [String] {
            try database.query("""
                SELECT coalesce(test_id::text, '-') || ' ' || agent_id || ' ' || state || ' ' || severity || ' ' || source
                FROM alerts WHERE rule = '\(rule)' ORDER BY alert_id
                """)
        }

        // Ingest records each test's arrivals: 10 samples a second, flushed every 0.1 s.
        #expect(await eventually(timeoutSeconds: 30) {
            try database.scalar("""
                SELECT count(*) FROM test_progress p JOIN tests t USING (test_id)
                WHERE t.agent_id = 'health-agent' AND p.usual_interval_s BETWEEN 0.02 AND 2 AND p.last_sample_at > now() - interval '2 s'
                """) == 2
        }, "\((try? database.query("SELECT * FROM test_progress")) ?? [])\ncoordinator: \(coordinator.stderr.suffix(2000))")
        #expect(try database.scalar("SELECT count(*) FROM agents WHERE agent_id = 'health-agent' AND connected_at IS NOT NULL AND coordinator_id IS NOT NULL") == 1)

        // F3: the skewed agent's tests, a minute ahead.
        #expect(await eventually(timeoutSeconds: 20) { try alerts("F3").count == 2 }, "\((try? alerts("F3")) ?? [])")
        let ahead = try database.query("SELECT (evidence->>'ahead_seconds')::float8 FROM alerts WHERE rule = 'F3'").compactMap(Double.init)
        #expect(ahead.count == 2 && ahead.allSatisfy { (55...61).contains($0) }, "\(ahead)")
        #expect(try database.scalar("SELECT count(*) FROM alerts a JOIN tests t USING (test_id) WHERE a.rule = 'F3' AND t.agent_id = 'skewed-agent' AND a.severity = 'warn' AND a.source = 'coordinator' AND a.cell_id = t.cell_id") == 2)

        // F2: the agent killed and kept down.
        agent.kill9()
        let killedAt = Date()
        #expect(await eventually(timeoutSeconds: 20) { try alerts("F2").count == 1 }, "coordinator: \(coordinator.stderr.suffix(2000))")
        let raisedAfter = Date().timeIntervalSince(killedAt)
        #expect(try alerts("F2") == ["- health-agent firing warn coordinator"])
        // Not before the limit: the agent was last seen more than the limit before the alert.
        let unheard = try database.query("""
            SELECT extract(epoch FROM a.raised_at - g.last_seen)::float8 || ' ' || (a.evidence->>'unheard_seconds')
            FROM alerts a JOIN agents g USING (agent_id) WHERE a.rule = 'F2'
            """).first?.split(separator: " ").compactMap { Double($0) } ?? []
        #expect(unheard.count == 2 && unheard.allSatisfy { $0 > Self.agentLostSeconds && $0 < Self.agentLostSeconds + 3 }, "\(unheard), raised \(raisedAfter) s after the kill")
        // Kept down past F1's limit too: still one alert, for the agent, none per test.
        try await Task.sleep(for: .seconds(Self.testSilentMinimumSeconds + 1 - Self.agentLostSeconds))
        #expect(try alerts("F2").count == 1)
        #expect(try database.scalar("SELECT count(*) FROM alerts WHERE rule = 'F1' AND agent_id = 'health-agent'") == 0, "\((try? alerts("F1")) ?? [])")
        // The coordinator killed and restarted meanwhile: it finds the episode open in the
        // database and neither ends it nor opens a second.
        coordinator.kill9()
        coordinator = try startCoordinator()
        #expect(await coordinator.waitForStderr("coordinator listening"))
        try await Task.sleep(for: .seconds(Self.agentLostSeconds + 2))
        #expect(try alerts("F2") == ["- health-agent firing warn coordinator"], "coordinator: \(coordinator.stderr.suffix(2000))")

        // Back on its spool: the F2 resolves, and its tests, sending again, raise no F1.
        agent = try TestProcess(TestPaths.cellfleet, agentArguments("health-agent", spool: spool))
        #expect(await eventually(timeoutSeconds: 20) { try alerts("F2") == ["- health-agent resolved warn coordinator"] },
                "\((try? alerts("F2")) ?? [])\nagent: \(agent.stderr.suffix(1000))")
        #expect(try database.scalar("SELECT count(*) FROM alerts WHERE rule = 'F2' AND resolved_by = 'coordinator' AND resolved_at IS NOT NULL") == 1)

        // F3 resolves with the skewed agent's tests' end.
        #expect(await skewed.waitForExit(timeoutSeconds: 30) == 0, "skewed agent: \(skewed.stderr.suffix(1000))")
        #expect(await eventually(timeoutSeconds: 10) { try alerts("F3").allSatisfy { $0.contains(" resolved ") } }, "\((try? alerts("F3")) ?? [])")
        #expect(try alerts("F3").count == 2)

        // F1: the quiet agent's first channel stalled after 2 s, its test running, the agent
        // connected; its other channel sends on. Raised past the limit, resolved at the tests' end.
        #expect(await eventually(timeoutSeconds: 20) { try alerts("F1").count == 1 }, "coordinator: \(coordinator.stderr.suffix(2000))")
        #expect(try database.scalar("""
            SELECT count(*) FROM alerts a JOIN tests t USING (test_id)
            WHERE a.rule = 'F1' AND t.agent_id = 'quiet-agent' AND t.channel_id = 'ch1' AND a.channel_id = 'ch1'
              AND (a.evidence->>'silent_seconds')::float8 > \(Self.testSilentMinimumSeconds) AND (a.evidence->>'limit_seconds')::float8 = \(Self.testSilentMinimumSeconds)
              AND (a.evidence->>'usual_interval_seconds')::float8 < 1
            """) == 1, "\((try? database.query("SELECT evidence FROM alerts WHERE rule = 'F1'")) ?? [])")
        #expect(await quiet.waitForExit(timeoutSeconds: 40) == 0, "quiet agent: \(quiet.stderr.suffix(1000))")
        #expect(await eventually(timeoutSeconds: 10) { try alerts("F1").allSatisfy { $0.contains(" resolved ") } }, "\((try? alerts("F1")) ?? [])")
        // Only the stalled test: the agents' other tests kept sending, the killed agent's said by F2.
        #expect(try alerts("F1").count == 1)
        #expect(try database.scalar("SELECT count(*) FROM alerts WHERE source = 'coordinator'") == 4)
        // Presence is written once a period for all the agents heard, not once per message: the
        // agents sent a batch per sample here (10 a second a channel) and heartbeats, and
        // `agents` saw a row update per agent per 0.75 s at most (the statistics may lag: a bound).
        let samples = try database.scalar("SELECT sum(committed_seq)::bigint FROM test_progress")
        let presenceUpdates = try database.scalar("SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'agents'")
        // (Under load the agents produce fewer samples than their rate says: a ratio, not a count.)
        #expect(samples >= 300 && presenceUpdates * 2 < samples, "\(presenceUpdates) updates of agents for \(samples) samples")
    }

    @Test func aLimitThatIsNotAPositiveNumberOfSecondsIsRefusedBeforeAnythingStarts() async throws {
        for (flag, value) in [("--health-agent-lost-seconds", "0"), ("--health-test-silent-min-seconds", "-5"), ("--health-clock-ahead-seconds", "nan"),
                              ("--health-interval-seconds", "0")] {
            let coordinator = try TestProcess(TestPaths.cellfleet, [
                "coordinator", "--database", "postgres://nobody@127.0.0.1:1/none", "--listen", "tcp://127.0.0.1:\(TestPaths.freePort())", "--insecure",
                "\(flag)=\(value)",
            ])
            let status = await coordinator.waitForExit(timeoutSeconds: 20)
            #expect(status != nil && status != 0, "\(flag) \(value)")
            #expect(coordinator.stderr.contains("must be"), "\(flag) \(value): \(coordinator.stderr.suffix(500))")
        }
    }
}
