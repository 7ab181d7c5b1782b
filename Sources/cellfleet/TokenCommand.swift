import ArgumentParser
import CellfleetAPI
import CellfleetCoordinator
import CellModel
import Foundation
import Logging
import PostgresNIO

/// `cellfleet token create | revoke | list`: the HTTP API's bearer tokens (docs/api.md §1).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Make, revoke and list the HTTP API's bearer tokens (only their hashes are stored).",
        subcommands: [TokenCreateCommand.self, TokenRevokeCommand.self, TokenListCommand.self])

    /// The schema is migrated first, so a token can be made before any coordinator has run.
    static func withMigratedDatabase<Result: Sendable>(_ url: String, command: String,
                                                       _ body: @escaping @Sendable (PostgresClient, Logger) async throws -> Result) async throws -> Result {
        let logger = DatabaseClient.logger("cellfleet.token")
        do {
            return try await DatabaseClient.with(url: url, logger: logger) { client in
                try await SchemaMigrations(directory: try SchemaMigrations.locateDirectory()).apply(client: client, logger: logger)
                return try await body(client, logger)
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw commandFailure(command, tokenErrorText(error))
        }
    }

    static func tokenErrorText(_ error: any Error) -> String {
        if let transaction = error as? PostgresTransactionError, let inner = transaction.closureError {
            return tokenErrorText(inner)
        }
        if let error = error as? TokenRecordError { return error.description }
        return errorText(error)
    }
}

struct TokenCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Make a token; it is printed once, as the last word of the output.")

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Option(help: "Who the token speaks for: acknowledged_by of what it changes, the audit log's actor. Unique.")
    var name: String

    @Option(help: "viewer (reads), operator (also acknowledges and resolves alerts, confirms loads) or admin.")
    var role: String

    @Option(help: "Who makes it, for the audit log (default: $USER).")
    var by: String?

    func validate() throws {
        guard APIRole(rawValue: role) != nil else { throw ValidationError("--role must be viewer, operator or admin, not '\(role)'") }
        try TokenName.validate(name)
    }

    func run() async throws {
        let role = APIRole(rawValue: role)!
        let name = name, actor = PersonName.resolve(by)
        let token = try await TokenCommand.withMigratedDatabase(database, command: "token create") { client, logger in
            try await TokenRecords.create(name: name, role: role, actor: actor, client: client, logger: logger)
        }
        printNow("token '\(name)' (\(role.rawValue)) created; keep it now, it is not shown again: \(token.text)\n")
    }
}

struct TokenRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a token by its name: every API server refuses it from its next request on.")

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Option(help: "The token's name.")
    var name: String

    @Option(help: "Who revokes it, for the audit log (default: $USER).")
    var by: String?

    func run() async throws {
        let name = name, actor = PersonName.resolve(by)
        let outcome = try await TokenCommand.withMigratedDatabase(database, command: "token revoke") { client, logger in
            try await TokenRecords.revoke(name: name, actor: actor, client: client, logger: logger)
        }
        switch outcome {
        case .revoked: printNow("token '\(name)' revoked\n")
        case .alreadyRevoked(let at): printNow("token '\(name)' was already revoked at \(at)\n")
        }
    }
}

struct TokenListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the tokens: name, role, when made, revoked and last used (never the token).")

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Flag(help: "One JSON object per token and line.")
    var json = false

    func run() async throws {
        let tokens = try await TokenCommand.withMigratedDatabase(database, command: "token list") { client, logger in
            try await TokenRecords.list(client: client, logger: logger)
        }
        func text(_ value: String?) -> JSONText { value.map(JSONText.string) ?? .null }
        if json {
            printNow(tokens.map { token in
                JSONText.object([
                    ("name", .string(token.name)), ("role", .string(token.role.rawValue)), ("created_at", .string(token.createdAt)),
                    ("revoked_at", text(token.revokedAt)), ("last_used_at", text(token.lastUsedAt)),
                ]).render(pretty: false) + "\n"
            }.joined())
            return
        }
        guard !tokens.isEmpty else { return printNow("no tokens (`cellfleet token create` makes one)\n") }
        printNow(TextTable.render([["name", "role", "created", "revoked", "last used"]] + tokens.map {
            [$0.name, $0.role.rawValue, $0.createdAt, $0.revokedAt ?? "-", $0.lastUsedAt ?? "-"]
        }))
    }
}

/// A token's name: what people will see as who acknowledged an alert.
enum TokenName {
    static func validate(_ name: String) throws {
        guard !name.isEmpty, name.count <= 100 else { throw ValidationError("--name must have 1 to 100 characters") }
        guard name.unicodeScalars.allSatisfy({ !CharacterSet.controlCharacters.contains($0) }) else {
            throw ValidationError("--name must not contain control characters")
        }
    }
}
