import ArgumentParser
import CellfleetCoordinator
import Foundation
import PostgresNIO
import Scheduling

/// How the scheduler's commands for people fail: a sentence on stderr, exit status 1. A refusal
/// (a study file's error, an unknown channel, a cell not in stock) says just that; the database's
/// own refusal says its message, not postgres-nio's wrapper around it.
func schedulerFailure(_ command: String, _ error: any Error) -> any Error {
    if let error = error as? ValidationError { return error }
    if let error = error as? ExitCode { return error }
    return commandFailure(command, schedulerErrorText(error))
}

func schedulerErrorText(_ error: any Error) -> String {
    if let transaction = error as? PostgresTransactionError,
       let inner = transaction.closureError ?? transaction.commitError ?? transaction.beginError {
        return schedulerErrorText(inner)
    }
    if let error = error as? SchedulerRecordError { return error.description }
    if let error = error as? StudyFile.Invalid { return error.description }
    if let error = error as? CellInventoryFile.Invalid { return error.description }
    if let error = error as? PSQLError, let message = error.serverInfo?[.message] {
        let detail = error.serverInfo?[.detail].map { " (\($0))" } ?? ""
        return "the database refused the change: \(message)\(detail)"
    }
    return errorText(error)
}
