import TestSupport
import Foundation
import Testing
import WireProtocol
import ZeroMQ

/// Authentication through the real `cellfleet` processes: only agents whose public key is in
/// the allow directory write, changes apply without a restart, and an agent writes only its own
/// tests.
@Suite(.serialized) struct AuthCoordinatorTests {
    @Test func unknownThenAllowedThenRemovedAgent() async throws {
        let database = try TestDatabase()
        let keys = try TestKeys()
        let port = TestPaths.freePort()
        let spool = TestPaths.temporaryDirectory("auth-spool").appendingPathComponent("spool")
        defer {
            database.stop()
            keys.remove()
            try? FileManager.default.removeItem(at: spool.deletingLastPathComponent())
        }
        try keys.makeAgent("cycler-a", allow: false)
        let coordinator = try await startAuthenticatedCoordinator(database: database, port: port, keys: keys)
        defer { coordinator.terminate() }
        let agent = try TestProcess(TestPaths.cellfleet, [
            "agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.path,
            "--simulate", "4", "--rate", "50", "--duration", "30",
            "--key", keys.agentSecret("cycler-a").path, "--server-key", keys.coordinatorPublic.path,
        ])
        defer { agent.terminate() }

        // 1. Not in the allow directory: it connects and sends, and nothing is written.
        #expect(await agent.waitForStderr("refused this agent's key", timeoutSeconds: 60), "agent stderr: \(agent.stderr.suffix(2000))")
        try await Task.sleep(for: .seconds(2))
        #expect(try database.scalar("SELECT count(*) FROM samples") == 0)
        #expect(try database.scalar("SELECT count(*) FROM tests") == 0)
        #expect(try database.scalar("SELECT count(*) FROM agents") == 0)
        #expect(coordinator.stderr.contains("refused an agent whose key is not in the allow directory"))

        // 2. Its key is added while the coordinator runs: accepted without a restart, under the
        //    key's name.
        try keys.allow("cycler-a")
        #expect(await eventually(timeoutSeconds: 60) { try database.scalar("SELECT count(*) FROM samples") > 0 },
                "agent stderr: \(agent.stderr.suffix(2000))")
        #expect(try database.query("SELECT DISTINCT agent_id FROM tests") == ["cycler-a"])
        #expect(try database.query("SELECT agent_id FROM agents") == ["cycler-a"])

        // 3. Its key is removed: its live connection is cut and nothing more is written.
        try keys.revoke("cycler-a")
        #expect(await coordinator.waitForStderr("no longer in the coordinator's allow directory", timeoutSeconds: 60))
        try await Task.sleep(for: .seconds(2))
        let rowsAfterCut = try database.scalar("SELECT count(*) FROM samples")
        try await Task.sleep(for: .seconds(4))
        #expect(try database.scalar("SELECT count(*) FROM samples") == rowsAfterCut, "a removed key writes nothing more")
        #expect(agent.process.isRunning, "the agent keeps spooling while refused")

