import Foundation
import Logging
import PostgresNIO
import SampleCompaction

/// A test's stored samples as one stream, whether they are still rows of `samples` or already
/// compacted into `sample_chunks` (docs/compaction.md): every read of samples — export, the API,
/// detection replay — goes through here, so none of them sees a compacted test as empty.
public enum StoredSampleReads {
    /// Which rows besides the seq bounds: the same condition as SQL for `samples` and as a
    /// predicate for decoded chunks (the caller keeps the two in agreement).
    public struct Condition: Sendable {
        public var sql: String
        public var matches: @Sendable (StoredSampleColumns.Row) -> Bool

        public init(sql: String, matches: @escaping @Sendable (StoredSampleColumns.Row) -> Bool) {
            self.sql = sql
            self.matches = matches
        }

        public static let all = Condition(sql: "true") { _ in true }
    }

    /// Up to `limit` rows with seq in `after+1 … through` meeting `condition`, in seq order.
    public static func page(test: UUID, after: Int64, through: Int64 = .max, limit: Int, condition: Condition = .all,
                            connection: PostgresConnection, logger: Logger) async throws -> [StoredSampleColumns.Row] {
        var rows: [StoredSampleColumns.Row] = []
        let fresh = try await connection.query("""
            SELECT \(unescaped: SampleChunkStore.columns) FROM samples
            WHERE test_id = \(test) AND seq > \(after) AND seq <= \(through) AND \(unescaped: condition.sql)
            ORDER BY seq LIMIT \(limit)
            """, logger: logger)
        for try await row in fresh.decode(SampleChunkStore.RowTuple.self) { rows.append(SampleChunkStore.storedRow(row)) }
        let compacted = try await SampleChunkStore.rows(test: test, after: after, through: through, limit: limit,
                                                        matching: condition.matches, connection: connection, logger: logger)
        guard !compacted.isEmpty else { return rows }
        rows += compacted
        rows.sort { $0.seq < $1.seq }
        return Array(rows.prefix(limit))
    }

    /// Every row with seq in `from … through`, in seq order.
    public static func range(test: UUID, from: Int64, through: Int64, connection: PostgresConnection,
                             logger: Logger) async throws -> [StoredSampleColumns.Row] {
        guard through >= from else { return [] }
        let (span, overflow) = through.subtractingReportingOverflow(from)
        let limit = overflow || span >= Int64(Int.max) ? Int.max : Int(span) + 1
        return try await page(test: test, after: from == .min ? .min : from - 1, through: through, limit: limit,
                              connection: connection, logger: logger)
    }

    /// Which columns some stored row of the test has a value in (`StoredSampleColumns.columnMask`).
    public static func columnMask(test: UUID, connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query("""
            SELECT (CASE WHEN count(*) > 0 THEN 1 ELSE 0 END)
                 | (CASE WHEN count(unix_time_s) > 0 THEN 2 ELSE 0 END) | (CASE WHEN count(test_time_s) > 0 THEN 4 ELSE 0 END)
                 | (CASE WHEN count(voltage_v) > 0 THEN 8 ELSE 0 END) | (CASE WHEN count(current_a) > 0 THEN 16 ELSE 0 END)
                 | (CASE WHEN count(capacity_ah) > 0 THEN 32 ELSE 0 END) | (CASE WHEN count(energy_wh) > 0 THEN 64 ELSE 0 END)
                 | (CASE WHEN count(temperature_c) > 0 THEN 128 ELSE 0 END) | (CASE WHEN count(step_index) > 0 THEN 256 ELSE 0 END)
                 | (CASE WHEN count(step_type) > 0 THEN 512 ELSE 0 END) | (CASE WHEN count(cycle_index) > 0 THEN 1024 ELSE 0 END)
                 | (CASE WHEN count(*) FILTER (WHERE step_type IS NOT NULL AND step_type <> 0) > 0 THEN 2048 ELSE 0 END)
                 | coalesce((SELECT bit_or(column_mask) FROM sample_chunks WHERE test_id = \(test)), 0)
            FROM samples WHERE test_id = \(test)
            """, logger: logger)
        for try await mask in rows.decode(Int.self) { return mask }
        return 0
    }
}
