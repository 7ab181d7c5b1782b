import TestSupport
import Foundation
import Testing

/// The documented backup and restore (deploy/cellfleet-backup.sh, deploy/cellfleet-restore.sh):
/// backup, drop the database, restore, and every row is back.
@Suite(.serialized) struct BackupTests {
    @Test func backupDropRestoreGivesBackTheSameRows() async throws {
        let database = try TestDatabase()
        defer { database.stop() }
        let backups = TestPaths.temporaryDirectory("backups")
        defer { try? FileManager.default.removeItem(at: backups) }
        let postgres = database.postgres

        // A populated, migrated database: run a coordinator and an agent briefly.
        let port = TestPaths.freePort()
        let coordinator = try await TestProcess.insecureCoordinator(database, port: port)
        let spool = TestPaths.temporaryDirectory("backup-spool")
        defer { try? FileManager.default.removeItem(at: spool) }
        let agent = try TestProcess(TestPaths.cellfleet, [
            "agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.appendingPathComponent("spool").path,
            "--simulate", "4", "--rate", "100", "--duration", "3", "--insecure", "--agent-id", "backup-agent"])
        #expect(await agent.waitForExit(timeoutSeconds: 60) == 0, "agent stderr: \(agent.stderr.suffix(2000))")
        coordinator.terminate()
        // Live detection already stored the cycles it saw; a cycle no test reaches is added beside them.
        _ = try database.query("""
            INSERT INTO cycle_summaries (test_id, cycle_index, sample_count) SELECT test_id, 1000000, 10 FROM tests;
            INSERT INTO alerts (test_id, rule, severity, message) SELECT test_id, 'Q1', 'info', 'kept' FROM tests;
            """)
        // Back-filled history, compacted in part (migration 0011): chunks are restored too.
        let exports = TestPaths.temporaryDirectory("backup-exports")
        defer { try? FileManager.default.removeItem(at: exports) }
        let history = try await CompactionEndToEndTests.insertHistory(database, tests: 1, samples: 20_000, intervalSeconds: 12, daysAgo: 2.5)[0]
        let compacted = try await CompactionEndToEndTests.compact(database)
        #expect((compacted["samples"] as? Int ?? 0) > 0, "\(compacted)")
        let exported = try await CompactionEndToEndTests.export(database, test: history, into: exports, name: "history-before")
        let chunkBytes = "SELECT md5(string_agg(encode(columns, 'hex'), '' ORDER BY test_id, first_seq)) FROM sample_chunks"
        let chunksBefore = try database.query(chunkBytes)
        let tables = ["samples", "sample_chunks", "tests", "test_progress", "agents", "channels", "cycle_summaries", "alerts", "schema_migrations"]
        func counts() throws -> [String: Int] {
            var result: [String: Int] = [:]
            for table in tables { result[table] = try database.scalar("SELECT count(*) FROM \(table)") }
            return result
        }
        let before = try counts()
        #expect(before["samples"]! > 1000)

        // Backup, as the postgres user (the service runs it so), with the script the timer runs.
        try? FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: backups.path)
        let script = TestPaths.repositoryRoot.appendingPathComponent("deploy/cellfleet-backup.sh").path
        let output = try TestProcess.run("/usr/sbin/runuser", [
            "-u", postgres.user, "--", "env", "CELLFLEET_BACKUP_DIR=\(backups.path)", "CELLFLEET_BACKUP_KEEP=2",
            "PGHOST=\(postgres.socketDirectory.path)", "PGPORT=\(postgres.port)", "PGUSER=\(postgres.user)", "sh", script])
        let backup = try #require(output.split(separator: "\n").last.map(String.init))
        #expect(FileManager.default.fileExists(atPath: backup + "/base.tar.gz"), "output: \(output)")

        // Someone drops the database.
        try postgres.psql("DROP DATABASE \(postgres.databaseName) WITH (FORCE)", database: "postgres")
        #expect(throws: (any Error).self) { try database.query("SELECT 1") }

        // Restore: stop PostgreSQL, put the backup in place of the cluster, start.
        try postgres.stop()
        let restore = TestPaths.repositoryRoot.appendingPathComponent("deploy/cellfleet-restore.sh").path
        _ = try TestProcess.run("/bin/sh", [restore, backup, postgres.clusterDirectory.path, postgres.user])
        _ = try postgres.start()
        let after = try counts()
        #expect(after == before)
        #expect(try database.scalar("SELECT count(*) FROM (SELECT DISTINCT test_id, seq FROM samples) d") == before["samples"]!)
        #expect(try database.query(chunkBytes) == chunksBefore)
        #expect(try await CompactionEndToEndTests.export(database, test: history, into: exports, name: "history-after") == exported)

        // The restore refuses to run over a live cluster.
        let refused = try TestProcess("/bin/sh", [restore, backup, postgres.clusterDirectory.path, postgres.user])
        #expect(await refused.waitForExit(timeoutSeconds: 60) != 0)
        #expect(refused.stderr.contains("stop it first"))
        // The dropped cluster's directory was kept aside, not deleted.
        let siblings = try FileManager.default.contentsOfDirectory(atPath: postgres.clusterDirectory.deletingLastPathComponent().path)
        #expect(siblings.contains { $0.hasPrefix("cluster.before-restore-") })
    }
}
