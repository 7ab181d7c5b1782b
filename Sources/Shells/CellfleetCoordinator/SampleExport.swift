import CellModel
import Foundation
import Logging
import PostgresNIO
import SampleCompaction

/// `cellfleet export`: a test's stored samples as a Battery Data Format CSV that `cellfleet
/// detect` reads, in sequence order, every number in Swift's shortest round-trip digits.
///
/// It streams: pages of `pageSize` rows by sequence number (a keyset, so each page is an index
/// range scan however deep into a months-long test it is) go through one `BatteryDataCSVWriter`
/// to the sink; memory stays constant. Which optional columns the file has is decided first, by
/// one count over the test's rows: a column is written where any row has a value.
///
/// A sample whose time, voltage or current is NULL (stored for a non-finite value) cannot be a
/// BDF row (those columns must be finite); it is left out and counted, and the caller says so.
/// Live detection saw it as a Q1 `invalid_sample` note, the one thing `detect` on the file
/// cannot see.
public enum SampleExport {
    public struct Summary: Sendable, Equatable {
        public var rows = 0
        /// Samples left out because their time, voltage or current is NULL.
        public var invalidSamplesLeftOut = 0
        public var columns: [String] = []
    }

    public static let pageSize = 20_000

    public static func write(test testID: UUID, client: PostgresClient, logger: Logger,
                             sink: @escaping ([UInt8]) throws -> Void) async throws -> Summary {
        try await client.withConnection { connection in
            let layout = try await layout(test: testID, connection: connection, logger: logger)
            var writer = BatteryDataCSVWriter(layout: layout, sink: sink)
            var summary = Summary(columns: layout.columns.map(\.name))
            var after = Int64.min
            while true {
                let rows = try await StoredSampleReads.page(test: testID, after: after, limit: pageSize, connection: connection, logger: logger)
                let count = rows.count
                for row in rows {
                    after = row.seq
                    guard row.testTimeSeconds != nil, row.voltageVolts != nil, row.currentAmperes != nil else {
                        summary.invalidSamplesLeftOut += 1
                        continue
                    }
                    let sample = Sample(stored: row)
                    try writer.write(sample)
                    summary.rows += 1
                }
                if count < pageSize { break }
            }
            try writer.flush()
            return summary
        }
    }

    /// The columns of the test's file: the required ones, and each optional one some row has
    /// (fresh or compacted).
    public static func layout(test testID: UUID, connection: PostgresConnection, logger: Logger) async throws -> BatteryDataFormat.Layout {
        let mask = try await StoredSampleReads.columnMask(test: testID, connection: connection, logger: logger)
        func has(_ column: String) -> Bool {
            mask & (1 << StoredSampleColumns.columnNames.firstIndex(of: column)!) != 0
        }
        return .exported(hasUnixTime: has("unix_time_s"), hasTemperature: has("temperature_c"), hasCycle: has("cycle_index"),
                         hasStep: has("step_index"), hasCapacity: has("capacity_ah"), hasEnergy: has("energy_wh"),
                         hasStepType: mask & (1 << 11) != 0)
    }
}
