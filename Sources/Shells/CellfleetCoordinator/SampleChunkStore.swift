import Foundation
import Logging
import NIOCore
import PostgresNIO
import SampleCompaction

/// Old samples in `sample_chunks` (migration 0011, docs/compaction.md): moving a test's day of
/// rows into chunks, and reading chunks back as rows.
public enum SampleChunkStore {
    /// Rows per chunk: a page of a read decodes at most this many it does not need.
    public static let rowsPerChunk = 32_768

    public struct Compacted: Sendable, Equatable {
        public var rows = 0
        public var chunks = 0
        public var bytes = 0
        /// Bits by column (`StoredSampleColumns.columnNames`).
        public var columnBits: [Int] = []

        mutating func add(_ other: Compacted) {
            rows += other.rows
            chunks += other.chunks
            bytes += other.bytes
            if columnBits.isEmpty { columnBits = other.columnBits } else if !other.columnBits.isEmpty {
                columnBits = zip(columnBits, other.columnBits).map(+)
            }
        }
    }

    public static let columns = "seq, unix_time_s, test_time_s, voltage_v, current_a, capacity_ah, energy_wh, temperature_c, step_index, step_type, cycle_index"

    /// Moves the test's rows of UTC day `day` (days since 1970-01-01: `floor(unix_time_s /
    /// 86400)`, the one definition the work query uses too, so no row falls between two days)
    /// out of `samples` into chunks. Run it inside a transaction: the rows leave with `DELETE …
    /// RETURNING` and the chunks are inserted on the same connection, so they commit together or
    /// not at all, and exactly the rows deleted are the rows kept.
    static func compact(test: UUID, day: Int64, connection: PostgresConnection, logger: Logger) async throws -> Compacted {
        // The widened range lets the planner prune partitions; `floor` decides.
        let deleted = try await connection.query("""
            DELETE FROM samples
            WHERE test_id = \(test)
              AND unix_time_s >= \(Double(day) * 86_400 - 1) AND unix_time_s < \(Double(day + 1) * 86_400 + 1)
              AND floor(unix_time_s / 86400) = \(Double(day))
            RETURNING \(unescaped: columns)
            """, logger: logger)
        var rows: [StoredSampleColumns.Row] = []
        for try await row in deleted.decode(RowTuple.self) { rows.append(storedRow(row)) }
        rows.sort { $0.seq < $1.seq }
        var compacted = Compacted()
        var start = rows.startIndex
        while start < rows.endIndex {
            let end = min(start + rowsPerChunk, rows.endIndex)
            let chunk = StoredSampleColumns(rows: rows[start..<end])
            let (bytes, columnBits) = SampleChunkCodec.encodeCountingBits(chunk)
            let testTimes = chunk.testTimeSeconds.compactMap { $0 }
            _ = try await connection.query("""
                INSERT INTO sample_chunks (test_id, first_seq, last_seq, row_count, day_utc, min_test_time_s, max_test_time_s,
                                           column_mask, format, columns)
                VALUES (\(test), \(chunk.seq[0]), \(chunk.seq[chunk.count - 1]), \(Int32(chunk.count)), date '1970-01-01' + \(Int32(day))::integer,
                        \(testTimes.min()), \(testTimes.max()), \(Int32(chunk.columnMask)), \(Int16(SampleChunkCodec.format)),
                        \(ByteBuffer(bytes: bytes)))
                """, logger: logger).collect()
            compacted.add(Compacted(rows: chunk.count, chunks: 1, bytes: bytes.count, columnBits: columnBits))
            start = end
        }
        return compacted
    }

    /// The test's compacted rows with seq in `after+1 … through` that `matches`, in seq order,
    /// at least the first `limit` of them (more may come: the caller merges with fresh rows and
    /// cuts).
    static func rows(test: UUID, after: Int64, through: Int64 = .max, limit: Int = .max,
                     matching matches: (StoredSampleColumns.Row) -> Bool = { _ in true },
                     connection: PostgresConnection, logger: Logger) async throws -> [StoredSampleColumns.Row] {
        let chunks = try await connection.query("""
            SELECT first_seq, columns FROM sample_chunks
            WHERE test_id = \(test) AND last_seq > \(after) AND first_seq <= \(through)
            ORDER BY first_seq
            """, logger: logger)
        var found: [StoredSampleColumns.Row] = []
        for try await (firstSeq, bytes) in chunks.decode((Int64, ByteBuffer).self) {
            // Chunks of different days may interleave in seq (a clock set back); stop only when
            // no later chunk can hold a seq below the `limit`-th found so far.
            if found.count >= limit, firstSeq > found[limit - 1].seq { break }
            let columns: StoredSampleColumns
            do {
                columns = try SampleChunkCodec.decode(Array(bytes.readableBytesView))
            } catch {
                throw DamagedChunk(test: test, firstSeq: firstSeq, problem: error)
            }
            found += columns.rows.filter { $0.seq > after && $0.seq <= through && matches($0) }
            found.sort { $0.seq < $1.seq }
        }
        return found
    }

    public struct DamagedChunk: Error, CustomStringConvertible {
        public var test: UUID
        public var firstSeq: Int64
        public var problem: SampleChunkError
        public var description: String { "the compacted samples of test \(test) from seq \(firstSeq) cannot be read: \(problem)" }
    }

    /// One row as `samples` returns it, in `columns` order.
    public typealias RowTuple = (Int64, Double?, Double?, Double?, Double?, Double?, Double?, Double?, Int32?, Int16?, Int32?)

    public static func storedRow(_ row: RowTuple) -> StoredSampleColumns.Row {
        StoredSampleColumns.Row(seq: row.0, unixTimeSeconds: row.1, testTimeSeconds: row.2, voltageVolts: row.3, currentAmperes: row.4,
                                capacityAmpHours: row.5, energyWattHours: row.6, temperatureCelsius: row.7, stepIndex: row.8,
                                stepType: row.9, cycleIndex: row.10)
    }
}
