import ArgumentParser
import CellfleetCoordinator
import Foundation
import Logging
import PostgresNIO

/// The database of the commands for people (`alerts`, `export`, `cycles`): a client for the
/// command's duration, from `--database URL`. Errors are a sentence on stderr and a non-zero exit.
enum DatabaseClient {
    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        return logger
    }

    static func with<Result: Sendable>(url: String, logger: Logger, _ body: (PostgresClient) async throws -> Result) async throws -> Result {
        let location: DatabaseLocation
        do { location = try DatabaseLocation(url: url) } catch { throw ValidationError("--database: \(error)") }
        // The pool's own logger says only errors: a command may lease its first connection
        // before the pool's run() has started, which it warns about and then serves anyway.
        var poolLogger = logger
        poolLogger.logLevel = .error
        let client = PostgresClient(configuration: location.clientConfiguration, backgroundLogger: poolLogger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await reachable(client, location: location, logger: logger)
            return try await body(client)
        }
    }

    static let connectTimeoutSeconds = 10

    /// A first query within `connectTimeoutSeconds`: the pool retries an unreachable server
    /// for ever, which would leave a person's command hanging without a word.
    static func reachable(_ client: PostgresClient, location: DatabaseLocation, logger: Logger) async throws {
        let reached = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await client.withConnection { connection in
                    let rows: PostgresRowSequence = try await connection.query("SELECT 1", logger: logger)
                    for try await _ in rows {}
                }
                return true
            }
            group.addTask {
                try await Task.sleep(for: .seconds(connectTimeoutSeconds))
                return false
            }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
        guard reached else {
            throw DatabaseUnreachable(description: "cannot reach the database \(location) within \(connectTimeoutSeconds) s")
        }
    }

    /// A test id as the contract spells it (lowercase canonical UUID; any case accepted).
    static func testID(_ text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw ValidationError("--test '\(text)' is not a UUID") }
        return id
    }
}

struct DatabaseUnreachable: Error, CustomStringConvertible {
    let description: String
}

/// Writes to stdout at once (no buffering): `alerts watch` lines must appear as alerts commit.
func printNow(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// A failure of a command for people: the sentence on stderr, exit status 1.
func commandFailure(_ command: String, _ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("cellfleet \(command): \(message)\n".utf8))
    return ExitCode.failure
}

/// An error as a person reads it: our own errors by their sentence; postgres-nio's in full
/// (its `description` withholds the server's message on purpose).
func errorText(_ error: any Error) -> String {
    if let error = error as? DatabaseUnreachable { return error.description }
    return String(reflecting: error)
}
