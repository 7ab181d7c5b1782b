import Foundation
import Logging
import PostgresNIO

/// `cellfleet cycles`: a test's rows of `cycle_summaries`, every column the table has (read
/// from the catalog, so a column a later migration adds is shown without a change here), each
/// value as PostgreSQL's text: its `double precision` text is the shortest that reads back
/// exactly, and timestamps are formatted as RFC 3339 UTC.
public enum CycleSummaryRecords {
    public struct Column: Sendable, Equatable {
        public var name: String
        /// A number in JSON (integer, bigint, double precision …); otherwise a string.
        public var isNumeric: Bool
    }

    public struct Table: Sendable, Equatable {
        public var columns: [Column]
        /// One row per cycle, in cycle order; nil is SQL NULL.
        public var rows: [[String?]]
    }

    public static func read(test testID: UUID, client: PostgresClient, logger: Logger) async throws -> Table {
        try await client.withConnection { connection in
            let catalog = try await connection.query("""
                SELECT column_name, data_type FROM information_schema.columns
                WHERE table_name = 'cycle_summaries' AND table_schema = current_schema() ORDER BY ordinal_position
                """, logger: logger)
            var columns: [(name: String, type: String)] = []
            for try await (name, type) in catalog.decode((String, String).self) { columns.append((name, type)) }
            let numeric: Set<String> = ["smallint", "integer", "bigint", "double precision", "real", "numeric"]
            let selections = columns.map { column -> String in
                let identifier = "\"" + column.name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                if column.type.hasPrefix("timestamp") {
                    return "to_char(\(identifier) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
                }
                return "\(identifier)::text"
            }
            let rows = try await connection.query("""
                SELECT \(unescaped: selections.joined(separator: ", ")) FROM cycle_summaries
                WHERE test_id = \(testID) ORDER BY cycle_index
                """, logger: logger)
            var table = Table(columns: columns.map { Column(name: $0.name, isNumeric: numeric.contains($0.type)) }, rows: [])
            for try await row in rows {
                table.rows.append(try row.map { try $0.decode(String?.self) })
            }
            return table
        }
    }
}
