import TestSupport
import CellfleetCoordinator
import Foundation
import Logging
import PostgresNIO
import Testing

/// `samples` partitioned by day, maintained by the coordinator, with a retention setting that
/// drops old raw samples and nothing else.
@Suite(.serialized) struct PartitionTests {
    static let logger: Logger = {
        var logger = Logger(label: "test.partitions")
        logger.logLevel = .critical
        return logger
    }()

    /// Runs `body` with a client on a migrated test database.
    func withMigratedDatabase(only versions: Set<Int>? = nil, _ body: (TestDatabase, PostgresClient) async throws -> Void) async throws {
        let database = try TestDatabase()
        defer { database.stop() }
        let client = try database.makeClient()
        let clientTask = Task { await client.run() }
        defer { clientTask.cancel() }
        var migrations = try SchemaMigrations(directory: TestPaths.repositoryRoot.appendingPathComponent("schemas/migrations"))
        if let versions { migrations.migrations.removeAll { !versions.contains($0.version) } }
        try await migrations.apply(client: client, logger: Self.logger)
        try await body(database, client)
    }

    /// One test with `perDay` samples a day for each of the last `days` days (and today).
    func insertTest(_ database: TestDatabase, id: String, days: Int, perDay: Int) throws {
        _ = try database.query("""
            INSERT INTO tests (test_id, agent_id, channel_id, cell_id, started_at)
            VALUES ('\(id)', 'agent', 'ch1', 'cell', now() - interval '\(days) days');
            INSERT INTO test_progress (test_id, committed_seq) VALUES ('\(id)', \((days + 1) * perDay));
            INSERT INTO samples (test_id, seq, unix_time_s, voltage_v, current_a)
            SELECT '\(id)', g, extract(epoch FROM now()) - \(days) * 86400 + (g - 1) * (86400.0 / \(perDay)), 3.7, 0.001
            FROM generate_series(1, \((days + 1) * perDay)) g;
            """)
    }

    @Test func samplesAreStoredInDailyPartitionsMadeAhead() async throws {
        try await withMigratedDatabase { database, client in
            #expect(try database.query("SELECT relkind FROM pg_class WHERE relname = 'samples'") == ["p"], "samples is partitioned")
            // The migration made today's and the coming days' partitions.
            let today = try #require(try database.query("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD')").first)
            let partitions = try database.query("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'samples'::regclass ORDER BY 1")
            #expect(partitions.contains("samples_p\(today)"))
            #expect(partitions.contains("samples_default"))
            #expect(partitions.count >= 5)

            try insertTest(database, id: "00000000-0000-0000-0000-0000000000a1", days: 0, perDay: 100)
            #expect(try database.scalar("SELECT count(*) FROM samples_p\(today)") > 0)
            // The key still refuses the same sample twice.
            #expect(throws: (any Error).self) {
                try database.query("INSERT INTO samples (test_id, seq, unix_time_s) SELECT test_id, seq, unix_time_s FROM samples LIMIT 1")
            }
            // Also for a sample whose time was not finite (stored as NULL).
            _ = try database.query("INSERT INTO samples (test_id, seq) VALUES ('00000000-0000-0000-0000-0000000000a1', 100000)")
            #expect(throws: (any Error).self) {
                try database.query("INSERT INTO samples (test_id, seq) VALUES ('00000000-0000-0000-0000-0000000000a1', 100000)")
            }

