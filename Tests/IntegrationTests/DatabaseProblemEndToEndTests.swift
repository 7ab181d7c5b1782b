import Foundation
import TestSupport
import Testing

/// A coordinator whose database cannot be used yet says in one sentence what to check and keeps
/// trying (issue 17 §5): it used to die after 15 s with `connectionCreationCircuitBreakerTripped`.
@Suite struct DatabaseProblemEndToEndTests {
    @Test func aCoordinatorStartedBeforeItsDatabaseSaysWhatToCheckWaitsAndThenServes() async throws {
        let database = try TestDatabase()
        defer { database.stop() }
        try database.postgres.stop()
        let port = TestPaths.freePort()
        let coordinator = try TestProcess(TestPaths.cellfleet, [
            "coordinator", "--database", database.url, "--listen", "tcp://127.0.0.1:\(port)", "--insecure",
        ])
        defer { coordinator.terminate() }
        #expect(await eventually(timeoutSeconds: 60) { coordinator.stderr.contains("cannot connect to PostgreSQL") },
                "\(coordinator.stderr.suffix(2000))")
        #expect(coordinator.stderr.contains("check that the server runs"))
        // Past the pool's 15 s circuit breaker, which used to end the process.
        try await Task.sleep(for: .seconds(20))
        #expect(coordinator.process.isRunning, "\(coordinator.stderr.suffix(2000))")

        try database.postgres.start()
        #expect(await eventually(timeoutSeconds: 90) { coordinator.stderr.contains("schema migrated") }, "\(coordinator.stderr.suffix(2000))")
        let spool = TestPaths.temporaryDirectory("late-database-spool")
        defer { try? FileManager.default.removeItem(at: spool) }
        let agent = try TestProcess(TestPaths.cellfleet, [
            "agent", "--agent-id", "late-db", "--coordinator", "tcp://127.0.0.1:\(port)", "--insecure", "--spool", spool.path,
            "--simulate", "1", "--rate", "200", "--duration", "3",
        ])
        #expect(await agent.waitForExit(timeoutSeconds: 120) == 0, "\(agent.stderr.suffix(2000))")
        #expect(try database.scalar("SELECT count(*) FROM samples") > 0)
    }

    @Test func aDatabaseThatIsNotThereIsNamedAndTheCoordinatorKeepsTrying() async throws {
        let database = try TestDatabase()
        defer { database.stop() }
        let url = database.url.replacingOccurrences(of: "/cellfleet?", with: "/nonesuch?")
        #expect(url != database.url)
        let coordinator = try TestProcess(TestPaths.cellfleet, [
            "coordinator", "--database", url, "--listen", "tcp://127.0.0.1:\(TestPaths.freePort())", "--insecure",
        ])
        defer { coordinator.terminate() }
        #expect(await eventually(timeoutSeconds: 60) { coordinator.stderr.contains("has no database 'nonesuch'") },
                "\(coordinator.stderr.suffix(2000))")
        #expect(coordinator.stderr.contains("createdb"))
        try await Task.sleep(for: .seconds(5))
        #expect(coordinator.process.isRunning)
        // Said once, not on every attempt.
        #expect(coordinator.stderr.components(separatedBy: "has no database 'nonesuch'").count == 2, "\(coordinator.stderr.suffix(3000))")
        // The API server says the same, and both stop when asked while they wait (they used to
        // hang: services waiting for a coordinator that waited for its database held SIGTERM up).
        let api = try TestProcess(TestPaths.cellfleet, ["api", "--database", url, "--listen", "127.0.0.1:0", "--insecure-http"])
        defer { api.terminate() }
        #expect(await eventually(timeoutSeconds: 60) { api.stderr.contains("has no database 'nonesuch'") }, "\(api.stderr.suffix(2000))")
        for process in [coordinator, api] {
            process.process.interrupt()
            #expect(await process.waitForExit(timeoutSeconds: 15) != nil, "still running 15 s after SIGINT")
        }
    }
}
