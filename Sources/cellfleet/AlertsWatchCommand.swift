import ArgumentParser
import CellfleetCoordinator
import CellfleetReports
import Foundation

struct AlertsWatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print the open alerts, then each alert and each change of state as it commits, until Ctrl-C.",
        discussion: "LISTENs on cellfleet_alerts before it reads, so nothing committed meanwhile is missed, and prints each alert's state once. It reconnects by itself if the database goes away.")

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @OptionGroup var filters: AlertFilterOptions

    @Flag(help: "One JSON object per line, as `alerts list --json`.")
    var json = false

    func run() async throws {
        let logger = DatabaseClient.logger("cellfleet.alerts")
        let filter = try filters.filter()
        let json = json
        do {
            try await DatabaseClient.with(url: database, logger: logger) { client in
                try await AlertWatch.run(client: client, filter: filter, logger: logger, ready: {
                    FileHandle.standardError.write(Data("cellfleet alerts watch: watching for alerts (Ctrl-C to stop)\n".utf8))
                }, show: { alert in
                    printNow((json ? StoredAlertText.jsonLine(alert) : StoredAlertText.watchLine(alert)) + "\n")
                })
            }
        } catch is CancellationError {
            return
        } catch {
            throw commandFailure("alerts watch", errorText(error))
        }
    }
}
