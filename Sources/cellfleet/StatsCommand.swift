import ArgumentParser
import CellfleetAPI
import CellfleetReports
import CellStatistics
import Foundation
import PostgresNIO

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Cycle-life statistics with censoring: Kaplan-Meier, Weibull, log-rank.",
        discussion: """
        Input: a CSV with columns cell,group,life,failed (failed: 1 = failed, 0 = still running or \
        stopped, i.e. right-censored), optional channel, cycler and kind. No database is needed.

        Or --database: one life per test of the fleet, grouped by a test attribute (--group-by), the \
        event the test's first detector fail alert (--event fail) or the first cycle below 80 % state \
        of health (--event soh80), a test without it right-censored at its current count \
        (docs/statistics.md §7). --lives-csv writes those lives as the CSV --input reads.
        """
    )

    @Option(name: .long, help: "CSV file with one row per cell.")
    var input: String?

    @Option(help: "PostgreSQL URL of the coordinators' database: the lives of the fleet's tests instead of --input.")
    var database: String?

    @Option(help: "With --database: the test attribute whose value is a test's group (e.g. scenario, coating).")
    var groupBy: String?

    @Option(help: "With --database: the event that ends a life, fail (first detector fail alert) or soh80 (first cycle with SOH < 0.8).")
    var event: String = FleetStatistics.Event.fail.rawValue

    @Option(help: "With --database: a life in cycles or hours.")
    var unit: String = FleetStatistics.Unit.cycles.rawValue

    @Option(name: .customLong("where"), help: ArgumentHelp("With --database: only tests whose attribute KEY is VALUE (repeatable).", valueName: "KEY=VALUE"))
    var conditions: [String] = []

    @Option(help: "With --database: also write the lives used to this CSV file (the format --input reads).")
    var livesCsv: String?

    @Flag(name: .long, help: "Print one JSON object instead of the table.")
    var json = false

    @Flag(name: .long, help: "Print the Kaplan-Meier survival table as CSV.")
    var csv = false

    @Option(name: .long, help: "Unit of the life column, used in the table headings (e.g. cycles, hours).")
    var lifeUnit = "life"

    func validate() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
        switch (input, database) {
        case (nil, nil): throw ValidationError("give --input FILE (a lives CSV) or --database URL (the fleet's tests)")
        case (.some, .some): throw ValidationError("--input and --database are mutually exclusive")
        case (.some, nil):
            if groupBy != nil || livesCsv != nil || !conditions.isEmpty
                || event != FleetStatistics.Event.fail.rawValue || unit != FleetStatistics.Unit.cycles.rawValue {
                throw ValidationError("--group-by, --event, --unit, --where and --lives-csv go with --database, not --input")
            }
        case (nil, .some):
            _ = try query()
        }
    }

    /// The database query the flags describe.
    func query() throws -> FleetStatistics.Query {
        guard let groupBy, !groupBy.isEmpty else { throw ValidationError("--database needs --group-by ATTRIBUTE (e.g. --group-by scenario)") }
        guard let event = FleetStatistics.Event(rawValue: self.event) else {
            throw ValidationError("--event '\(self.event)': expected fail or soh80")
        }
        guard let unit = FleetStatistics.Unit(rawValue: self.unit) else {
            throw ValidationError("--unit '\(self.unit)': expected cycles or hours")
        }
        return FleetStatistics.Query(groupBy: groupBy, event: event, unit: unit, attributes: try Self.attributes(conditions))
    }

    /// `--where KEY=VALUE` pairs (the value may itself contain `=`).
    static func attributes(_ conditions: [String]) throws -> [(key: String, value: String)] {
        try conditions.map { condition in
            guard let equals = condition.firstIndex(of: "="), equals != condition.startIndex else {
                throw ValidationError("--where '\(condition)': expected KEY=VALUE, e.g. coating=LiAlO2")
            }
            return (String(condition[..<equals]), String(condition[condition.index(after: equals)...]))
        }
    }

    func run() async throws {
        guard let input else { return try await runOnDatabase() }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: input))
        } catch {
            throw StatsInputError(description: "cannot read \(input): \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw StatsInputError(description: "\(input): not UTF-8 text")
        }
        let format: StatsOutputFormat = json ? .json : (csv ? .csv : .table)
        do {
            print(try SurvivalReport.render(csv: text, format: format, lifeUnit: lifeUnit), terminator: "")
        } catch let error as StatsInputError {
            throw StatsInputError(description: "\(input): \(error.description)")
        }
    }

    private var format: StatsOutputFormat { json ? .json : (csv ? .csv : .table) }

    private func runOnDatabase() async throws {
        let query = try query()
        let logger = DatabaseClient.logger("cellfleet.stats")
        let lives: FleetStatistics.Lives
        do {
            lives = try await DatabaseClient.with(url: database!, logger: logger) { client in
                try await client.withConnection { connection in
                    try await FleetStatistics.lives(query, connection: connection, logger: logger)
                }
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw commandFailure("stats", errorText(error))
        }
        if let livesCsv {
            do {
                try Data(LifeTable.csv(lives.cells).utf8).write(to: URL(fileURLWithPath: livesCsv))
            } catch {
                throw commandFailure("stats", "cannot write \(livesCsv): \(error.localizedDescription)")
            }
        }
        let text: String
        do {
            switch format {
            case .json: text = try FleetStatistics.report(of: lives, query: query).render() + "\n"
            case .csv: text = try FleetStatistics.survivalReport(of: lives, query: query).csv()
            case .table:
                let lifeUnit = self.lifeUnit == "life" ? query.unit.rawValue : self.lifeUnit
                text = try FleetStatistics.survivalReport(of: lives, query: query).table(lifeUnit: lifeUnit)
                    + Self.exclusionNote(lives, query: query)
            }
        } catch let error as FleetStatisticsError {
            throw commandFailure("stats", error.description)
        }
        print(text, terminator: "")
    }

    /// What the table's n leaves out, said under it.
    static func exclusionNote(_ lives: FleetStatistics.Lives, query: FleetStatistics.Query) -> String {
        guard lives.excluded > 0 else { return "" }
        var reasons: [String] = []
        if lives.withoutGroup > 0 { reasons.append("\(lives.withoutGroup) without the attribute '\(query.groupBy)'") }
        if lives.notYetAtRisk > 0 { reasons.append("\(lives.notYetAtRisk) not yet at risk (no completed \(query.unit == .cycles ? "cycle" : "test time"))") }
        if lives.eventTimeUnknown > 0 { reasons.append("\(lives.eventTimeUnknown) whose event has no test time") }
        return "\n\(lives.excluded) tests left out: \(reasons.joined(separator: ", ")).\n"
    }
}
