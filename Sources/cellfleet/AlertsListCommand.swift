import CellModel
import ArgumentParser
import CellDetection
import CellfleetCoordinator
import CellfleetReports
import Foundation

struct AlertsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List stored alerts, oldest first: a table, or one JSON object per line with --json.")

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Option(help: "Only alerts in this state: firing, acknowledged or resolved.")
    var state: AlertState?

    @OptionGroup var filters: AlertFilterOptions

    @Option(help: "Only alerts raised at or after this instant (ISO 8601, e.g. 2026-12-03T08:00:00Z).")
    var since: String?

    @Flag(help: "One JSON object per line (alert_id, test_id, cell_id, channel_id, agent_id, rule, severity, state, test_time_second, cycle, raised_at, evidence, …).")
    var json = false

    func validate() throws {
        if let since, Self.instant(since) == nil { throw ValidationError("--since '\(since)' is not an ISO 8601 instant") }
    }

    static func instant(_ text: String) -> Date? {
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return ISO8601DateFormatter().date(from: text) ?? fractional.date(from: text)
    }

    func run() async throws {
        let logger = DatabaseClient.logger("cellfleet.alerts")
        var filter = try filters.filter()
        filter.state = state
        filter.raisedSince = since.flatMap(Self.instant)
        let json = json
        let alerts: [StoredAlert]
        do {
            alerts = try await DatabaseClient.with(url: database, logger: logger) { client in
                try await client.withConnection { connection in
                    guard json else { return try await AlertRecords.list(filter, connection: connection, logger: logger) }
                    // JSON lines stream: written in chunks as the rows arrive.
                    var chunk = ""
                    try await AlertRecords.forEach(filter, connection: connection, logger: logger) { alert in
                        chunk += StoredAlertText.jsonLine(alert) + "\n"
                        if chunk.utf8.count >= 1 << 16 {
                            printNow(chunk)
                            chunk = ""
                        }
                    }
                    printNow(chunk)
                    return []
                }
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw commandFailure("alerts list", errorText(error))
        }
        if !json { printNow(StoredAlertText.table(alerts)) }
    }
}
