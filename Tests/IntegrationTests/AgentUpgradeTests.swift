import TestSupport
import Foundation
import Testing

/// A lab replaces the agent in the middle of a months-long test: the reshaped agent reads the
/// spool and `channels.json` a 0.1.0 agent left (Fixtures/spool-0.1.0: 3 simulated channels,
/// 324 samples, nothing acknowledged) and carries the same three tests on, numbered without a
/// hole, every sample stored once and every delivery acknowledged; and what it writes beside the
/// spool stays readable by the 0.1.0 agent.
@Suite(.serialized) struct AgentUpgradeTests {
    static let fixture = TestPaths.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures/spool-0.1.0")
    static let fixtureTests: Set<String> = [
        "edc8fb31-08ba-4272-a13b-c870abe8b112", "55eba127-ec29-4d58-b0b0-bba1022ed194", "9b067a1a-aa18-48fd-9140-696f81eb1455",
    ]
    static let fixtureSamples = 324

    /// `channels.json` as the 0.1.0 agent decodes it (its `ChannelRegistry`, verbatim fields).
    struct RegistryOf010: Decodable {
        struct RunningTest: Decodable {
            var testID: String
            var channelID: String
            var cell: Cell
            var startUnixTimeSeconds: Double
            var seed: UInt64
            var scenario: String?
        }
        struct Cell: Decodable {
            var cellID: String
            var cellType: String
            var electrodeAreaSquareMeters: Double?
            var activeMassKilograms: Double?
            var nominalCapacityAmpHours: Double?
            var attributes: [String: String]
        }
        var agentID: String
        var tests: [String: RunningTest]
    }

    func agentArguments(port: Int, spool: URL, duration: Int) -> [String] {
        [
            "agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.path, "--simulate", "3", "--rate", "20",
            "--duration", "\(duration)", "--insecure", "--agent-id", "upgrade-agent", "--seed", "7",
        ]
    }

    @Test func theReshapedAgentCarriesOnTheTestsOfA010Spool() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let scratch = TestPaths.temporaryDirectory("upgrade")
        let spool = scratch.appendingPathComponent("spool")
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: scratch)
        }
        try FileManager.default.copyItem(at: Self.fixture, to: spool)
        let coordinator = try TestProcess(TestPaths.cellfleet, [
            "coordinator", "--database", database.url, "--listen", "tcp://127.0.0.1:\(port)", "--insecure",
        ])
        defer { coordinator.terminate() }
        #expect(await coordinator.waitForStderr("coordinator listening"))

        // 1. Stopped by SIGTERM mid-run, as a lab stops it: what it leaves beside the spool is
        //    still what 0.1.0 reads, with the same three tests running.
        let interrupted = try TestProcess(TestPaths.cellfleet, agentArguments(port: port, spool: spool, duration: 100))
        #expect(await eventually(timeoutSeconds: 60) { try database.scalar("SELECT count(*) FROM samples") > Self.fixtureSamples },
                "agent stderr: \(interrupted.stderr.suffix(2000))")
        interrupted.process.terminate()
        #expect(await interrupted.waitForExit(timeoutSeconds: 60) == 0, "agent stderr: \(interrupted.stderr.suffix(2000))")
        #expect(interrupted.stderr.contains("continuing a test after restart"))
        let written = try Data(contentsOf: spool.appendingPathComponent("channels.json"))
        let asOld = try JSONDecoder().decode(RegistryOf010.self, from: written)
        #expect(asOld.agentID == "upgrade-agent")
        #expect(Set(asOld.tests.values.map(\.testID)) == Self.fixtureTests)
        #expect(Set(asOld.tests.values.compactMap(\.scenario)) == ["1", "4"])
        #expect(String(decoding: written, as: UTF8.self).contains("\"resume\""), "the resume points are added beside the old fields")

        // 2. Run to the end: the tests end, everything is acknowledged.
        let final = try TestProcess(TestPaths.cellfleet, agentArguments(port: port, spool: spool, duration: 3))
        let status = await final.waitForExit(timeoutSeconds: 120)
        #expect(status == 0, "agent stderr: \(final.stderr.suffix(2000))")
        let report = try AgentReport.parse(final.stdout)
        #expect(report.samples_produced > Self.fixtureSamples)
        #expect(report.samples_acked == report.samples_produced)

        let rows = try database.scalar("SELECT count(*) FROM samples")
        #expect(rows == report.samples_produced)
        #expect(Set(try database.query("SELECT test_id FROM tests")) == Self.fixtureTests, "no new tests, the old ones carried on")
        #expect(try database.scalar("SELECT count(*) FROM (SELECT DISTINCT test_id, seq FROM samples) d") == rows)
        #expect(try database.scalar("SELECT count(*) FROM (SELECT test_id FROM samples GROUP BY test_id HAVING max(seq) <> count(*) OR min(seq) <> 1) h") == 0)
        #expect(try database.scalar("SELECT count(*) FROM tests WHERE ended_at IS NOT NULL AND last_seq = (SELECT max(seq) FROM samples s WHERE s.test_id = tests.test_id)") == 3)
        // The simulated signal carries on where 0.1.0 left it: test time advances one sampling
        // period (1/20 s) per sequence number across both restarts.
        #expect(try database.scalar("SELECT count(*) FROM samples WHERE abs(test_time_s - (seq - 1) * 0.05) > 1e-6") == 0)

        // Every delivery acknowledged: nothing left in the spool to send.
        let ledger = try JSONSerialization.jsonObject(with: Data(contentsOf: spool.appendingPathComponent("ledger.json"))) as? [String: Any]
        #expect(ledger?["ackedSamples"] as? Int == report.samples_produced)
        #expect(ledger?["epoch"] as? Int == 1_796_228_634_296_904, "the spool is the 0.1.0 one, not a new one")
        let afterwards = try JSONDecoder().decode(RegistryOf010.self, from: Data(contentsOf: spool.appendingPathComponent("channels.json")))
        #expect(afterwards.tests.isEmpty)
    }
}
