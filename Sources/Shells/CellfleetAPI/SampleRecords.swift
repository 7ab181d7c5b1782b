import CellModel
import Foundation
import Logging
import PostgresNIO
import SampleCompaction
import CellfleetCoordinator

/// A test's samples as the API reads them: raw pages in sequence order, or a shape-preserving
/// downsample built from the summary (migration 0008) where the range is long, from raw samples
/// where it is short, and always ending at the newest committed sample.
enum SampleRecords {
    struct Row: Sendable {
        var seq: Int64
        var sample: Sample
    }

    /// Which samples: a seq range and/or a test-time range, each end inclusive and optional.
    struct Range: Sendable {
        var fromSeq: Int64?
        var toSeq: Int64?
        var fromTime: Double?
        var toTime: Double?
    }

    /// Up to `limit` samples in `range` with seq above `after`, in sequence order.
    static func page(test: UUID, range: Range, after: Int64?, limit: Int, connection: PostgresConnection, logger: Logger) async throws -> [Row] {
        try await StoredSampleReads.page(test: test, after: after ?? .min, limit: limit, condition: condition(range),
                                         connection: connection, logger: logger).map(Row.init(stored:))
    }

    struct Downsample: Sendable {
        var rows: [Row]
        /// 12 or 6: the summary level the points came from (with raw samples after it); 0: raw.
        var level: Int
        /// Candidate points LTTB chose from.
        var candidates: Int
    }

    /// At most `points` samples of `range`, picked by LTTB on voltage against test time.
    static func downsample(test: UUID, range: Range, points: Int, connection: PostgresConnection, logger: Logger) async throws -> Downsample {
        var next6: Int64 = 0, next12: Int64 = 0
        for try await (six, twelve) in try await connection.query("""
            SELECT level6_next_seq, level12_next_seq FROM sample_summary_progress WHERE test_id = \(test)
            """, logger: logger).decode((Int64, Int64).self) { (next6, next12) = (six, twelve) }
        var committed: Int64 = 0
        for try await value in try await connection.query("SELECT committed_seq FROM test_progress WHERE test_id = \(test)", logger: logger)
            .decode(Int64.self) { committed = value }
        // The coarsest level with enough points in the range; finer levels, then raw samples,
        // fill in after each level's progress.
        var candidates: [Row] = []
        var level = 0
        let twelve = try await summaryPoints(test: test, level: 12, below: next12, range: range, connection: connection, logger: logger)
        if twelve.count >= points {
            candidates = twelve
            level = 12
            candidates += try await summaryPoints(test: test, level: 6, from: next12, below: next6, range: range, connection: connection, logger: logger)
        } else {
            let six = try await summaryPoints(test: test, level: 6, below: next6, range: range, connection: connection, logger: logger)
            if six.count >= points {
                candidates = six
                level = 6
            } else {
                // A short range: all its raw samples (fewer than 16 × points, as level 6 keeps
                // at most 4 of 64), the summary not needed.
                candidates = try await rawTail(test: test, from: 0, committed: committed, range: range, thinned: false,
                                               connection: connection, logger: logger)
                next6 = .max
            }
        }
        if next6 != .max {
            candidates += try await rawTail(test: test, from: next6, committed: committed, range: range, thinned: true,
                                            connection: connection, logger: logger)
        }
        candidates.sort { $0.seq < $1.seq }
        let picked = LargestTriangleThreeBuckets.indices(
            x: candidates.map(\.sample.testTimeSeconds), y: candidates.map(\.sample.voltageVolts), threshold: points)
        return Downsample(rows: picked.map { candidates[$0] }, level: level, candidates: candidates.count)
    }

    /// Raw samples from `from` on; thinned by a stride if the summary lags far behind (a
    /// coordinator was down), so no request reads millions of rows.
    static let rawTailMaximum: Int64 = 100_000

    private static func rawTail(test: UUID, from: Int64, committed: Int64, range: Range, thinned: Bool, connection: PostgresConnection,
                                logger: Logger) async throws -> [Row] {
        let start = max(from, range.fromSeq ?? from)
        let end = min(committed, range.toSeq ?? committed)
        guard end >= start else { return [] }
        let stride = thinned ? max(1, (end - start + 1 + rawTailMaximum - 1) / rawTailMaximum) : 1
        let inRange = condition(range)
        let thinnedRange = StoredSampleReads.Condition(sql: "(\(stride) = 1 OR seq % \(stride) = 0 OR seq = \(end)) AND \(inRange.sql)") { row in
            (stride == 1 || row.seq % stride == 0 || row.seq == end) && inRange.matches(row)
        }
        return try await StoredSampleReads.page(test: test, after: start - 1, limit: .max, condition: thinnedRange,
                                                connection: connection, logger: logger).map(Row.init(stored:))
    }

    private static func summaryPoints(test: UUID, level: Int, from: Int64 = 0, below: Int64, range: Range, connection: PostgresConnection,
                                      logger: Logger) async throws -> [Row] {
        guard below > from else { return [] }
        return try await rows(connection.query("""
            SELECT \(unescaped: SampleChunkStore.columns) FROM sample_summary_points
            WHERE test_id = \(test) AND level = \(Int16(level)) AND seq >= \(from) AND seq < \(below) AND \(unescaped: rangeSQL(range))
            ORDER BY seq
            """, logger: logger))
    }

    /// The range as a condition on fresh rows (SQL) and on compacted ones (the same test in Swift).
    private static func condition(_ range: Range) -> StoredSampleReads.Condition {
        StoredSampleReads.Condition(sql: rangeSQL(range)) { row in
            if let from = range.fromSeq, row.seq < from { return false }
            if let to = range.toSeq, row.seq > to { return false }
            // As in SQL, a NULL test time is in no time range.
            if let from = range.fromTime, !(row.testTimeSeconds.map { $0 >= from } ?? false) { return false }
            if let to = range.toTime, !(row.testTimeSeconds.map { $0 <= to } ?? false) { return false }
            return true
        }
    }

    /// The range's conditions, written into the SQL: only integers and finite doubles (checked
    /// where the request is read) in Swift's exact digits, so no client text reaches the SQL.
    private static func rangeSQL(_ range: Range) -> String {
        var conditions = ["true"]
        if let from = range.fromSeq { conditions.append("seq >= \(from)") }
        if let to = range.toSeq { conditions.append("seq <= \(to)") }
        if let from = range.fromTime { conditions.append("test_time_s >= \(from.description)::float8") }
        if let to = range.toTime { conditions.append("test_time_s <= \(to.description)::float8") }
        return conditions.joined(separator: " AND ")
    }

    private static func rows(_ sequence: PostgresRowSequence) async throws -> [Row] {
        var rows: [Row] = []
        for try await row in sequence.decode(SampleChunkStore.RowTuple.self) { rows.append(Row(stored: SampleChunkStore.storedRow(row))) }
        return rows
    }
}

extension SampleRecords.Row {
    init(stored row: StoredSampleColumns.Row) {
        self.init(seq: row.seq, sample: Sample(stored: row))
    }
}
