import CZMQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A CURVE key pair on disk, as `cellfleet keygen` writes it: `NAME.key` holds the public key
/// (safe to copy to a coordinator's allow directory), `NAME.key_secret` holds both keys and is
/// readable by its owner only. The layout is ZeroMQ's certificate format (czmq `zcert`), so
/// `zcert` tools read our files and we read theirs. The file name (without extension) is the
/// key's name: a coordinator knows an agent by it.
public struct CurveKeyFile: Sendable, Equatable {
    public var name: String
    public var publicKey: String
    /// Only in a `.key_secret` file.
    public var secretKey: String?

    public static let publicExtension = "key"
    public static let secretExtension = "key_secret"

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(name: String, publicKey: String, secretKey: String? = nil) {
        self.name = name
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A key name becomes an agent id, a file name and a database value: keep it plain.
    public static func validate(name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !name.isEmpty, name.count <= 64, name.allSatisfy(allowed.contains), !name.hasPrefix("."), !name.hasPrefix("-") else {
            throw Invalid(description: "key name '\(name)' must be 1–64 characters of letters, digits, '.', '_' or '-', not starting with '.' or '-'")
        }
    }

    /// The name a key file gives its key: its file name without `.key` or `.key_secret`.
    public static func name(of url: URL) -> String {
        let file = url.lastPathComponent
        for suffix in [".\(secretExtension)", ".\(publicExtension)"] where file.hasSuffix(suffix) {
            return String(file.dropLast(suffix.count))
        }
        return file
    }

    /// Whether a 40-character text is a valid Z85 encoding of a 32-byte key.
    public static func isZ85Key(_ text: String) -> Bool {
        guard text.utf8.count == 40 else { return false }
        var decoded = [UInt8](repeating: 0, count: 32)
        return zmq_z85_decode(&decoded, text) != nil
    }

    // MARK: text

    public func publicFileText(created: Date = Date()) -> String {
        header(kind: "public", created: created, advice: [
            "Copy this file into the coordinator's allow directory to let '\(name)' connect.",
            "It holds no secret.",
        ]) + body(includeSecret: false)
    }

    public func secretFileText(created: Date = Date()) -> String {
        header(kind: "SECRET", created: created, advice: [
            "Keep this file on the machine that uses it, readable by its service user only (mode 0600).",
            "Anyone who has it can connect as '\(name)'. Never copy it into an allow directory.",
        ]) + body(includeSecret: true)
    }

    private func header(kind: String, created: Date, advice: [String]) -> String {
        let stamp = ISO8601DateFormatter().string(from: created)
        return (["#   ****  Generated on \(stamp) by cellfleet keygen  ****",
                 "#   ZeroMQ CURVE \(kind) key of '\(name)' (Z85)"] + advice.map { "#   \($0)" }).joined(separator: "\n") + "\n\n"
    }

    private func body(includeSecret: Bool) -> String {
        var text = "metadata\n    name = \"\(name)\"\ncurve\n    public-key = \"\(publicKey)\"\n"
        if includeSecret, let secretKey { text += "    secret-key = \"\(secretKey)\"\n" }
        return text
    }

    // MARK: reading

    /// Reads a `.key` (public) or `.key_secret` file. A secret file's public key must be the one
    /// its secret key derives, so a damaged or hand-edited file is caught here, not at handshake.
    public static func read(_ url: URL, requireSecret: Bool = false) throws -> CurveKeyFile {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw Invalid(description: "\(url.path): cannot read the key file: \(error.localizedDescription)")
        }
        var values: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else {
                throw Invalid(description: "\(url.path):\(number + 1): the value of '\(key)' must be in double quotes")
            }
            value = String(value.dropFirst().dropLast())
            values[key] = value
        }
        let name = Self.name(of: url)
        try validate(name: name)
        guard let publicKey = values["public-key"] else { throw Invalid(description: "\(url.path): no public-key line") }
        guard isZ85Key(publicKey) else { throw Invalid(description: "\(url.path): the public key is not 40 characters of Z85") }
        let secretKey = values["secret-key"]
        if requireSecret {
            guard let secretKey else {
                throw Invalid(description: "\(url.path): no secret-key line (give the .\(secretExtension) file, not the public .\(publicExtension) file)")
            }
            guard isZ85Key(secretKey) else { throw Invalid(description: "\(url.path): the secret key is not 40 characters of Z85") }
            guard (try? CurveKeyPair.publicKey(forSecretKey: secretKey)) == publicKey else {
                throw Invalid(description: "\(url.path): the public key does not belong to the secret key (damaged or edited file)")
            }
            try checkPrivate(url)
        }
        return CurveKeyFile(name: name, publicKey: publicKey, secretKey: secretKey)
    }

    /// Refuses a secret key file that others can read, as ssh does: a key others could copy
    /// identifies nobody.
    public static func checkPrivate(_ url: URL) throws {
        var info = stat()
        guard stat(url.path, &info) == 0 else { throw Invalid(description: "\(url.path): cannot stat the key file") }
        let mode = info.st_mode & 0o777
        if mode & 0o077 != 0 {
            throw Invalid(description: "\(url.path): permissions \(String(mode, radix: 8)) are too open for a secret key; run chmod 600 on it")
        }
    }

    // MARK: writing

    /// Generates a key pair and writes `DIR/NAME.key` and `DIR/NAME.key_secret` (0600). Refuses
    /// to overwrite an existing pair unless `replace`: losing a secret key locks an agent out.
    @discardableResult
    public static func generate(name: String, directory: URL, replace: Bool = false) throws -> (publicFile: URL, secretFile: URL, key: CurveKeyFile) {
        try validate(name: name)
        let pair = try CurveKeyPair.generate()
        let key = CurveKeyFile(name: name, publicKey: pair.publicKey, secretKey: pair.secretKey)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let publicFile = directory.appendingPathComponent("\(name).\(publicExtension)")
        let secretFile = directory.appendingPathComponent("\(name).\(secretExtension)")
        if !replace {
            for file in [publicFile, secretFile] where FileManager.default.fileExists(atPath: file.path) {
                throw Invalid(description: "\(file.path) already exists; remove it first (an agent whose secret key is replaced must be allowed again)")
            }
        }
        let created = Date()
        try writeFile(secretFile, key.secretFileText(created: created), mode: 0o600)
        try writeFile(publicFile, key.publicFileText(created: created), mode: 0o644)
        return (publicFile, secretFile, key)
    }

    /// Creates the file with its final mode from the start (never briefly world-readable), then
    /// renames it into place.
    private static func writeFile(_ url: URL, _ text: String, mode: mode_t) throws {
        let temporary = url.path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Invalid(description: "\(temporary): cannot create: \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        fchmod(fd, mode)
        Glibc.close(fd)
        guard written == bytes.count, synced == 0 else {
            unlink(temporary)
            throw Invalid(description: "\(url.path): could not write the key file")
        }
        guard rename(temporary, url.path) == 0 else {
            unlink(temporary)
            throw Invalid(description: "\(url.path): could not move the key file into place: \(String(cString: strerror(errno)))")
        }
    }
}
