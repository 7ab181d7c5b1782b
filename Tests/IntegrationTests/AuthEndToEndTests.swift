import TestSupport
import Foundation
import Testing

/// The backbone's end-to-end promise with CURVE on, keys given as a lab would: every sample the
/// agent produces is in `samples` exactly once. (Same run and checks as
/// EndToEndTests.everyProducedSampleIsCommittedOnce: 16 channels at 200 samples/s for 20 s.)
@Suite(.serialized) struct AuthEndToEndTests {
    @Test func everyProducedSampleIsCommittedOnceWithKeys() async throws {
        let database = try TestDatabase()
        let keys = try TestKeys()
        let port = TestPaths.freePort()
        let spool = TestPaths.temporaryDirectory("spool").appendingPathComponent("spool")
        defer {
            database.stop()
            keys.remove()
            try? FileManager.default.removeItem(at: spool.deletingLastPathComponent())
        }
        try keys.makeAgent("e2e-agent", allow: true)
        let coordinator = try await startAuthenticatedCoordinator(database: database, port: port, keys: keys)
        defer { coordinator.terminate() }
        // No --agent-id: an agent started with --key is known by its key's name.
        let agent = try TestProcess(TestPaths.cellfleet, [
            "agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.path,
            "--simulate", "16", "--rate", "200", "--duration", "20",
            "--key", keys.agentSecret("e2e-agent").path, "--server-key", keys.coordinatorPublic.path,
        ])
        defer { agent.terminate() }
        let status = await agent.waitForExit(timeoutSeconds: 120)
        #expect(status == 0, "agent stderr: \(agent.stderr.suffix(2000))")
        let report = try AgentReport.parse(agent.stdout)
        #expect(report.samples_produced > 16 * 200 * 15)

        let rows = try database.scalar("SELECT count(*) FROM samples")
        #expect(rows == report.samples_produced)
        #expect(report.samples_acked == report.samples_produced)
        #expect(try database.scalar("SELECT count(*) FROM (SELECT DISTINCT test_id, seq FROM samples) d") == rows)
        #expect(try database.scalar("SELECT count(*) FROM (SELECT test_id FROM samples GROUP BY test_id HAVING max(seq) <> count(*) OR min(seq) <> 1) h") == 0)
        #expect(try database.scalar("SELECT count(*) FROM test_progress p WHERE committed_seq <> (SELECT coalesce(max(seq), 0) FROM samples s WHERE s.test_id = p.test_id)") == 0)
        #expect(try database.scalar("SELECT count(*) FROM tests WHERE ended_at IS NOT NULL AND last_seq IS NOT NULL") == 16)
        #expect(try database.query("SELECT DISTINCT agent_id FROM tests") == ["e2e-agent"])
        #expect(!agent.stderr.contains("INSECURE") && !coordinator.stderr.contains("INSECURE"))
    }
}
