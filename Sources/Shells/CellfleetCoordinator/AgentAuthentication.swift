import Foundation
import Logging
import Metrics
import ZeroMQ

/// CURVE on the agent link: the coordinator's key pair, the ZAP handler that admits only the
/// keys in the allow directory (the key's name becomes the connection's `User-Id`, the agent id
/// the ingest trusts), a watcher that applies changes to the directory within a second, and the
/// check that cuts a connection whose key was removed while it was up.
public final class AgentAuthentication: Sendable {
    public let serverKey: CurveKeyFile
    public let allowList: AgentAllowList
    private let zap: ZAPHandler
    private let watcher: AllowDirectoryWatcher
    private let logger: Logger

    /// The ZAP domain our server sockets ask for; any handshake in another domain is refused.
    public static let domain = "cellfleet"

    /// Starts the ZAP handler in `context`; call before any server socket of the context binds.
    public init(context: ZMQContext, keyFile: URL, allowDirectory: URL, logger: Logger) throws {
        serverKey = try CurveKeyFile.read(keyFile, requireSecret: true)
        let allowList = try AgentAllowList(directory: allowDirectory, logger: logger)
        self.allowList = allowList
        self.logger = logger
        zap = try ZAPHandler(context: context) { request in
            guard request.domain == Self.domain, request.mechanism == "CURVE", let key = request.curvePublicKey else {
                Counter(label: "cellfleet_auth_handshakes_refused_total").increment()
                logger.warning("refused a handshake that is not CURVE in our domain", metadata: [
                    "address": "\(request.address)", "mechanism": "\(request.mechanism)", "domain": "\(request.domain)"])
                return .deny(reason: "CURVE in domain \(Self.domain) required")
            }
            guard let name = allowList.name(forPublicKey: key) else {
                Counter(label: "cellfleet_auth_handshakes_refused_total").increment()
                logger.warning("refused an agent whose key is not in the allow directory", metadata: [
                    "address": "\(request.address)", "public_key": "\(key)"])
                return .deny(reason: "key not allowed")
            }
            logger.info("agent authenticated", metadata: ["agent": "\(name)", "address": "\(request.address)"])
            return .allow(userID: name)
        }
        watcher = AllowDirectoryWatcher(allowList: allowList)
        logger.notice("CURVE authentication on", metadata: [
            "server_public_key": "\(serverKey.publicKey)", "allow": "\(allowDirectory.path)",
            "agents": "\(allowList.allowedNames.joined(separator: ","))"])
    }

    /// Makes a ROUTER a CURVE server that authenticates through our handler.
    public func configureServer(_ socket: ZMQSocket) throws {
        guard let secretKey = serverKey.secretKey else { return }
        try socket.makeCurveServer(secretKey: secretKey)
        try socket.setZAPDomain(Self.domain)
    }

    /// Why a received message must not be accepted, or nil. Every message of a CURVE connection
    /// carries the user id our handler gave it; one whose key has since been removed (or
    /// replaced), or that uses another agent's routing id, is refused, and its connection cut so
    /// it has to handshake again.
    public func refusal(for message: ZMQMessage) -> String? {
        guard let name = message.userID, !name.isEmpty else {
            return "the connection is not authenticated"
        }
        guard allowList.isAllowed(name: name) else {
            return "not authorised: the key of agent '\(name)' is no longer in the coordinator's allow directory"
        }
        // Replies go by routing id: an agent announcing another's would take over its replies
        // (ROUTER handover). Agents use their key's name as routing id, so anything else is refused.
        if let routingID = message.frames.first, routingID != Array(name.utf8) {
            return "not authorised: routing id '\(String(decoding: routingID, as: UTF8.self))' is not this connection's authenticated name '\(name)'"
        }
        return nil
    }

    /// Cuts the connection a refused message came from, after a moment, so that the error reply
    /// queued just before can still leave.
    public func cut(connectionOf message: ZMQMessage, because reason: String = "its key is no longer allowed") {
        guard let fd = message.sourceFileDescriptor else {
            logger.error("cannot cut a revoked connection: libzmq did not say which it is", metadata: ["agent": "\(message.userID ?? "")"])
            return
        }
        Counter(label: "cellfleet_auth_connections_cut_total").increment()
        logger.warning("cutting an agent's connection", metadata: ["agent": "\(message.userID ?? "")", "reason": "\(reason)"])
        Task {
            try? await Task.sleep(for: .milliseconds(100))
            ZMQConnectionCut.cut(fileDescriptor: fd)
        }
    }

    /// Stops the handler and the watcher; call before terminating the context.
    public func stop() {
        watcher.stop()
        zap.stop()
    }
}

/// Re-reads the allow directory when it changes, checking once a second on its own thread (no
/// inotify needed, and a network-mounted directory works too).
final class AllowDirectoryWatcher: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopping = false
    private var stopped = false

    init(allowList: AgentAllowList, intervalSeconds: Double = 1) {
        let thread = Thread { [self] in
            condition.lock()
            while !stopping {
                condition.unlock()
                allowList.reloadIfChanged()
                condition.lock()
                if stopping { break }
                _ = condition.wait(until: Date().addingTimeInterval(intervalSeconds))
            }
            stopped = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "allow-directory-watcher"
        thread.start()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
    }
}

extension AgentAuthentication {
    /// CURVE unless the configuration opts out (with a warning); nil when it does.
    public static func start(configuration: CoordinatorConfiguration, context: ZMQContext, logger: Logger) throws -> AgentAuthentication? {
        if configuration.insecure {
            logger.warning("INSECURE: --insecure is set; any host that can reach the coordinator can write into the fleet, unencrypted")
            return nil
        }
        try configuration.validateAuthentication()
        guard let keyFile = configuration.serverKeyFile, let allowDirectory = configuration.allowDirectory else { return nil }
        return try AgentAuthentication(context: context, keyFile: keyFile, allowDirectory: allowDirectory, logger: logger)
    }
}
