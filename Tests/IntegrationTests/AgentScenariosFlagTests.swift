import TestSupport
import Foundation
import Testing

/// `cellfleet agent --scenarios 9,10`: the simulated channels cycle through the presets given by
/// flag, as the TOML config's `scenarios` does, and each test records its preset in
/// `tests.attributes.scenario`; an unknown preset is refused before anything starts.
@Suite(.serialized) struct AgentScenariosFlagTests {
    @Test func theChannelsCycleThroughThePresetsGivenByFlag() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let spool = TestPaths.temporaryDirectory("scenarios-flag")
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: spool)
        }
        let coordinator = try await TestProcess.insecureCoordinator(database, port: port)
        defer { coordinator.terminate() }
        let agent = try TestProcess(TestPaths.cellfleet, [
            "agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.path, "--simulate", "3",
            "--scenarios", "9, 10", "--rate", "20", "--duration", "2", "--insecure", "--agent-id", "scenarios-agent",
        ])
        #expect(await agent.waitForExit(timeoutSeconds: 120) == 0, "agent stderr: \(agent.stderr.suffix(2000))")
        let scenarios = try database.query("SELECT attributes->>'scenario' FROM tests ORDER BY channel_id")
        #expect(scenarios == ["9", "10", "9"], "\(scenarios)")
    }

    @Test func anUnknownPresetIsRefusedBeforeAnythingStarts() async throws {
        let spool = TestPaths.temporaryDirectory("scenarios-unknown")
        defer { try? FileManager.default.removeItem(at: spool) }
        let agent = try TestProcess(TestPaths.cellfleet, [
            "agent", "--coordinator", "tcp://127.0.0.1:1", "--spool", spool.path, "--simulate", "2",
            "--scenarios", "9,nonesuch", "--insecure",
        ])
        let status = await agent.waitForExit(timeoutSeconds: 30)
        #expect(status != nil && status != 0)
        #expect(agent.stderr.contains("unknown simulator scenario 'nonesuch'"), "\(agent.stderr)")
    }
}
