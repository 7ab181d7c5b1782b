import TestSupport
import Foundation
import Testing
import WireProtocol
import ZeroMQ

extension TestProcess {
    /// `cellfleet coordinator` without CURVE on `port`, once it listens; `arguments` are added.
    static func insecureCoordinator(_ database: TestDatabase, port: Int, _ arguments: [String] = []) async throws -> TestProcess {
        let coordinator = try TestProcess(TestPaths.cellfleet, [
            "coordinator", "--database", database.url, "--listen", "tcp://127.0.0.1:\(port)", "--insecure",
        ] + arguments)
        guard await coordinator.waitForStderr("coordinator listening") else {
            coordinator.terminate()
            throw CoordinatorDidNotListen(stderr: String(coordinator.stderr.suffix(3000)))
        }
        return coordinator
    }

    struct CoordinatorDidNotListen: Error, CustomStringConvertible {
        var stderr: String
        var description: String { "the coordinator did not start listening; stderr: \(stderr)" }
    }

    /// Waits until a line containing `text` appears on stderr.
    func waitForStderr(_ text: String, timeoutSeconds: Double = 60) async -> Bool {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            if stderr.contains(text) { return true }
            if !process.isRunning { return stderr.contains(text) }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}

/// Starts `cellfleet coordinator` with CURVE on and waits until it listens.
func startAuthenticatedCoordinator(database: TestDatabase, port: Int, keys: TestKeys, extra: [String] = []) async throws -> TestProcess {
    let coordinator = try TestProcess(TestPaths.cellfleet, [
        "coordinator", "--database", database.url, "--listen", "tcp://127.0.0.1:\(port)",
        "--key", keys.coordinatorSecret.path, "--allow", keys.allowDirectory.path,
    ] + extra)
    guard await coordinator.waitForStderr("coordinator listening") else {
        coordinator.terminate()
        throw TestFailure("the coordinator did not start: \(coordinator.stderr.suffix(3000))")
    }
    return coordinator
}

/// A hand-driven agent link speaking the wire protocol, for what a well-behaved agent never
/// sends: another agent's test, a spoofed routing id, an odd protocol range.
final class WireTestClient: @unchecked Sendable {
    private let context: ZMQContext
    private let loop: ZMQSocketLoop
    private let lock = NSLock()
    private var received: [WireEnvelope] = []
    private var reader: Task<Void, Never>?
    private var monitor: ZMQSocketLoop?
    private var disconnectCount = 0

    /// - Parameter watchConnection: count the connection's drops (`disconnects`).
    init(endpoint: String, routingID: String, key: CurveKeyFile?, serverPublicKey: String?, watchConnection: Bool = false) throws {
        context = try ZMQContext()
        let monitorEndpoint = "inproc://wire-test-client-monitor-\(UUID().uuidString)"
        loop = try ZMQSocketLoop(name: "wire-test-client", context: context) { context in
            let socket = try ZMQSocket(context: context, type: .dealer)
            try socket.setLinger(milliseconds: 0)
            try socket.setRoutingID(routingID)
            if let key, let secret = key.secretKey, let serverPublicKey {
                try socket.makeCurveClient(publicKey: key.publicKey, secretKey: secret, serverPublicKey: serverPublicKey)
            }
            if watchConnection { try socket.monitor(endpoint: monitorEndpoint) }
            try socket.connect(endpoint)
            return socket
        }
        if watchConnection {
            let monitor = try ZMQSocketLoop(name: "wire-test-client-monitor", context: context) { context in
                let socket = try ZMQSocket(context: context, type: .pair)
                try socket.setLinger(milliseconds: 0)
                try socket.connect(monitorEndpoint)
                return socket
            }
            self.monitor = monitor
            let events = monitor.messages
            Task { [weak self] in
                for await event in events where ZMQMonitorEvent(frames: event.frames) == .disconnected {
                    self?.lock.withLock { self?.disconnectCount += 1 }
                }
            }
        }
        let messages = loop.messages
        reader = Task { [weak self] in
            for await message in messages {
                guard let frame = message.frames.last, let envelope = try? WireEnvelope(serializedBytes: frame) else { continue }
                self?.lock.withLock { self?.received.append(envelope) }
            }
        }
    }

    func send(_ envelope: WireEnvelope) {
        guard let bytes: [UInt8] = try? envelope.serializedBytes() else { return }
        loop.send([bytes])
    }

    /// Sends an envelope already serialized (a flood built without encoding each message).
    func sendSerialized(_ bytes: [UInt8]) {
        loop.send([bytes])
    }

    /// Messages queued and not yet taken by libzmq (a sender that floods waits on this).
    var pendingSendCount: Int { loop.pendingSendCount }

    /// How often the connection dropped so far (with `watchConnection`).
    var disconnects: Int { lock.withLock { disconnectCount } }

    /// Every message received so far that is not a heartbeat, without removing it.
    var receivedSoFar: [WireEnvelope] {
        lock.withLock { received.filter { if case .heartbeat = $0.body { return false }; return true } }
    }

    func hello(agentID: String, minimum: UInt32 = 1, maximum: UInt32 = 1) {
        var hello = Cellfleet_Wire_V1_Hello()
        hello.agentID = agentID
        hello.softwareVersion = "test"
        hello.minProtocolVersion = minimum
        hello.maxProtocolVersion = maximum
        send(WireEnvelope(.hello(hello)))
    }

    /// The first received message (not a heartbeat) that `matches`, removed from the inbox.
    func next(timeoutSeconds: Double, where matches: @escaping (WireEnvelope) -> Bool = { _ in true }) async -> WireEnvelope? {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            let found: WireEnvelope? = lock.withLock {
                guard let index = received.firstIndex(where: { envelope in
                    if case .heartbeat = envelope.body { return false }
                    return matches(envelope)
                }) else { return nil }
                return received.remove(at: index)
            }
            if let found { return found }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// Says hello until welcomed (the coordinator may still be connecting to us) or refused.
    func handshake(agentID: String, timeoutSeconds: Double = 30, minimum: UInt32 = 1, maximum: UInt32 = 1) async -> WireEnvelope? {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            hello(agentID: agentID, minimum: minimum, maximum: maximum)
            if let answer = await next(timeoutSeconds: 1, where: { envelope in
                switch envelope.body {
                case .welcome, .error: return true
                default: return false
                }
            }) { return answer }
        }
        return nil
    }

    func close() {
        monitor?.stop()
        loop.stop()
        reader?.cancel()
        context.terminate()
    }
}

extension Cellfleet_Wire_V1_SampleBatch {
    /// A small batch of made-up samples.
    static func test(deliveryID: UInt64, testID: String, firstSeq: UInt64, count: Int) -> Self {
        var batch = Cellfleet_Wire_V1_SampleBatch()
        batch.deliveryID = deliveryID
        batch.testID = testID
        batch.firstSeq = firstSeq
        let now = Date().timeIntervalSince1970
        for i in 0..<count {
            batch.unixTimeS.append(now + Double(i))
            batch.testTimeS.append(Double(firstSeq) + Double(i))
            batch.voltageV.append(3.7)
            batch.currentA.append(0.001)
        }
        return batch
    }
}

extension Cellfleet_Wire_V1_TestStart {
    static func test(deliveryID: UInt64, testID: String, agentID: String) -> Self {
        var start = Cellfleet_Wire_V1_TestStart()
        start.deliveryID = deliveryID
        start.testID = testID
        start.agentID = agentID
        start.channelID = "ch1"
        start.cell.cellID = "cell-\(testID.prefix(8))"
        start.startUnixTimeS = Date().timeIntervalSince1970
        return start
    }
}
