import TestSupport
import CellfleetCoordinator
import Foundation
import Logging
import Testing
import ZeroMQ

/// The ZAP handler and the allow list at the ZeroMQ level, in one process: which handshakes
/// complete, and with which `User-Id`.
@Suite(.serialized) struct AuthZAPTests {
    /// A CURVE ROUTER with our authentication in front of it, on a loopback port.
    struct Server {
        let context: ZMQContext
        let authentication: AgentAuthentication
        let loop: ZMQSocketLoop
        let endpoint: String

        init(keys: TestKeys) throws {
            context = try ZMQContext()
            var logger = Logger(label: "test.zap")
            logger.logLevel = .critical
            let authentication = try AgentAuthentication(
                context: context, keyFile: keys.coordinatorSecret, allowDirectory: keys.allowDirectory, logger: logger)
            self.authentication = authentication
            let endpoint = "tcp://127.0.0.1:\(TestPaths.freePort())"
            self.endpoint = endpoint
            loop = try ZMQSocketLoop(name: "test-router", context: context) { context in
                let socket = try ZMQSocket(context: context, type: .router)
                try socket.setLinger(milliseconds: 0)
                try authentication.configureServer(socket)
                try socket.bind(endpoint)
                return socket
            }
        }

        func stop() {
            loop.stop()
            authentication.stop()
            context.terminate()
        }
    }

    /// Collects what a server loop receives.
    final class Inbox: @unchecked Sendable {
        private let lock = NSLock()
        private var messages: [ZMQMessage] = []
        private var task: Task<Void, Never>?
        init(_ loop: ZMQSocketLoop) {
            let stream = loop.messages
            task = Task { [weak self] in
                for await message in stream { self?.lock.withLock { self?.messages.append(message) } }
            }
        }
        var all: [ZMQMessage] { lock.withLock { messages } }
        func payloads(from userID: String) -> [String] {
            all.filter { $0.userID == userID }.map { String(decoding: $0.frames.last ?? [], as: UTF8.self) }
        }
    }

    func client(_ server: Server, key: CurveKeyFile?, serverKey: String) throws -> (ZMQContext, ZMQSocketLoop) {
        let context = try ZMQContext()
        let endpoint = server.endpoint
        let loop = try ZMQSocketLoop(name: "test-dealer", context: context) { context in
            let socket = try ZMQSocket(context: context, type: .dealer)
            try socket.setLinger(milliseconds: 0)
            if let key, let secret = key.secretKey {
                try socket.makeCurveClient(publicKey: key.publicKey, secretKey: secret, serverPublicKey: serverKey)
            }
            try socket.connect(endpoint)
            return socket
        }
        return (context, loop)
    }

    @Test func onlyAllowedKeysGetThroughAndTheirNameIsTheUserID() async throws {
        let keys = try TestKeys()
        defer { keys.remove() }
        let allowed = try keys.makeAgent("cycler-a", allow: true)
        try keys.makeAgent("stranger", allow: false)
        let stranger = try CurveKeyFile.read(keys.agentSecret("stranger"), requireSecret: true)
        let allowedSecret = try CurveKeyFile.read(keys.agentSecret("cycler-a"), requireSecret: true)
        // Same name as an allowed agent, different key pair: the name alone proves nothing.
        let impostorDirectory = keys.root.appendingPathComponent("impostor")
        let impostor = try CurveKeyFile.generate(name: "cycler-a", directory: impostorDirectory).key
        #expect(impostor.publicKey != allowed.publicKey)

        let server = try Server(keys: keys)
        defer { server.stop() }
        let inbox = Inbox(server.loop)
        let serverKey = try CurveKeyFile.read(keys.coordinatorPublic).publicKey
        var clients: [(ZMQContext, ZMQSocketLoop)] = []
        defer { for (context, loop) in clients { loop.stop(); context.terminate() } }
        for (key, label) in [(allowedSecret, "allowed"), (stranger, "stranger"), (impostor, "impostor"), (nil, "plain")] as [(CurveKeyFile?, String)] {
            let (context, loop) = try client(server, key: key, serverKey: serverKey)
            clients.append((context, loop))
            for _ in 0..<5 { loop.send([Array(label.utf8)]) }
        }
        // Generous: the CURVE handshakes of four clients take seconds on a loaded 2-core machine.
        #expect(await eventually(timeoutSeconds: 20) { inbox.payloads(from: "cycler-a").count == 5 })
        try await Task.sleep(for: .seconds(1))
        let all = inbox.all
        #expect(all.allSatisfy { $0.userID == "cycler-a" }, "only the allowed key's messages arrive, all under its name")
        #expect(Set(inbox.payloads(from: "cycler-a")) == ["allowed"])
        #expect(all.allSatisfy { $0.sourceFileDescriptor != nil }, "libzmq says which connection a message came from")
    }

