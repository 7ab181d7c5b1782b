import AlertRouting
import Foundation
import TOMLKit

/// One receiver a coordinator is configured with: from `--alertmanager URL`, `--webhook URL`
/// (with `--webhook-secret-file FILE`) or the `[[alertmanager]]` / `[[webhook]]` tables of
/// `--config FILE.toml`. The secret stays on the coordinator's machine; the database holds only
/// the kind and URL (`alert_receivers`).
public struct AlertReceiver: Sendable, Equatable {
    public var kind: ReceiverKind
    /// As configured (a trailing `/` dropped). For Alertmanager, its base URL
    /// (`http://am:9093`); the API path is added (`postURL`).
    public var url: String
    /// The shared secret of the webhook's HMAC-SHA256 signature, if any.
    public var secret: [UInt8]?

    public init(kind: ReceiverKind, url: String, secret: [UInt8]? = nil) {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        self.kind = kind
        self.url = url
        self.secret = secret
    }

    public var receiverID: String { ReceiverIdentity.id(kind: kind, url: url) }

    /// Where the POST goes: a webhook's URL itself; Alertmanager's `/api/v2/alerts` under its base
    /// URL (unless the URL already names it).
    public var postURL: String {
        switch kind {
        case .webhook: return url
        case .alertmanager: return url.hasSuffix("/api/v2/alerts") ? url : url + "/api/v2/alerts"
        }
    }
}

