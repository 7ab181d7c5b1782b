import CellModel
import CellStatistics
import Foundation

/// How `cellfleet cycles` prints a test's cycle summaries: every column, in the table's order.
/// Values arrive as PostgreSQL's text (shortest exact digits for doubles); JSON writes numeric
/// columns as numbers (NaN and infinities as null: JSON has no spelling for them), the rest as
/// strings, NULL as null; CSV writes NULL as an empty field.
public enum CycleSummaryText {
    public struct Column: Sendable, Equatable {
        public var name: String
        public var isNumeric: Bool
        public init(name: String, isNumeric: Bool) {
            self.name = name
            self.isNumeric = isNumeric
        }
    }

    /// One JSON object per line.
    public static func jsonLines(columns: [Column], rows: [[String?]]) -> String {
        jsonObjects(columns: columns, rows: rows).map { $0.render(pretty: false) + "\n" }.joined()
    }

    /// One JSON object per cycle (`cycles --json`'s lines, the API's `cycles`).
    public static func jsonObjects(columns: [Column], rows: [[String?]]) -> [JSONText] {
        rows.map { row in
            JSONText.object(zip(columns, row).map { column, value in (column.name, json(value, numeric: column.isNumeric)) })
        }
    }

    static func json(_ value: String?, numeric: Bool) -> JSONText {
        guard let value else { return .null }
        guard numeric else { return .string(value) }
        if let integer = Int(value) { return .integer(integer) }
        return .finite(Double(value))
    }

    public static func csv(columns: [Column], rows: [[String?]]) -> String {
        var out = columns.map { SurvivalReport.csvField($0.name) }.joined(separator: ",") + "\n"
        for row in rows {
            out += row.map { $0.map(SurvivalReport.csvField) ?? "" }.joined(separator: ",") + "\n"
        }
        return out
    }

    /// A person's table: the columns that say most about a cycle.
    public static func table(columns: [Column], rows: [[String?]]) -> String {
        guard !rows.isEmpty else { return "no cycle summaries\n" }
        let shown: [(name: String, header: String)] = [
            ("cycle_index", "cycle"), ("charge_capacity_ah", "charge Ah"), ("discharge_capacity_ah", "discharge Ah"),
            ("coulombic_efficiency", "CE"), ("cell_coulombic_efficiency", "cell CE"), ("energy_efficiency", "EE"),
            ("charge_plateau_overpotential_v", "charge η V"), ("discharge_plateau_overpotential_v", "discharge η V"),
            ("dc_resistance_ohm", "R Ω"), ("state_of_health", "SOH"), ("sample_count", "samples"),
        ]
        let indices = shown.compactMap { wanted in columns.firstIndex { $0.name == wanted.name }.map { ($0, wanted.header) } }
        var table: [[String]] = [indices.map(\.1)]
        for row in rows {
            table.append(indices.map { index, _ in
                guard let text = row[index] else { return "-" }
                guard let value = Double(text), columns[index].isNumeric, text.contains(".") || text.contains("e") else { return text }
                return String(format: "%.6g", value)
            })
        }
        return SurvivalReport.align(table, rightAligned: Set(0..<indices.count))
    }
}
