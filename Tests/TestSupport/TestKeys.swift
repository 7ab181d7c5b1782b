import Foundation
import ZeroMQ

/// Keys for a test fleet: the coordinator's pair, an allow directory, and agents' pairs kept
/// outside it (a test decides which public keys go in).
public struct TestKeys {
    public let root: URL
    public let coordinatorDirectory: URL
    public let agentsDirectory: URL
    public let allowDirectory: URL

    public init() throws {
        root = TestPaths.temporaryDirectory("keys")
        coordinatorDirectory = root.appendingPathComponent("coordinator")
        agentsDirectory = root.appendingPathComponent("agents")
        allowDirectory = root.appendingPathComponent("allow")
        try FileManager.default.createDirectory(at: allowDirectory, withIntermediateDirectories: true)
        try CurveKeyFile.generate(name: "coordinator", directory: coordinatorDirectory)
    }

    public var coordinatorSecret: URL { coordinatorDirectory.appendingPathComponent("coordinator.key_secret") }
    public var coordinatorPublic: URL { coordinatorDirectory.appendingPathComponent("coordinator.key") }
    public func agentSecret(_ name: String) -> URL { agentsDirectory.appendingPathComponent("\(name).key_secret") }
    public func agentPublic(_ name: String) -> URL { agentsDirectory.appendingPathComponent("\(name).key") }
    public func allowed(_ name: String) -> URL { allowDirectory.appendingPathComponent("\(name).key") }

    @discardableResult
    public func makeAgent(_ name: String, allow: Bool) throws -> CurveKeyFile {
        let key = try CurveKeyFile.generate(name: name, directory: agentsDirectory).key
        if allow { try self.allow(name) }
        return key
    }

    public func allow(_ name: String) throws {
        try? FileManager.default.removeItem(at: allowed(name))
        try FileManager.default.copyItem(at: agentPublic(name), to: allowed(name))
    }

    public func revoke(_ name: String) throws {
        try FileManager.default.removeItem(at: allowed(name))
    }

    public func remove() { try? FileManager.default.removeItem(at: root) }
}
