import TestSupport
import CellfleetCoordinator
import Foundation
import Logging
import PostgresNIO
import Testing

/// `FleetHealthService` on a real database, as two coordinators sharing it would run it: it
/// decides from the rows (not its memory) and its writes are idempotent, so evaluations racing
/// each other store each episode once and resolve it once — an acknowledged one included.
@Suite(.serialized) struct FleetHealthServiceTests {
    static let logger: Logger = {
        var logger = Logger(label: "test.fleet-health")
        logger.logLevel = .critical
        return logger
    }()

    static let lostTests = ["00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000a2"]
    static let silentTest = "00000000-0000-4000-8000-0000000000b1"
    static let skewedTest = "00000000-0000-4000-8000-0000000000b2"

    @Test func racingEvaluationsStoreEachEpisodeOnceAndResolveItOnce() async throws {
        let database = try TestDatabase()
        defer { database.stop() }
        let clients = [try database.makeClient(), try database.makeClient()]
        let clientTasks = clients.map { client in Task { await client.run() } }
        defer { clientTasks.forEach { $0.cancel() } }
        try await SchemaMigrations(directory: TestPaths.repositoryRoot.appendingPathComponent("schemas/migrations"))
            .apply(client: clients[0], logger: Self.logger)
        // An agent unheard for an hour with two running tests; a present agent with one test
        // silent for an hour (1 s cadence) and one stamped 1000 s ahead.
        _ = try database.query("""
            INSERT INTO agents (agent_id, software_version, last_seen) VALUES ('lost', 't', now() - interval '1 hour'), ('present', 't', now());
            INSERT INTO tests (test_id, agent_id, channel_id, cell_id, started_at) VALUES
                ('\(Self.lostTests[0])', 'lost', 'ch1', 'c1', now()), ('\(Self.lostTests[1])', 'lost', 'ch2', 'c2', now()),
                ('\(Self.silentTest)', 'present', 'ch1', 'c3', now()), ('\(Self.skewedTest)', 'present', 'ch2', 'c4', now());
            INSERT INTO test_progress (test_id, committed_seq, last_sample_at, usual_interval_s, sample_clock_ahead_s) VALUES
                ('\(Self.lostTests[0])', 10, now() - interval '1 hour', 1, 0), ('\(Self.lostTests[1])', 10, now() - interval '1 hour', 1, 0),
                ('\(Self.silentTest)', 10, now() - interval '1 hour', 1, 0), ('\(Self.skewedTest)', 10, now(), 1, 1000);
            """)
        let now = try #require(Double(try database.query("SELECT extract(epoch FROM now())").first ?? ""))
        let services = clients.map { FleetHealthService(client: $0, settings: .init(), logger: Self.logger) {} }
        func race() async throws {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for service in services {
                    group.addTask { for _ in 0..<10 { try await service.evaluate(observingSinceSeconds: now - 7200) } }
                }
                try await group.waitForAll()
            }
        }
        func alerts() throws -> [String] {
            try database.query("""
                SELECT rule || ' ' || coalesce(test_id::text, '-') || ' ' || agent_id || ' ' || state FROM alerts ORDER BY rule, test_id
                """)
        }

        try await race()
        #expect(try alerts() == [
            "F1 \(Self.silentTest) present firing",
            "F2 - lost firing",
            "F3 \(Self.skewedTest) present firing",
        ])
        // A person acknowledges the F2: it is still the open episode.
        _ = try database.query("UPDATE alerts SET state = 'acknowledged', acknowledged_at = now(), acknowledged_by = 'someone' WHERE rule = 'F2'")
        try await race()
        #expect(try database.scalar("SELECT count(*) FROM alerts") == 3)

        // The conditions end: the agent is back, the silent test sends, the clock is right.
        _ = try database.query("""
            UPDATE agents SET last_seen = now(), connected_at = now() WHERE agent_id = 'lost';
            UPDATE test_progress SET last_sample_at = now() WHERE test_id = '\(Self.silentTest)';
            UPDATE test_progress SET sample_clock_ahead_s = 0.5 WHERE test_id = '\(Self.skewedTest)';
            """)
        try await race()
        #expect(try alerts() == [
            "F1 \(Self.silentTest) present resolved",
            "F2 - lost resolved",
            "F3 \(Self.skewedTest) present resolved",
        ])
        #expect(try database.scalar("SELECT count(*) FROM alerts WHERE resolved_by = 'coordinator' AND resolved_at IS NOT NULL AND source = 'coordinator' AND severity = 'warn'") == 3)

        // The same agent lost again: a new episode beside the resolved one.
        _ = try database.query("UPDATE agents SET last_seen = now() - interval '1 hour' WHERE agent_id = 'lost'")
        try await race()
        #expect(try database.query("SELECT state FROM alerts WHERE rule = 'F2' ORDER BY alert_id") == ["resolved", "firing"])
        // Its tests end without it: resolved.
        _ = try database.query("UPDATE tests SET ended_at = now() WHERE agent_id = 'lost'")
        try await race()
        #expect(try database.query("SELECT state FROM alerts WHERE rule = 'F2' ORDER BY alert_id") == ["resolved", "resolved"])
    }
}
