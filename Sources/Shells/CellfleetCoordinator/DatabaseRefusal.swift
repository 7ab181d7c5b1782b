import PostgresNIO

/// The database's refusal of something a transaction wrote (a constraint, an encoding, a value
/// out of range), as opposed to the database being unreachable or the connection dying.
///
/// It matters which: a refusal belongs to one of the deliveries in a group, so the writer retries
/// each delivery on its own and only the offending one is refused; a lost database belongs to
/// none of them. `withTransaction` wraps what its body threw in `PostgresTransactionError`, so the
/// refusal is looked for inside it (checking for `PSQLError` alone never found one, and one
/// agent's bad delivery got a good agent's deliveries in the same group refused).
enum DatabaseRefusal {
    static func serverError(in error: any Error) -> PSQLError? {
        if let error = error as? PSQLError {
            return error.serverInfo != nil ? error : nil
        }
        if let transaction = error as? PostgresTransactionError {
            for inner in transaction.causes {
                if let found = serverError(in: inner) { return found }
            }
        }
        return nil
    }

    /// Whether the server's refusal is about the data itself, so committing the same delivery
    /// again can only fail again: data exceptions (class 22: a value out of range, an encoding)
    /// and integrity violations (class 23). Lock timeouts, deadlocks, a server shutting down or
    /// out of resources are not: they pass.
    static func isAboutTheData(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state.hasPrefix("22") || state.hasPrefix("23")
    }

    /// Whether the refusal says the database is not available right now — a connection failure
    /// (class 08), a rolled-back transaction (40: deadlock, serialization), resources (53),
    /// a lock not granted (55), an operator shutting it down or starting it (57), a system error
    /// (58) — which no delivery is to blame for, however often it repeats.
    static func isAboutTheDatabase(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return true }
        return ["08", "40", "53", "55", "57", "58"].contains(String(state.prefix(2)))
    }

    /// The server's own words and code, for the refusal the agent is sent.
    static func describe(_ error: PSQLError) -> String {
        let message = error.serverInfo?[.message] ?? "\(error)"
        return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))"
    }
}

extension PostgresTransactionError {
    /// What went wrong inside: the BEGIN, the body or the COMMIT (a failed rollback is not why).
    var causes: [any Error] { [beginError, closureError, commitError].compactMap { $0 } }
}