        // 4. Allowed again, it delivers what it spooled meanwhile: nothing lost, nothing twice.
        try keys.allow("cycler-a")
        let status = await agent.waitForExit(timeoutSeconds: 90)
        #expect(status == 0, "agent stderr: \(agent.stderr.suffix(2000))")
        let report = try AgentReport.parse(agent.stdout)
        #expect(try database.scalar("SELECT count(*) FROM samples") == report.samples_produced)
        #expect(report.samples_acked == report.samples_produced)
    }

    @Test func anAgentCannotWriteIntoAnotherAgentsTest() async throws {
        let database = try TestDatabase()
        let keys = try TestKeys()
        let port = TestPaths.freePort()
        defer {
            database.stop()
            keys.remove()
        }
        let alice = try CurveKeyFile.read(try { try keys.makeAgent("alice", allow: true); return keys.agentSecret("alice") }(), requireSecret: true)
        let bob = try CurveKeyFile.read(try { try keys.makeAgent("bob", allow: true); return keys.agentSecret("bob") }(), requireSecret: true)
        let serverKey = try CurveKeyFile.read(keys.coordinatorPublic).publicKey
        let coordinator = try await startAuthenticatedCoordinator(database: database, port: port, keys: keys)
        defer { coordinator.terminate() }
        let endpoint = "tcp://127.0.0.1:\(port)"

        let a = try WireTestClient(endpoint: endpoint, routingID: "alice", key: alice, serverPublicKey: serverKey)
        defer { a.close() }
        guard case .welcome = try #require(await a.handshake(agentID: "alice")).body else {
            Issue.record("alice was not welcomed")
            return
        }
        let testID = UUID().uuidString.lowercased()
        a.send(WireEnvelope(.testStart(.test(deliveryID: 1, testID: testID, agentID: "alice"))))
        a.send(WireEnvelope(.sampleBatch(.test(deliveryID: 2, testID: testID, firstSeq: 1, count: 10))))
        #expect(await eventually(timeoutSeconds: 60) { try database.scalar("SELECT count(*) FROM samples") == 10 })

        // Bob says he is alice in his hello; the coordinator goes by his key's name.
        let b = try WireTestClient(endpoint: endpoint, routingID: "bob", key: bob, serverPublicKey: serverKey)
        defer { b.close() }
        guard case .welcome = try #require(await b.handshake(agentID: "alice")).body else {
            Issue.record("bob was not welcomed")
            return
        }
        b.send(WireEnvelope(.sampleBatch(.test(deliveryID: 1, testID: testID, firstSeq: 11, count: 5))))
        let refusal = try #require(await b.next(timeoutSeconds: 60) { if case .error = $0.body { return true }; return false })
        #expect(refusal.error.code == .notYourTest)
        #expect(refusal.error.deliveryID == 1)

        // Nor can he start a test in alice's name.
        let forged = UUID().uuidString.lowercased()
        b.send(WireEnvelope(.testStart(.test(deliveryID: 2, testID: forged, agentID: "alice"))))
        let forgedRefusal = try #require(await b.next(timeoutSeconds: 60) { if case .error = $0.body { return true }; return false })
        #expect(forgedRefusal.error.code == .notYourTest)

        // Nor can he take alice's routing id (and with it her acknowledgements).
        let spoof = try WireTestClient(endpoint: endpoint, routingID: "alice", key: bob, serverPublicKey: serverKey)
        defer { spoof.close() }
        spoof.send(WireEnvelope(.sampleBatch(.test(deliveryID: 3, testID: testID, firstSeq: 11, count: 5))))
        try await Task.sleep(for: .seconds(2))
        #expect(await coordinator.waitForStderr("is not this connection's authenticated name", timeoutSeconds: 60))

        #expect(try database.scalar("SELECT count(*) FROM samples") == 10)
        #expect(try database.scalar("SELECT count(*) FROM tests") == 1)
        #expect(try database.query("SELECT agent_id FROM tests") == ["alice"])
        #expect(try database.query("SELECT agent_id FROM agents ORDER BY 1") == ["alice", "bob"])
    }

    @Test func aNewKeyPairCarryingAnAllowedNameIsRefused() async throws {
        let database = try TestDatabase()
        let keys = try TestKeys()
        let port = TestPaths.freePort()
        defer {
            database.stop()
            keys.remove()
        }
        try keys.makeAgent("cycler-b", allow: true)
        let impostor = try CurveKeyFile.generate(name: "cycler-b", directory: keys.root.appendingPathComponent("impostor")).key
        let coordinator = try await startAuthenticatedCoordinator(database: database, port: port, keys: keys)
        defer { coordinator.terminate() }
        let client = try WireTestClient(endpoint: "tcp://127.0.0.1:\(port)", routingID: "cycler-b", key: impostor,
                                        serverPublicKey: try CurveKeyFile.read(keys.coordinatorPublic).publicKey)
        defer { client.close() }
        #expect(await client.handshake(agentID: "cycler-b", timeoutSeconds: 5) == nil, "no answer at all to an unknown key")
        #expect(try database.scalar("SELECT count(*) FROM agents") == 0)
        #expect(coordinator.stderr.contains("refused an agent whose key is not in the allow directory"))
    }

    @Test func curveIsOnByDefaultAndInsecureIsAnExplicitOptOutWithAWarning() async throws {
        let database = try TestDatabase()
        defer { database.stop() }
        let port = TestPaths.freePort()
        let refused = try TestProcess(TestPaths.cellfleet, ["coordinator", "--database", database.url, "--listen", "tcp://127.0.0.1:\(port)"])
        #expect(await refused.waitForExit(timeoutSeconds: 60) != 0)
        #expect(refused.stderr.contains("--key") && refused.stderr.contains("--allow") && refused.stderr.contains("--insecure"))

        let agent = try TestProcess(TestPaths.cellfleet, ["agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", "/nonexistent/spool"])
        #expect(await agent.waitForExit(timeoutSeconds: 60) != 0)
        #expect(agent.stderr.contains("--server-key"))

        let insecure = try TestProcess(TestPaths.cellfleet, [
            "coordinator", "--database", database.url, "--listen", "tcp://127.0.0.1:\(port)", "--insecure"])
        defer { insecure.terminate() }
        #expect(await insecure.waitForStderr("coordinator listening"))
        #expect(insecure.stderr.contains("INSECURE"))
    }
}
