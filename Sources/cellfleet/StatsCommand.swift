import ArgumentParser
import CellfleetReports
import CellStatistics
import Foundation

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Cycle-life statistics with censoring: Kaplan-Meier, Weibull, log-rank.",
        discussion: """
        Input: a CSV with columns cell,group,life,failed (failed: 1 = failed, 0 = still running or \
        stopped, i.e. right-censored), optional channel, cycler and kind. No database is needed.
        """
    )

    @Option(name: .long, help: "CSV file with one row per cell.")
    var input: String

    @Flag(name: .long, help: "Print one JSON object instead of the table.")
    var json = false

    @Flag(name: .long, help: "Print the Kaplan-Meier survival table as CSV.")
    var csv = false

    @Option(name: .long, help: "Unit of the life column, used in the table headings (e.g. cycles, hours).")
    var lifeUnit = "life"

    func validate() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
    }

    func run() async throws {
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
}
