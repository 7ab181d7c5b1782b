@testable import CellfleetAgent
import Foundation
import Logging
import Testing
import TestSupport
import WireProtocol
import ZeroMQ

/// The agent's commands through a real socket: a coordinator played by the test (a ROUTER that
/// welcomes, acknowledges everything and sends commands) and an agent in this process.
@Suite(.serialized) struct AgentCommandTests {
    /// A coordinator that says yes to everything and remembers what it got.
    final class ScriptedCoordinator: @unchecked Sendable {
        let endpoint = "tcp://127.0.0.1:\(TestPaths.freePort())"
        private let context: ZMQContext
        private let loop: ZMQSocketLoop
        private var reader: Task<Void, Never>?
        private let lock = NSLock()
        private var received: [WireEnvelope] = []
        private var routingID: [UInt8]?

        init() throws {
            context = try ZMQContext()
            let endpoint = self.endpoint
            loop = try ZMQSocketLoop(name: "scripted-coordinator", context: context) { context in
                let socket = try ZMQSocket(context: context, type: .router)
                try socket.setLinger(milliseconds: 0)
                try socket.bind(endpoint)
                return socket
            }
            let messages = loop.messages
            reader = Task { [weak self] in
                for await message in messages { self?.handle(message) }
            }
        }

        private func handle(_ message: ZMQMessage) {
            guard message.frames.count == 2, let envelope = try? WireEnvelope(serializedBytes: message.frames[1]) else { return }
            lock.withLock {
                routingID = message.frames[0]
                received.append(envelope)
            }
            switch envelope.body {
            case .hello:
                var welcome = Cellfleet_Wire_V1_Welcome()
                welcome.credit = 16
                welcome.protocolVersion = 1
                welcome.coordinatorID = "scripted"
                reply(WireEnvelope(.welcome(welcome)))
            case .testStart(let start): acknowledge(start.deliveryID)
            case .sampleBatch(let batch): acknowledge(batch.deliveryID)
            case .testEnd(let end): acknowledge(end.deliveryID)
            default: break
            }
        }

        private func acknowledge(_ id: UInt64) {
            var ack = Cellfleet_Wire_V1_Ack()
            ack.deliveryIds = [id]
            reply(WireEnvelope(.ack(ack)))
        }

        func reply(_ envelope: WireEnvelope) {
            guard let routingID = lock.withLock({ routingID }), let bytes: [UInt8] = try? envelope.serializedBytes() else { return }
            loop.send([routingID, bytes])
        }

        func send(_ command: Cellfleet_Wire_V1_Command) { reply(WireEnvelope(.command(command))) }

        var envelopes: [WireEnvelope] { lock.withLock { received } }

        var testStarts: [Cellfleet_Wire_V1_TestStart] {
            envelopes.compactMap { if case .testStart(let start) = $0.body { start } else { nil } }
        }

        var hellos: [Cellfleet_Wire_V1_Hello] {
            envelopes.compactMap { if case .hello(let hello) = $0.body { hello } else { nil } }
        }

        var testEnds: [Cellfleet_Wire_V1_TestEnd] {
            envelopes.compactMap { if case .testEnd(let end) = $0.body { end } else { nil } }
        }

        /// The results received for a command, in order, waiting up to `timeoutSeconds` for `count`.
        /// The waits are long because they return as soon as the condition holds: under `swift test`
        /// CPU-bound suites can hold both cooperative threads for a minute (CI saw a welcome take >10 s).
        func results(of commandID: UInt64, count: Int = 1, timeoutSeconds: Double = 60) async -> [Cellfleet_Wire_V1_CommandResult] {
            func matching() -> [Cellfleet_Wire_V1_CommandResult] {
                envelopes.compactMap { if case .commandResult(let result) = $0.body, result.commandID == commandID { result } else { nil } }
            }
            _ = await eventually(timeoutSeconds: timeoutSeconds) { matching().count >= count }
            return matching()
        }

        func welcomed(timeoutSeconds: Double = 60) async -> Bool {
            await eventually(timeoutSeconds: timeoutSeconds) { self.lock.withLock { self.routingID != nil } && self.testStarts.count > 0 }
        }

        func close() {
            loop.stop()
            reader?.cancel()
            context.terminate()
        }
    }

    static func startTest(_ id: UInt64, channel: String, protocolName: String, testID: String, cellID: String = "") -> Cellfleet_Wire_V1_Command {
        var command = Cellfleet_Wire_V1_Command()
        command.commandID = id
        var start = Cellfleet_Wire_V1_StartTest()
        start.testID = testID
        start.channelID = channel
        start.protocol = protocolName
        if !cellID.isEmpty { start.cell.cellID = cellID }
        command.action = .startTest(start)
        return command
    }

    static func stopChannel(_ id: UInt64, channel: String, reason: String = "") -> Cellfleet_Wire_V1_Command {
        var command = Cellfleet_Wire_V1_Command()
        command.commandID = id
        var stop = Cellfleet_Wire_V1_StopChannel()
        stop.channelID = channel
        stop.reason = reason
        command.action = .stopChannel(stop)
        return command
    }

