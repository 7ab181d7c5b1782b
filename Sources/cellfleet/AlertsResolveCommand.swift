import ArgumentParser
import CellDetection
import Foundation

struct AlertsResolveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Resolve an alert: dealt with. Resolving a resolved alert changes nothing and says so.")

    @Argument(help: "The alert's id (alert_id in `alerts list`).")
    var id: Int64

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Option(help: "Who resolves it.")
    var by: String?

    @Option(help: "A note kept with the alert (below an earlier one).")
    var note: String?

    func run() async throws {
        try await AlertStateCommand.apply(.resolve(by: by, note: note), to: id, database: database, command: "alerts resolve")
    }
}
