import TestSupport
import Foundation
import Testing

/// The backbone's promise, checked through real processes: every sample an agent produces is in
/// `samples` exactly once, whatever is killed on the way. (Acceptance: 16 channels at 200
/// samples/s for 20 s, with the coordinator, the agent or PostgreSQL killed mid-run.)
@Suite(.serialized) struct EndToEndTests {
    struct Fleet {
        let database: TestDatabase
        let port: Int
        let spool: URL
        var coordinator: TestProcess?

        init() throws {
            database = try TestDatabase()
            port = TestPaths.freePort()
            spool = TestPaths.temporaryDirectory("spool").appendingPathComponent("spool")  // not yet created
        }

        mutating func startCoordinator() throws {
            coordinator = try TestProcess(TestPaths.cellfleet, [
                "coordinator", "--database", database.url, "--listen", "tcp://127.0.0.1:\(port)", "--insecure",
            ])
        }

        func startAgent(duration: Int = 20) throws -> TestProcess {
            try TestProcess(TestPaths.cellfleet, [
                "agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.path,
                "--simulate", "16", "--rate", "200", "--duration", "\(duration)", "--insecure", "--agent-id", "e2e-agent",
            ])
        }

        /// Exactly once: as many rows as produced, no (test, seq) twice, no hole in any test.
        func expectExactlyOnce(_ report: AgentReport, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let rows = try database.scalar("SELECT count(*) FROM samples")
            #expect(rows == report.samples_produced, sourceLocation: sourceLocation)
            #expect(report.samples_acked == report.samples_produced, sourceLocation: sourceLocation)
            #expect(try database.scalar("SELECT count(*) FROM (SELECT DISTINCT test_id, seq FROM samples) d") == rows, sourceLocation: sourceLocation)
            #expect(try database.scalar("SELECT count(*) FROM (SELECT test_id FROM samples GROUP BY test_id HAVING max(seq) <> count(*) OR min(seq) <> 1) h") == 0,
                    sourceLocation: sourceLocation)
            #expect(try database.scalar("SELECT count(*) FROM test_progress p WHERE committed_seq <> (SELECT coalesce(max(seq), 0) FROM samples s WHERE s.test_id = p.test_id)") == 0,
                    sourceLocation: sourceLocation)
        }

        func stop() {
            coordinator?.terminate()
            database.stop()
            try? FileManager.default.removeItem(at: spool.deletingLastPathComponent())
        }
    }

    @Test func everyProducedSampleIsCommittedOnce() async throws {
        var fleet = try Fleet()
        defer { fleet.stop() }
        try fleet.startCoordinator()
        let agent = try fleet.startAgent()
        let status = await agent.waitForExit(timeoutSeconds: 120)
        #expect(status == 0, "agent stderr: \(agent.stderr.suffix(2000))")
        let report = try AgentReport.parse(agent.stdout)
        #expect(report.samples_produced > 16 * 200 * 15)
        try fleet.expectExactlyOnce(report)
        #expect(try fleet.database.scalar("SELECT count(*) FROM tests WHERE ended_at IS NOT NULL AND last_seq IS NOT NULL") == 16)
    }

    @Test func survivesTheCoordinatorKilledAndRestarted() async throws {
        var fleet = try Fleet()
        defer { fleet.stop() }
        try fleet.startCoordinator()
        let agent = try fleet.startAgent()
        try await Task.sleep(for: .seconds(8))
        fleet.coordinator?.kill9()
        try await Task.sleep(for: .seconds(3))
        try fleet.startCoordinator()
        let status = await agent.waitForExit(timeoutSeconds: 150)
        #expect(status == 0, "agent stderr: \(agent.stderr.suffix(2000))")
        try fleet.expectExactlyOnce(try AgentReport.parse(agent.stdout))
    }

    @Test func survivesTheAgentKilledAndRestartedOnItsSpool() async throws {
        var fleet = try Fleet()
        defer { fleet.stop() }
        try fleet.startCoordinator()
        let first = try fleet.startAgent()
        try await Task.sleep(for: .seconds(8))
        first.kill9()
        let rowsAfterKill = try fleet.database.scalar("SELECT count(*) FROM samples")
        #expect(rowsAfterKill > 0)
        let second = try fleet.startAgent(duration: 10)
        let status = await second.waitForExit(timeoutSeconds: 150)
        #expect(status == 0, "agent stderr: \(second.stderr.suffix(2000))")
        let report = try AgentReport.parse(second.stdout)
        // Totals count across the restart: the first run's samples (at least those already
        // committed when it was killed) are in them, beside the second run's.
        #expect(report.samples_produced > rowsAfterKill + 16 * 200 * 5)
        try fleet.expectExactlyOnce(report)
        // The restarted agent continued the same 16 tests rather than starting new ones.
        #expect(try fleet.database.scalar("SELECT count(*) FROM tests") == 16)
    }

    @Test func survivesPostgreSQLRestartedMidRun() async throws {
        var fleet = try Fleet()
        defer { fleet.stop() }
        try fleet.startCoordinator()
        let agent = try fleet.startAgent()
        try await Task.sleep(for: .seconds(8))
        try fleet.database.postgres.stop()
        try await Task.sleep(for: .seconds(3))
        try fleet.database.postgres.start()
        let status = await agent.waitForExit(timeoutSeconds: 150)
        #expect(status == 0, "agent stderr: \(agent.stderr.suffix(2000))\ncoordinator stderr: \(fleet.coordinator?.stderr.suffix(4000) ?? "")")
        try fleet.expectExactlyOnce(try AgentReport.parse(agent.stdout))
        #expect(fleet.coordinator?.process.isRunning == true, "the coordinator must ride out a database restart")
    }
}
