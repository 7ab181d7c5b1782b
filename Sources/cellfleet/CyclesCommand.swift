import ArgumentParser
import CellfleetCoordinator
import CellfleetReports
import Foundation

/// A test's cycle summaries as the coordinator's detection wrote them, every column of
/// `cycle_summaries`: a table, JSON lines or CSV.
struct CyclesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cycles",
        abstract: "Print a test's cycle summaries (every column of cycle_summaries): a table, --json (one object per line) or --csv.")

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Option(help: "The test's id (a UUID).")
    var test: String

    @Flag(help: "One JSON object per cycle and line.")
    var json = false

    @Flag(help: "CSV with a header of the column names.")
    var csv = false

    func validate() throws {
        _ = try DatabaseClient.testID(test)
        if json && csv { throw ValidationError("give --json or --csv, not both") }
    }

    func run() async throws {
        let logger = DatabaseClient.logger("cellfleet.cycles")
        let testID = try DatabaseClient.testID(test)
        let table: CycleSummaryRecords.Table
        do {
            table = try await DatabaseClient.with(url: database, logger: logger) { client in
                try await CycleSummaryRecords.read(test: testID, client: client, logger: logger)
            }
        } catch {
            throw commandFailure("cycles", errorText(error))
        }
        let columns = table.columns.map { CycleSummaryText.Column(name: $0.name, isNumeric: $0.isNumeric) }
        if json {
            printNow(CycleSummaryText.jsonLines(columns: columns, rows: table.rows))
        } else if csv {
            printNow(CycleSummaryText.csv(columns: columns, rows: table.rows))
        } else {
            printNow(CycleSummaryText.table(columns: columns, rows: table.rows))
        }
    }
}