            // Late rows for a day with no partition wait in the default one; maintenance moves them.
            _ = try database.query("""
                INSERT INTO samples (test_id, seq, unix_time_s)
                SELECT '00000000-0000-0000-0000-0000000000a1', 200000 + g, extract(epoch FROM now()) - 20 * 86400 + g FROM generate_series(1, 50) g
                """)
            #expect(try database.scalar("SELECT count(*) FROM samples_default WHERE unix_time_s IS NOT NULL") == 50)
            let changes = try await SamplePartitionMaintenance(policy: SamplePartitionPolicy()).runOnce(client: client, logger: Self.logger).changes
            #expect(changes.contains { $0.action == "created" && $0.rows == 50 }, "\(changes)")
            #expect(try database.scalar("SELECT count(*) FROM samples_default WHERE unix_time_s IS NOT NULL") == 0)
            #expect(try database.scalar("SELECT count(*) FROM samples") == 100 + 1 + 50)
            // A second pass has nothing to do.
            #expect(try await SamplePartitionMaintenance(policy: SamplePartitionPolicy()).runOnce(client: client, logger: Self.logger).changes.isEmpty)
        }
    }

    @Test func retentionDropsOldRawPartitionsAndKeepsSummariesAndAlerts() async throws {
        try await withMigratedDatabase { database, client in
            let old = "00000000-0000-0000-0000-0000000000b1"
            let recent = "00000000-0000-0000-0000-0000000000b2"
            try insertTest(database, id: old, days: 30, perDay: 24)
            try insertTest(database, id: recent, days: 2, perDay: 24)
            // A run of maintenance puts the back-dated rows into their days.
            _ = try await SamplePartitionMaintenance(policy: SamplePartitionPolicy()).runOnce(client: client, logger: Self.logger).changes
            for test in [old, recent] {
                _ = try database.query("""
                    INSERT INTO cycle_summaries (test_id, cycle_index, discharge_capacity_ah, sample_count)
                    SELECT '\(test)', g, 0.001 * g, 24 FROM generate_series(1, 10) g;
                    INSERT INTO alerts (test_id, rule, severity, cycle_index, message)
                    VALUES ('\(test)', 'E2', 'warn', 5, 'fading');
                    """)
            }
            let oldestBefore = try database.scalar("SELECT min(seq) FROM samples WHERE test_id = '\(old)'")
            #expect(oldestBefore == 1)
            let totalBefore = try database.scalar("SELECT count(*) FROM samples")

            var policy = SamplePartitionPolicy()
            policy.retainSamplesDays = 7
            let changes = try await SamplePartitionMaintenance(policy: policy).runOnce(client: client, logger: Self.logger).changes
            let dropped = changes.filter { $0.action == "dropped" }
            #expect(dropped.count >= 23, "\(changes)")

            // No raw sample older than the retention is left, and every newer one is.
            #expect(try database.scalar("SELECT count(*) FROM samples WHERE unix_time_s < extract(epoch FROM date_trunc('day', now() AT TIME ZONE 'UTC') - interval '7 days')") == 0)
            let newerBefore = 8 * 24  // the last 7 whole days and today, for the old test
            #expect(try database.scalar("SELECT count(*) FROM samples WHERE test_id = '\(old)'") >= newerBefore - 24)
            #expect(try database.scalar("SELECT count(*) FROM samples WHERE test_id = '\(recent)'") == 3 * 24)
            #expect(try database.scalar("SELECT count(*) FROM samples") < totalBefore)
            // Summaries, alerts, tests and their high-water marks are untouched.
            #expect(try database.scalar("SELECT count(*) FROM cycle_summaries") == 20)
            #expect(try database.scalar("SELECT count(*) FROM alerts") == 2)
            #expect(try database.scalar("SELECT count(*) FROM tests") == 2)
            #expect(try database.scalar("SELECT committed_seq FROM test_progress WHERE test_id = '\(old)'") == 31 * 24)
            // Dropped partitions are gone from the catalogue, and the next pass drops nothing.
            for change in dropped {
                #expect(try database.scalar("SELECT count(*) FROM pg_class WHERE relname = '\(change.partition)'") == 0)
            }
            #expect(try await SamplePartitionMaintenance(policy: policy).runOnce(client: client, logger: Self.logger).changes.filter { $0.action == "dropped" }.isEmpty)
        }
    }

    @Test func migratingAPopulatedBackboneDatabaseKeepsEveryRow() async throws {
        try await withMigratedDatabase(only: [1]) { database, client in
            let id = "00000000-0000-0000-0000-0000000000c1"
            try insertTest(database, id: id, days: 5, perDay: 10)
            _ = try database.query("INSERT INTO samples (test_id, seq) VALUES ('\(id)', 1000)")  // a NULL time
            let before = try database.query("SELECT md5(string_agg(test_id::text || seq || coalesce(unix_time_s::text, 'null'), ',' ORDER BY seq)) FROM samples")
            try await SchemaMigrations(directory: TestPaths.repositoryRoot.appendingPathComponent("schemas/migrations")).apply(client: client, logger: Self.logger)
            let after = try database.query("SELECT md5(string_agg(test_id::text || seq || coalesce(unix_time_s::text, 'null'), ',' ORDER BY seq)) FROM samples")
            #expect(before == after)
            #expect(try database.scalar("SELECT count(*) FROM samples") == 61)
            #expect(try database.scalar("SELECT count(*) FROM samples_default") == 1, "only the NULL-time row stays in the default partition")
        }
    }

    /// Alerts stored before migration 4 keep their meaning: the old `kind` becomes the rule, the
    /// old severities map onto fail/warn/info, and a resolved one stays resolved.
    @Test func migratingAlertsKeepsThemInTheNewShape() async throws {
        try await withMigratedDatabase(only: [1, 2, 3]) { database, client in
            let id = "00000000-0000-0000-0000-0000000000c2"
            try insertTest(database, id: id, days: 1, perDay: 2)
            _ = try database.query("""
                INSERT INTO alerts (test_id, kind, severity, message, details) VALUES ('\(id)', 'P2', 'critical', 'blew up', '{"ratio": 4}');
                INSERT INTO alerts (test_id, kind, severity, message, resolved_at) VALUES ('\(id)', 'E1', 'warning', 'fading', now());
                """)
            try await SchemaMigrations(directory: TestPaths.repositoryRoot.appendingPathComponent("schemas/migrations")).apply(client: client, logger: Self.logger)
            let rows = try database.query("SELECT rule || ',' || severity || ',' || state || ',' || coalesce(kind, '-') || ',' || (evidence->>'ratio')::text FROM alerts WHERE rule = 'P2'")
            #expect(rows == ["P2,fail,firing,-,4"])
            #expect(try database.scalar("SELECT count(*) FROM alerts WHERE rule = 'E1' AND severity = 'warn' AND state = 'resolved' AND agent_id IS NOT NULL") == 1)
        }
    }

    /// Migration 9 counts the cycles already stored, and its trigger keeps counting exactly: a
    /// cycle stored again (`ON CONFLICT DO NOTHING`, as detection re-runs do) adds nothing, one
    /// statement of many rows adds each, a delete takes away.
    @Test func cycleCountsAreBackfilledAndKeptExactly() async throws {
        try await withMigratedDatabase(only: Set(1...8)) { database, client in
            let old = "00000000-0000-0000-0000-0000000000d1", new = "00000000-0000-0000-0000-0000000000d2"
            try insertTest(database, id: old, days: 1, perDay: 2)
            _ = try database.query("INSERT INTO cycle_summaries (test_id, cycle_index) SELECT '\(old)', g FROM generate_series(0, 6) g")
            try await SchemaMigrations(directory: TestPaths.repositoryRoot.appendingPathComponent("schemas/migrations")).apply(client: client, logger: Self.logger)
            #expect(try database.scalar("SELECT completed_cycles FROM test_cycle_counts WHERE test_id = '\(old)'") == 7)

            _ = try database.query("""
                INSERT INTO tests (test_id, agent_id, channel_id, cell_id, started_at) VALUES ('\(new)', 'agent', 'ch2', 'cell2', now());
                INSERT INTO cycle_summaries (test_id, cycle_index) VALUES ('\(new)', 1);
                INSERT INTO cycle_summaries (test_id, cycle_index) VALUES ('\(new)', 1) ON CONFLICT (test_id, cycle_index) DO NOTHING;
                INSERT INTO cycle_summaries (test_id, cycle_index) VALUES ('\(new)', 2), ('\(new)', 3), ('\(old)', 7), ('\(old)', 6)
                    ON CONFLICT (test_id, cycle_index) DO NOTHING;
                DELETE FROM cycle_summaries WHERE test_id = '\(old)' AND cycle_index IN (0, 1);
                """)
            #expect(try database.query("SELECT test_id || ' ' || completed_cycles FROM test_cycle_counts ORDER BY test_id") == ["\(old) 6", "\(new) 3"])
            // What the count stands for: it is the rows there are.
            #expect(try database.scalar("""
                SELECT count(*) FROM test_cycle_counts k
                WHERE k.completed_cycles <> (SELECT count(*) FROM cycle_summaries c WHERE c.test_id = k.test_id)
                """) == 0)
        }
    }

    @Test func aBadRetentionSettingIsRefused() {
        var policy = SamplePartitionPolicy()
        policy.retainSamplesDays = 0
        #expect(throws: SamplePartitionPolicy.Invalid.self) { try policy.validate() }
        policy.retainSamplesDays = 30
        #expect(throws: Never.self) { try policy.validate() }
    }
}
