import TestSupport
import CellfleetAgent
import CellfleetCoordinator
import Foundation
import Logging
import PostgresNIO
import Testing
import WireProtocol

/// Version skew: the protocol version is negotiated in hello; adjacent versions interoperate and
/// a peer with no version in common is refused with a message that says what to upgrade.
@Suite(.serialized) struct AuthProtocolVersionTests {
    /// A coordinator of the given versions, in this process, on the test's database.
    struct InProcessCoordinator {
        let task: Task<Void, any Error>
        let clientTask: Task<Void, Never>
        let endpoint: String

        init(database: TestDatabase, versions: ClosedRange<UInt32>) async throws {
            let client = try database.makeClient()
            clientTask = Task { await client.run() }
            let port = TestPaths.freePort()
            endpoint = "tcp://127.0.0.1:\(port)"
            var configuration = CoordinatorConfiguration(listenEndpoint: endpoint, coordinatorID: "test")
            configuration.insecure = true
            configuration.supportedProtocolVersions = versions
            configuration.schemasDirectory = TestPaths.repositoryRoot.appendingPathComponent("schemas").path
            var logger = Logger(label: "test.coordinator")
            logger.logLevel = .critical
            let coordinator = Coordinator(configuration: configuration, client: client, logger: logger)
            task = Task { try await coordinator.run() }
            await coordinator.waitUntilReady()
        }

        func stop() async {
            task.cancel()
            _ = try? await task.value
            clientTask.cancel()
        }
    }

    @Test func adjacentVersionsInteroperateAndDistantOnesAreRefusedClearly() async throws {
        let database = try TestDatabase()
        defer { database.stop() }

        // A newer coordinator (1…2) welcomes a version-1 agent in version 1.
        let newer = try await InProcessCoordinator(database: database, versions: 1...2)
        let oldAgent = try WireTestClient(endpoint: newer.endpoint, routingID: "old-agent", key: nil, serverPublicKey: nil)
        let welcome = try #require(await oldAgent.handshake(agentID: "old-agent", minimum: 1, maximum: 1))
        guard case .welcome(let body) = welcome.body else {
            Issue.record("expected a welcome, got \(welcome)")
            return
        }
        #expect(body.protocolVersion == 1)
        // A newer agent (1…2) is welcomed in version 2.
        let newAgent = try WireTestClient(endpoint: newer.endpoint, routingID: "new-agent", key: nil, serverPublicKey: nil)
        let newWelcome = try #require(await newAgent.handshake(agentID: "new-agent", minimum: 1, maximum: 2))
        #expect(newWelcome.welcome.protocolVersion == 2)
        #expect(try database.query("SELECT agent_id || ':' || protocol_version FROM agents ORDER BY 1") == ["new-agent:2", "old-agent:1"])
        // Too new for it: 3…4.
        let future = try WireTestClient(endpoint: newer.endpoint, routingID: "future-agent", key: nil, serverPublicKey: nil)
        let refusal = try #require(await future.handshake(agentID: "future-agent", minimum: 3, maximum: 4))
        #expect(refusal.error.code == .unsupportedProtocolVersion)
        #expect(refusal.error.message.contains("too new"), "\(refusal.error.message)")
        oldAgent.close()
        newAgent.close()
        future.close()
        await newer.stop()

        // A coordinator that dropped version 1 refuses a version-1 agent as too old.
        let dropped = try await InProcessCoordinator(database: database, versions: 2...3)
        let ancient = try WireTestClient(endpoint: dropped.endpoint, routingID: "ancient", key: nil, serverPublicKey: nil)
        let oldRefusal = try #require(await ancient.handshake(agentID: "ancient", minimum: 1, maximum: 1))
        #expect(oldRefusal.error.code == .unsupportedProtocolVersion)
        #expect(oldRefusal.error.message.contains("too old") && oldRefusal.error.message.contains("upgrade the agent"), "\(oldRefusal.error.message)")
        ancient.close()
        await dropped.stop()
        #expect(try database.scalar("SELECT count(*) FROM agents WHERE agent_id IN ('future-agent', 'ancient')") == 0)
    }

    @Test func aTooNewAgentStopsWithTheCoordinatorsReason() async throws {
        let database = try TestDatabase()
        defer { database.stop() }
        let coordinator = try await InProcessCoordinator(database: database, versions: 1...1)
        defer { Task { await coordinator.stop() } }
        let spool = TestPaths.temporaryDirectory("skew-spool")
        defer { try? FileManager.default.removeItem(at: spool) }
        var configuration = AgentConfiguration(agentID: "skewed", coordinatorEndpoint: coordinator.endpoint, spoolDirectory: spool)
        configuration.insecure = true
        configuration.simulatedChannels = 1
        configuration.durationSeconds = 30
        configuration.supportedProtocolVersions = 2...3
        var logger = Logger(label: "test.agent")
        logger.logLevel = .critical
        let agent = Agent(configuration: configuration, logger: logger)
        let error = await #expect(throws: AgentConfiguration.Invalid.self) { _ = try await agent.run() }
        #expect(error?.description.contains("too new") == true, "\(String(describing: error))")
        #expect(error?.description.contains("upgrade the coordinator") == true)
    }
}
