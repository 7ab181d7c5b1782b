import ArgumentParser
import CellDetection
import CellfleetCoordinator
import Foundation

struct AlertsAckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ack",
        abstract: "Acknowledge an alert: a person has seen it (it stays open until resolved).")

    @Argument(help: "The alert's id (alert_id in `alerts list`).")
    var id: Int64

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Option(help: "Who acknowledges it.")
    var by: String

    @Option(help: "A note kept with the alert.")
    var note: String?

    func validate() throws {
        if by.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--by must name a person") }
    }

    func run() async throws {
        try await AlertStateCommand.apply(.acknowledge(by: by, note: note), to: id, database: database, command: "alerts ack")
    }
}

/// What `ack` and `resolve` share: apply the request, say what happened.
enum AlertStateCommand {
    static func apply(_ request: AlertStateRequest, to id: Int64, database: String, command: String) async throws {
        let logger = DatabaseClient.logger("cellfleet.alerts")
        do {
            let outcome = try await DatabaseClient.with(url: database, logger: logger) { client in
                try await AlertRecords.apply(request, toAlert: id, client: client, logger: logger)
            }
            switch outcome {
            case .changed(let summary), .unchanged(let summary): printNow(summary + "\n")
            }
        } catch let error as AlertRecordError {
            throw commandFailure(command, error.description)
        } catch let error as ValidationError {
            throw error
        } catch {
            throw commandFailure(command, errorText(error))
        }
    }
}