public struct AlertReceiverConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The receivers of a coordinator, merged from its flags and its TOML config file.
public enum AlertReceiverConfiguration {
    /// A secret file's content, less trailing whitespace (an editor's final newline is not part
    /// of the secret). An empty secret is refused: it would sign with a known key.
    public static func readSecret(_ url: URL) throws -> [UInt8] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw AlertReceiverConfigurationError("cannot read the webhook secret file \(url.path): \(error.localizedDescription)")
        }
        var bytes = [UInt8](data)
        while let last = bytes.last, last == 0x0A || last == 0x0D || last == 0x20 || last == 0x09 { bytes.removeLast() }
        guard !bytes.isEmpty else { throw AlertReceiverConfigurationError("the webhook secret file \(url.path) is empty") }
        return bytes
    }

    static func validate(_ url: String, _ what: String) throws {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
              parsed.host != nil else {
            throw AlertReceiverConfigurationError("\(what) \(url) is not an http:// or https:// URL")
        }
    }

    /// From the flags: `--webhook-secret-file` given once applies to every `--webhook`; given as
    /// often as `--webhook`, the n-th file is the n-th webhook's.
    public static func fromFlags(alertmanagers: [String], webhooks: [String], webhookSecretFiles: [String]) throws -> [AlertReceiver] {
        guard webhookSecretFiles.count <= 1 || webhookSecretFiles.count == webhooks.count else {
            throw AlertReceiverConfigurationError(
                "give --webhook-secret-file once (for every --webhook) or once per --webhook, in the same order (\(webhooks.count) webhooks, \(webhookSecretFiles.count) secret files)")
        }
        if !webhookSecretFiles.isEmpty && webhooks.isEmpty {
            throw AlertReceiverConfigurationError("--webhook-secret-file needs a --webhook")
        }
        var receivers: [AlertReceiver] = []
        for url in alertmanagers {
            try validate(url, "--alertmanager")
            receivers.append(AlertReceiver(kind: .alertmanager, url: url))
        }
        for (index, url) in webhooks.enumerated() {
            try validate(url, "--webhook")
            let file = webhookSecretFiles.count == 1 ? webhookSecretFiles[0] : webhookSecretFiles.indices.contains(index) ? webhookSecretFiles[index] : nil
            receivers.append(AlertReceiver(kind: .webhook, url: url, secret: try file.map { try readSecret(URL(fileURLWithPath: $0)) }))
        }
        return receivers
    }

    /// The receivers of a TOML config file:
    ///
    ///     [[alertmanager]]
    ///     url = "http://127.0.0.1:9093"
    ///
    ///     [[webhook]]
    ///     url = "https://lab.example/hooks/cellfleet"
    ///     secret_file = "hook.secret"      # relative to the config file's folder
    ///
    /// Unknown keys are errors: a misspelt `secret_flie` must not send unsigned.
    public static func fromTOML(_ text: String, file: URL) throws -> [AlertReceiver] {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch {
            throw AlertReceiverConfigurationError("\(file.path): not valid TOML: \(error)")
        }
        let known: Set<String> = ["alertmanager", "webhook"]
        if let unknown = table.keys.sorted().first(where: { !known.contains($0) }) {
            throw AlertReceiverConfigurationError("\(file.path): unknown key '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        func entries(_ key: String, allowed: Set<String>) throws -> [TOMLTable] {
            guard let value = table[key] else { return [] }
            guard let array = value.array else {
                throw AlertReceiverConfigurationError("\(file.path): '\(key)' must be an array of tables ([[\(key)]])")
            }
            return try array.enumerated().map { index, element in
                guard let entry = element.table else {
                    throw AlertReceiverConfigurationError("\(file.path): [[\(key)]] #\(index + 1) must be a table")
                }
                if let unknown = entry.keys.sorted().first(where: { !allowed.contains($0) }) {
                    throw AlertReceiverConfigurationError(
                        "\(file.path): [[\(key)]] #\(index + 1): unknown key '\(unknown)' (known: \(allowed.sorted().joined(separator: ", ")))")
                }
                return entry
            }
        }
        func url(_ entry: TOMLTable, _ key: String, _ index: Int) throws -> String {
            guard let url = entry["url"]?.string else {
                throw AlertReceiverConfigurationError("\(file.path): [[\(key)]] #\(index + 1): url (a string) is required")
            }
            try validate(url, "\(file.path): [[\(key)]] #\(index + 1): url")
            return url
        }
        var receivers: [AlertReceiver] = []
        for (index, entry) in try entries("alertmanager", allowed: ["url"]).enumerated() {
            receivers.append(AlertReceiver(kind: .alertmanager, url: try url(entry, "alertmanager", index)))
        }
        for (index, entry) in try entries("webhook", allowed: ["url", "secret_file"]).enumerated() {
            let url = try url(entry, "webhook", index)
            var secret: [UInt8]?
            if let value = entry["secret_file"] {
                guard let path = value.string else {
                    throw AlertReceiverConfigurationError("\(file.path): [[webhook]] #\(index + 1): secret_file must be a string")
                }
                do {
                    secret = try readSecret(URL(fileURLWithPath: path, relativeTo: file.deletingLastPathComponent()).standardizedFileURL)
                } catch {
                    throw AlertReceiverConfigurationError("\(file.path): [[webhook]] #\(index + 1): \(error)")
                }
            }
            receivers.append(AlertReceiver(kind: .webhook, url: url, secret: secret))
        }
        return receivers
    }

    public static func load(tomlFile url: URL) throws -> [AlertReceiver] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw AlertReceiverConfigurationError("cannot read \(url.path): \(error.localizedDescription)")
        }
        return try fromTOML(text, file: url)
    }

    /// Flags and file together, each (kind, URL) once; the same URL twice with different secrets
    /// is an error (which would it sign with?).
    public static func merged(_ lists: [AlertReceiver]...) throws -> [AlertReceiver] {
        var out: [AlertReceiver] = []
        for receiver in lists.joined() {
            if let existing = out.firstIndex(where: { $0.kind == receiver.kind && $0.url == receiver.url }) {
                guard out[existing].secret == receiver.secret || receiver.secret == nil else {
                    if out[existing].secret == nil { out[existing].secret = receiver.secret; continue }
                    throw AlertReceiverConfigurationError("the \(receiver.kind.rawValue) \(receiver.url) is configured twice with different secrets")
                }
                continue
            }
            out.append(receiver)
        }
        return out
    }
}
