import Foundation
import Logging
import PostgresNIO

/// `api_tokens` (migration 0007): what `cellfleet token create | revoke | list` write and read,
/// and the lookup of every API request. Each change is written to `audit_log` in its own
/// transaction.
public enum TokenRecords {
    public struct Token: Sendable, Equatable {
        public var name: String
        public var role: APIRole
        public var createdAt: String
        public var revokedAt: String?
        public var lastUsedAt: String?
    }

    public enum Outcome: Sendable, Equatable {
        case revoked
        case alreadyRevoked(at: String)
    }

    /// A new token for `name`; the text is returned once and never stored.
    public static func create(name: String, role: APIRole, actor: String, client: PostgresClient, logger: Logger) async throws -> APIToken {
        let token = APIToken.generate()
        try await client.withTransaction(logger: logger) { connection in
            let existing = try await connection.query("""
                SELECT \(unescaped: instant("revoked_at")) FROM api_tokens WHERE name = \(name)
                """, logger: logger).collect()
            if let row = existing.first {
                let revokedAt = try row.decode(String?.self)
                throw TokenRecordError(revokedAt.map {
                    "a token named '\(name)' was revoked at \($0); names are not reused (they stay in the audit log): choose another name"
                } ?? "a token named '\(name)' exists already; revoke it first (`cellfleet token revoke --name \(name)`) or choose another name")
            }
            _ = try await connection.query("""
                INSERT INTO api_tokens (name, role, token_sha256) VALUES (\(name), \(role.rawValue), decode(\(hex(token.sha256)), 'hex'))
                """, logger: logger).collect()
            try await audit(actor: actor, action: "token_create", name: name, detail: ["role": role.rawValue], connection: connection, logger: logger)
        }
        return token
    }

    public static func revoke(name: String, actor: String, client: PostgresClient, logger: Logger) async throws -> Outcome {
        try await client.withTransaction(logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: instant("revoked_at")) FROM api_tokens WHERE name = \(name) FOR UPDATE
                """, logger: logger).collect()
            guard let row = rows.first else { throw TokenRecordError("no token named '\(name)' (`cellfleet token list` shows them)") }
            if let revokedAt = try row.decode(String?.self) { return .alreadyRevoked(at: revokedAt) }
            _ = try await connection.query("UPDATE api_tokens SET revoked_at = now() WHERE name = \(name)", logger: logger).collect()
            try await audit(actor: actor, action: "token_revoke", name: name, detail: [:], connection: connection, logger: logger)
            return .revoked
        }
    }

    /// Every token, oldest first, without its secret (only the hash is stored anyway).
    public static func list(client: PostgresClient, logger: Logger) async throws -> [Token] {
        try await client.withConnection { connection in
            var tokens: [Token] = []
            let rows = try await connection.query("""
                SELECT name, role, \(unescaped: instant("created_at")), \(unescaped: instant("revoked_at")), \(unescaped: instant("last_used_at"))
                FROM api_tokens ORDER BY token_id
                """, logger: logger)
            for try await (name, role, created, revoked, used) in rows.decode((String, String, String, String?, String?).self) {
                tokens.append(Token(name: name, role: APIRole(rawValue: role) ?? .viewer, createdAt: created, revokedAt: revoked, lastUsedAt: used))
            }
            return tokens
        }
    }

    /// Who a presented bearer token speaks for: nil for a token that is unknown or revoked.
    /// Stamps `last_used_at` when it is more than `usedStampSeconds` old.
    public static func caller(presenting text: String, connection: PostgresConnection, logger: Logger) async throws -> APICaller? {
        let hash = hex(APIToken.sha256(of: text))
        let rows = try await connection.query("""
            SELECT token_id, name, role, last_used_at IS NULL OR last_used_at < now() - make_interval(secs => \(usedStampSeconds))
            FROM api_tokens WHERE token_sha256 = decode(\(hash), 'hex') AND revoked_at IS NULL
            """, logger: logger).collect()
        guard let row = rows.first else { return nil }
        let (tokenID, name, roleText, stale) = try row.decode((Int64, String, String, Bool).self)
        guard let role = APIRole(rawValue: roleText) else { return nil }
        if stale {
            _ = try await connection.query("UPDATE api_tokens SET last_used_at = now() WHERE token_id = \(tokenID)", logger: logger).collect()
        }
        return APICaller(name: name, role: role)
    }

    static let usedStampSeconds = 60.0

    static func audit(actor: String, action: String, name: String, detail: [String: String], connection: PostgresConnection,
                      logger: Logger) async throws {
        let keys = detail.keys.sorted()
        _ = try await connection.query("""
            INSERT INTO audit_log (actor, action, target, detail)
            VALUES (\(actor), \(action), \(name), jsonb_object(\(keys)::text[], \(keys.map { detail[$0]! })::text[]))
            """, logger: logger).collect()
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// A timestamptz column as the API writes instants: ISO 8601, UTC, microseconds.
    static func instant(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    }
}

public struct TokenRecordError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