    @Test func aKeyAddedLaterIsAcceptedAndARemovedOneIsCut() async throws {
        let keys = try TestKeys()
        defer { keys.remove() }
        try keys.makeAgent("late", allow: false)
        let late = try CurveKeyFile.read(keys.agentSecret("late"), requireSecret: true)
        let server = try Server(keys: keys)
        defer { server.stop() }
        let inbox = Inbox(server.loop)
        let serverKey = try CurveKeyFile.read(keys.coordinatorPublic).publicKey
        let (firstContext, firstLoop) = try client(server, key: late, serverKey: serverKey)
        defer { firstLoop.stop(); firstContext.terminate() }

        // Refused while unknown (and libzmq gives that connection up: the agent opens a new one).
        firstLoop.send([Array("too early".utf8)])
        try await Task.sleep(for: .seconds(2))
        #expect(inbox.all.isEmpty)

        // Allowed without a restart: the watcher notices within a second, a new handshake passes.
        try keys.allow("late")
        try await Task.sleep(for: .seconds(1.5))
        let (context, loop) = try client(server, key: late, serverKey: serverKey)
        defer { loop.stop(); context.terminate() }
        #expect(await eventually(timeoutSeconds: 60) {
            loop.send([Array("hello".utf8)])
            return !inbox.payloads(from: "late").isEmpty
        })
        #expect(server.authentication.allowList.isAllowed(name: "late"))

        // Removed: the name is no longer allowed, and cutting the connection makes the next
        // handshake fail, so nothing more arrives.
        try keys.revoke("late")
        #expect(await eventually(timeoutSeconds: 60) { !server.authentication.allowList.isAllowed(name: "late") })
        let lastMessage = try #require(inbox.all.last)
        #expect(server.authentication.refusal(for: lastMessage) != nil)
        server.authentication.cut(connectionOf: lastMessage)
        try await Task.sleep(for: .seconds(1))
        let countAfterCut = inbox.all.count
        for _ in 0..<10 {
            loop.send([Array("after removal".utf8)])
            try await Task.sleep(for: .milliseconds(200))
        }
        try await Task.sleep(for: .seconds(1))
        #expect(inbox.all.count == countAfterCut, "nothing from a removed key after its connection was cut")
        #expect(!inbox.payloads(from: "late").contains("after removal"))
    }

    @Test func theAllowListSkipsBadFilesAndSecretKeys() throws {
        let keys = try TestKeys()
        defer { keys.remove() }
        try keys.makeAgent("good", allow: true)
        try "nonsense".write(to: keys.allowDirectory.appendingPathComponent("bad.key"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: keys.coordinatorSecret, to: keys.allowDirectory.appendingPathComponent("oops.key_secret"))
        var logger = Logger(label: "test.allow")
        logger.logLevel = .critical
        let list = try AgentAllowList(directory: keys.allowDirectory, logger: logger)
        #expect(list.allowedNames == ["good"])
        #expect(list.isAllowed(name: "good"))
        #expect(!list.isAllowed(name: "bad"))
        #expect(!list.isAllowed(name: "oops"))
        #expect(throws: AgentAllowList.Invalid.self) {
            try AgentAllowList(directory: keys.root.appendingPathComponent("missing"), logger: logger)
        }
    }

    @Test func aReplacedKeyRevokesTheNameUntilTheNewKeyHandshakes() throws {
        let keys = try TestKeys()
        defer { keys.remove() }
        let first = try keys.makeAgent("rotating", allow: true)
        var logger = Logger(label: "test.allow")
        logger.logLevel = .critical
        let list = try AgentAllowList(directory: keys.allowDirectory, logger: logger)
        #expect(list.name(forPublicKey: first.publicKey) == "rotating")
        // The lab replaces the agent's key: connections made with the old key must not carry on.
        let second = try CurveKeyFile.generate(name: "rotating", directory: keys.root.appendingPathComponent("new"), replace: true)
        try FileManager.default.removeItem(at: keys.allowed("rotating"))
        try FileManager.default.copyItem(at: second.publicFile, to: keys.allowed("rotating"))
        #expect(list.reloadIfChanged())
        #expect(!list.isAllowed(name: "rotating"))
        #expect(list.name(forPublicKey: first.publicKey) == nil)
        #expect(list.name(forPublicKey: second.key.publicKey) == "rotating")
        #expect(list.isAllowed(name: "rotating"), "a handshake with the new key restores the name")
        #expect(!list.reloadIfChanged(), "nothing changed since")
    }
}
