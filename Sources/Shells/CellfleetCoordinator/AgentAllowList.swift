import Foundation
import Logging
import ZeroMQ

/// The agents allowed to write into the fleet: the public key files (`NAME.key`) in the allow
/// directory, known by their file name. Read by the ZAP handler's thread at every handshake and
/// by the coordinator at every message, so lookups are in memory behind a lock; the directory is
/// re-read only when its listing or a file's modification time changes.
public final class AgentAllowList: @unchecked Sendable {
    public let directory: URL
    private let logger: Logger
    private let lock = NSLock()
    private var nameByPublicKey: [String: String] = [:]
    private var publicKeyByName: [String: String] = [:]
    /// Names whose key was removed or replaced while the coordinator ran: their live connections
    /// were made with a key no longer allowed, so messages under these names are refused until
    /// the agent completes a new handshake with a key that is allowed now.
    private var revokedNames: Set<String> = []
    private var fingerprint: [String] = []

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(directory: URL, logger: Logger) throws {
        self.directory = directory
        self.logger = logger
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Invalid(description: "the allow directory \(directory.path) does not exist (create it and put the agents' NAME.key files in it)")
        }
        reloadIfChanged()
    }

    public var allowedNames: [String] { lock.withLock { publicKeyByName.keys.sorted() } }

    /// The ZAP decision for a client's public key (Z85). Accepting a handshake clears a revoked
    /// name: this connection proved it holds a key allowed now.
    public func name(forPublicKey key: String) -> String? {
        lock.withLock {
            guard let name = nameByPublicKey[key] else { return nil }
            revokedNames.remove(name)
            return name
        }
    }

    /// Whether messages under an authenticated name (the ZAP user id) may still be accepted.
    public func isAllowed(name: String) -> Bool {
        lock.withLock { publicKeyByName[name] != nil && !revokedNames.contains(name) }
    }

    /// Re-reads the directory if anything in it changed. Returns true if it re-read it.
    @discardableResult
    public func reloadIfChanged() -> Bool {
        let current = Self.fingerprint(of: directory)
        let changed = lock.withLock { current != fingerprint }
        guard changed else { return false }
        let (keys, problems) = Self.load(directory)
        for problem in problems {
            logger.error("ignoring a file in the allow directory", metadata: ["problem": "\(problem)"])
        }
        lock.withLock {
            var byName: [String: String] = [:]
            for (key, name) in keys { byName[name] = key }
            for (name, key) in publicKeyByName where byName[name] != key {
                revokedNames.insert(name)
            }
            let added = byName.keys.filter { publicKeyByName[$0] == nil }.sorted()
            let removed = publicKeyByName.keys.filter { byName[$0] == nil }.sorted()
            let replaced = byName.keys.filter { publicKeyByName[$0] != nil && publicKeyByName[$0] != byName[$0] }.sorted()
            nameByPublicKey = keys
            publicKeyByName = byName
            fingerprint = current
            logger.notice("allowed agents loaded", metadata: [
                "directory": "\(directory.path)", "agents": "\(byName.count)",
                "added": "\(added.joined(separator: ","))", "removed": "\(removed.joined(separator: ","))",
                "replaced": "\(replaced.joined(separator: ","))"])
            if byName.isEmpty {
                logger.warning("no agent is allowed to connect: the allow directory has no NAME.key files", metadata: ["directory": "\(directory.path)"])
            }
        }
        return true
    }

    /// Public key → name, and what was wrong with the files that were skipped.
    static func load(_ directory: URL) -> (keys: [String: String], problems: [String]) {
        var keys: [String: String] = [:]
        var problems: [String] = []
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
        for file in names where !file.hasPrefix(".") {
            let url = directory.appendingPathComponent(file)
            if file.hasSuffix(".\(CurveKeyFile.secretExtension)") {
                problems.append("\(url.path) is a SECRET key: it does not belong in an allow directory; copy the public NAME.key instead")
                continue
            }
            guard file.hasSuffix(".\(CurveKeyFile.publicExtension)") else { continue }
            do {
                let key = try CurveKeyFile.read(url)
                if let other = keys[key.publicKey] {
                    problems.append("\(url.path) holds the same public key as '\(other)'; one key, one agent")
                    continue
                }
                keys[key.publicKey] = key.name
            } catch {
                problems.append("\(error)")
            }
        }
        return (keys, problems)
    }

    /// What changes when a key file is added, removed, replaced or edited.
    static func fingerprint(of directory: URL) -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
        return names.map { name in
            var info = stat()
            guard stat(directory.appendingPathComponent(name).path, &info) == 0 else { return name }
            return "\(name)|\(info.st_ino)|\(info.st_size)|\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }
    }
}
