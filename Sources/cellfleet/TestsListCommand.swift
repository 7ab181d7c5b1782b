import ArgumentParser
import CellModel
import CellStatistics
import CellfleetAPI
import CellfleetReports
import Foundation

/// `cellfleet tests list`: the tests `GET /tests` gives, by the API's own query and cursor, newest
/// first, as a table, JSON lines (the API's TEST objects) or CSV for a spreadsheet.
struct TestsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the fleet's tests, newest first: a table, one JSON object per line with --json, or CSV with --csv.")

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Option(name: .customLong("where"), help: ArgumentHelp("Only tests whose attribute KEY is VALUE (repeatable).", valueName: "KEY=VALUE"))
    var conditions: [String] = []

    @Option(help: "Only running or ended tests.")
    var state: String?

    @Option(help: "Only tests of this agent.")
    var agent: String?

    @Option(help: "Only tests on this channel id.")
    var channel: String?

    @Option(help: "Only tests of this cell.")
    var cell: String?

    @Flag(help: "One JSON object per line: the API's TEST objects (test_id, agent_id, channel_id, cell_id, state, …, attributes, started_at, ended_at, end_reason, last_seq, committed_seq).")
    var json = false

    @Flag(help: "CSV: a header and one row per test, the attributes as JSON text.")
    var csv = false

    func validate() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
        if let state, state != "running" && state != "ended" { throw ValidationError("--state '\(state)': expected running or ended") }
        _ = try StatsCommand.attributes(conditions)
    }

    /// The TEST object's members in the API's order: the CSV's columns.
    static let columns = [
        "test_id", "agent_id", "channel_id", "cell_id", "state", "cell_type", "electrode_area_m2", "active_mass_kg",
        "nominal_capacity_ah", "working_electrode", "voltage_min_v", "voltage_max_v", "attributes", "started_at", "ended_at",
        "end_reason", "last_seq", "committed_seq",
    ]

    func run() async throws {
        let logger = DatabaseClient.logger("cellfleet.tests")
        let filter = TestRecords.Filter(state: state, agentID: agent, channelID: channel, cellID: cell,
                                        attributes: try StatsCommand.attributes(conditions))
        let json = json, csv = csv
        var rows: [[String]] = [["TEST", "CELL", "CHANNEL", "STATE", "STARTED", "ENDED", "END REASON", "COMMITTED", "ATTRIBUTES"]]
        if csv { printNow(Self.columns.joined(separator: ",") + "\n") }
        do {
            try await DatabaseClient.with(url: database, logger: logger) { client in
                try await client.withConnection { connection in
                    try await TestRecords.forEach(filter, connection: connection, logger: logger) { tests in
                        if json {
                            printNow(tests.map { $0.render(pretty: false) + "\n" }.joined())
                        } else if csv {
                            printNow(tests.map { Self.csvRow($0) + "\n" }.joined())
                        } else {
                            rows += tests.map(Self.tableRow)
                        }
                    }
                }
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw commandFailure("tests list", errorText(error))
        }
        if !json && !csv {
            printNow(rows.count == 1 ? "no tests\n" : TextTable.render(rows, rightAligned: [7]))
        }
    }

    static func member(_ test: JSONText, _ name: String) -> JSONText? {
        guard case .object(let members) = test else { return nil }
        return members.first { $0.0 == name }?.1
    }

    /// A member as a CSV cell or table cell: text as itself, null empty, anything else as JSON.
    static func text(_ value: JSONText?) -> String {
        switch value {
        case .none, .some(.null): return ""
        case .some(.string(let text)): return text
        case .some(let other): return other.render(pretty: false)
        }
    }

    static func csvRow(_ test: JSONText) -> String {
        columns.map { SurvivalReport.csvField(text(member(test, $0))) }.joined(separator: ",")
    }

    static func tableRow(_ test: JSONText) -> [String] {
        let channel = "\(text(member(test, "agent_id")))/\(text(member(test, "channel_id")))"
        return [text(member(test, "test_id")), text(member(test, "cell_id")), channel, text(member(test, "state")),
                text(member(test, "started_at")), text(member(test, "ended_at")), text(member(test, "end_reason")),
                text(member(test, "committed_seq")), text(member(test, "attributes"))]
    }
}
