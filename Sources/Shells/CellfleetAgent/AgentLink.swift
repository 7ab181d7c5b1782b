import Foundation
import Logging
import ZeroMQ

/// One connection of the agent to the coordinator: a DEALER socket on its own thread, the task
/// that hands what arrives to the agent, and (with CURVE) a monitor of its handshakes. The
/// delivery rules decide when a link is replaced (`reopenLink`); a link is never reused.
final class AgentLink {
    private let loop: ZMQSocketLoop
    private let monitor: AgentLinkMonitor?
    private let receiver: Task<Void, Never>

    init(
        configuration: AgentConfiguration, credentials: AgentCredentials?, context: ZMQContext, logger: Logger,
        receive: @escaping @Sendable (ZMQMessage) async -> Void
    ) throws {
        let monitorEndpoint = "inproc://cellfleet-agent-link-monitor-\(UUID().uuidString)"
        let loop = try ZMQSocketLoop(name: "agent-link", context: context) { context in
            let socket = try ZMQSocket(context: context, type: .dealer)
            try credentials?.configureClient(socket)
            if credentials != nil { try socket.monitor(endpoint: monitorEndpoint) }
            try socket.setRoutingID(configuration.agentID)
            try socket.setLinger(milliseconds: 0)
            // Do not queue onto a connection that is not up: the spool is our queue.
            try socket.setImmediate(true)
            // Never ZMTP heartbeats: they cut a connection we push back on (ZMQConnectionLiveness).
            try socket.detectDeadConnectionsByKeepalive()
            try socket.setReconnect(intervalMilliseconds: 100, maximumMilliseconds: 5000)
            try socket.connect(configuration.coordinatorEndpoint)
            return socket
        }
        do {
            monitor = try credentials.map { _ in try AgentLinkMonitor(context: context, endpoint: monitorEndpoint, logger: logger) }
        } catch {
            loop.stop()
            throw error
        }
        self.loop = loop
        let messages = loop.messages
        receiver = Task {
            for await message in messages { await receive(message) }
        }
    }

    func send(_ bytes: [UInt8]) { loop.send([bytes]) }

    /// Messages handed to the link and not yet to the network.
    var queuedCount: Int { loop.pendingSendCount }

    /// Whether the coordinator refused our key since the last call.
    func takeRefusal() -> Bool { monitor?.takeRefusal() ?? false }

    func close() {
        receiver.cancel()
        loop.stop()
        monitor?.stop()
    }
}

/// Watches the agent link's handshakes so that a refused key is said plainly in the log; to
/// libzmq it is just a connection that keeps being retried.
final class AgentLinkMonitor: Sendable {
    private let loop: ZMQSocketLoop
    private let task: Task<Void, Never>
    private let refused = RefusalFlag()

    init(context: ZMQContext, endpoint: String, logger: Logger) throws {
        loop = try ZMQSocketLoop(name: "agent-link-monitor", context: context) { context in
            let socket = try ZMQSocket(context: context, type: .pair)
            try socket.setLinger(milliseconds: 0)
            try socket.connect(endpoint)
            return socket
        }
        let messages = loop.messages
        let refused = self.refused
        task = Task {
            var refusals = 0
            for await message in messages {
                switch ZMQMonitorEvent(frames: message.frames) {
                case .handshakeFailedAuthentication(let status):
                    refused.set()
                    refusals += 1
                    if refusals == 1 || refusals % 30 == 0 {
                        logger.error("the coordinator refused this agent's key (status \(status)): is its NAME.key in the coordinator's allow directory, and is --server-key the coordinator's key? Samples stay in the spool meanwhile",
                                     metadata: ["refusals": "\(refusals)"])
                    }
                case .handshakeSucceeded:
                    if refusals > 0 { logger.notice("the coordinator accepts this agent's key now") }
                    refusals = 0
                default:
                    break
                }
            }
        }
    }

    /// Whether the coordinator refused our key since the last call.
    func takeRefusal() -> Bool { refused.take() }

    func stop() {
        loop.stop()
        task.cancel()
    }
}

final class RefusalFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    func take() -> Bool { lock.withLock { defer { value = false }; return value } }
}
