import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import _ConnectionPoolModule

/// Why the database cannot be used, as one sentence that says what to check (issue 17 §5): a
/// coordinator started before its database, with a wrong password or without the right to
/// create its tables used to die after 15 s with `ConnectionPoolError(connectionCreation
/// CircuitBreakerTripped)`, which names none of them.
public enum DatabaseProblem {
    /// Why one connection of our own cannot be made, as a sentence; nil when it can. Asked
    /// before the pool is: the pool keeps the server's answer (a wrong password, a missing
    /// database) to itself and keeps a request waiting while it retries, for ever when the server
    /// answers with a refusal.
    public static func probe(_ database: DatabaseLocation, logger: Logger) async -> String? {
        do {
            let connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: database.connectionConfiguration, id: 0, logger: logger)
            try? await connection.close()
            return nil
        } catch {
            return sentence(for: error, database: database)
        }
    }

    /// The sentence for an error as it is, without asking the server.
    public static func sentence(for error: any Error, database: DatabaseLocation?) -> String {
        let target = database.map { "PostgreSQL (\($0))" } ?? "PostgreSQL"
        if let server = DatabaseRefusal.serverError(in: error), let info = server.serverInfo {
            let message = info[.message] ?? "\(server)"
            switch info[.sqlState] ?? "" {
            case "28P01", "28000":
                return "\(target) refused the login of user '\(database?.user ?? "?")' (\(message)): check the user and password in --database, and the server's pg_hba.conf"
            case "3D000":
                return "\(target) has no database '\(database?.database ?? "?")' (\(message)): create it (createdb) or correct the database in --database"
            case "42501":
                return "\(target) does not let user '\(database?.user ?? "?")' create or change cellfleet's tables (\(message)): grant it CREATE on the database and its schema, or run the coordinator once as the database's owner"
            case "57P03":
                return "\(target) is starting up or shutting down (\(message)): it should answer shortly"
            case "53300":
                return "\(target) has no connection slot left (\(message)): raise max_connections or stop other clients"
            case let state:
                return "\(target) refused the schema migration: \(message) (SQLSTATE \(state))"
            }
        }
        if isConnectionFailure(error) {
            return "cannot connect to \(target): check that the server runs and that the host, port or socket directory in --database are right (\(brief(error)))"
        }
        return "cannot use \(target): \(brief(error))"
    }

    /// Reaching the server failed (nothing was refused by it).
    static func isConnectionFailure(_ error: any Error) -> Bool {
        if let pool = error as? ConnectionPoolError {
            return pool == .connectionCreationCircuitBreakerTripped
        }
        if let psql = error as? PSQLError {
            return psql.serverInfo == nil && [.connectionError, .serverClosedConnection, .uncleanShutdown].contains(psql.code)
        }
        if let transaction = error as? PostgresTransactionError {
            return transaction.causes.contains(where: isConnectionFailure)
        }
        return error is IOError || error is NIOConnectionError || error is ChannelError
    }

    private static func brief(_ error: any Error) -> String {
        if let psql = error as? PSQLError, let underlying = psql.underlying { return "\(underlying)" }
        return "\(error)"
    }
}