    func makeAgent(endpoint: String, spool: URL) -> (Agent, Task<AgentSummary, any Error>) {
        var configuration = AgentConfiguration(agentID: "commanded", coordinatorEndpoint: endpoint, spoolDirectory: spool)
        configuration.insecure = true
        configuration.simulatedChannels = 2
        configuration.sampleRateHertz = 20
        var logger = Logger(label: "test.agent")
        logger.logLevel = .critical
        let agent = Agent(configuration: configuration, logger: logger)
        return (agent, Task { try await agent.runUntilFinished() })
    }

    @Test func stopAndStartTestsOnceEachAcrossARestart() async throws {
        let coordinator = try ScriptedCoordinator()
        defer { coordinator.close() }
        let spool = TestPaths.temporaryDirectory("command-spool")
        defer { try? FileManager.default.removeItem(at: spool) }
        var (agent, run) = makeAgent(endpoint: coordinator.endpoint, spool: spool)
        #expect(await coordinator.welcomed())
        // Distinct: under load an ack may come after the agent's timeout, and the start is re-sent.
        #expect(await eventually(timeoutSeconds: 60) { Set(coordinator.testStarts.map(\.testID)).count == 2 })
        let firstTests = Array(Set(coordinator.testStarts.map(\.testID)))
        #expect(firstTests.count == 2)

        coordinator.send(Self.stopChannel(1, channel: "ch1", reason: "maintenance"))
        let stopped = await coordinator.results(of: 1)
        #expect(stopped.map(\.ok) == [true] && stopped.first?.message == "channel ch1 stopped")
        #expect(await eventually(timeoutSeconds: 60) { coordinator.testEnds.contains { $0.reason == "stopped: maintenance" } })

        // An idle channel, but not a protocol a simulated channel runs.
        coordinator.send(Self.startTest(5, channel: "ch1", protocolName: "cc-cv 1C", testID: UUID().uuidString))
        #expect(await coordinator.results(of: 5).first.map { !$0.ok && $0.message.contains("sim:PRESET") } == true)

        let newTest = UUID().uuidString.lowercased()
        let start = Self.startTest(2, channel: "ch1", protocolName: "sim:4", testID: newTest, cellID: "cell-42")
        coordinator.send(start)
        let started = await coordinator.results(of: 2)
        #expect(started.first?.ok == true, "\(started)")
        #expect(await eventually(timeoutSeconds: 60) { coordinator.testStarts.contains { $0.testID == newTest && $0.cell.cellID == "cell-42" && $0.channelID == "ch1" } })

        // Refusals, each with its reason.
        coordinator.send(Self.startTest(3, channel: "ch2", protocolName: "sim:1", testID: UUID().uuidString))
        #expect(await coordinator.results(of: 3).first?.message.contains("is running test") == true)
        coordinator.send(Self.stopChannel(4, channel: "ch9"))
        #expect(await coordinator.results(of: 4).first.map { !$0.ok && $0.message == "no running test on channel ch9" } == true)

        // Sent again (the coordinator did not hear the result): the same answer, not a second test.
        coordinator.send(start)
        let again = await coordinator.results(of: 2, count: 2)
        #expect(again.count == 2 && again[0] == again[1])
        try await Task.sleep(for: .milliseconds(300))
        // One start delivery (a re-send of it after an ack timeout is the same delivery).
        #expect(Set(coordinator.testStarts.filter { $0.testID == newTest }.map(\.deliveryID)).count == 1)

        // Restarted on its spool: the started test carries on, a repeat is still answered alike.
        await agent.requestStop()
        _ = try await run.value
        let hellosBefore = coordinator.hellos.count
        (agent, run) = makeAgent(endpoint: coordinator.endpoint, spool: spool)
        // A repeat sent before the new link is welcomed would go to the old peer and be dropped.
        #expect(await eventually(timeoutSeconds: 60) { coordinator.hellos.count > hellosBefore })
        try await Task.sleep(for: .milliseconds(300))
        coordinator.send(start)
        let afterRestart = await coordinator.results(of: 2, count: 3)
        #expect(afterRestart.count == 3 && afterRestart[2] == afterRestart[0])
        #expect(Set(coordinator.testStarts.map(\.testID)) == Set(firstTests + [newTest]), "no test started anew after the restart")
        #expect(await eventually(timeoutSeconds: 60) {
            coordinator.envelopes.contains { if case .sampleBatch(let batch) = $0.body { batch.testID == newTest && batch.firstSeq > 1 } else { false } }
        })
        let hello = coordinator.hellos.last
        #expect(hello?.channels.map(\.channelID) == ["ch1", "ch2"])
        #expect(hello.map { $0.channels[0].currentMaxA > 0 && $0.channels[0].voltageMaxV == 5 } == true)
        await agent.requestStop()
        _ = try await run.value
    }
}
