import CellStatistics

/// What `cellfleet stats` prints, from the CSV text to the output text, so the command file only
/// reads a file and the whole path is unit-testable.
public enum StatsOutputFormat: Sendable {
    case table
    case json
    case csv
}

public struct StatsInputError: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}

extension SurvivalReport {
    public static func render(csv text: String, format: StatsOutputFormat, lifeUnit: String = "life") throws -> String {
        let cells: [CellLife]
        do {
            cells = try LifeTable.read(csv: text)
        } catch {
            throw StatsInputError(description: error.description)
        }
        let report: SurvivalReport
        do {
            report = try SurvivalReport(cells: cells)
        } catch {
            throw StatsInputError(description: "\(error)")
        }
        switch format {
        case .table: return report.table(lifeUnit: lifeUnit)
        case .json: return report.json()
        case .csv: return report.csv()
        }
    }
}
