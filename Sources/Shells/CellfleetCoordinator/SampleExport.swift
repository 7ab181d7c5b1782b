import CellModel
import Foundation
import Logging
import PostgresNIO

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
                let rows = try await connection.query("""
                    SELECT seq, unix_time_s, test_time_s, voltage_v, current_a, capacity_ah, energy_wh, temperature_c,
                           step_index, step_type, cycle_index
                    FROM samples WHERE test_id = \(testID) AND seq > \(after) ORDER BY seq LIMIT \(pageSize)
                    """, logger: logger)
                var count = 0
                for try await (seq, unix, time, voltage, current, capacity, energy, temperature, step, stepType, cycle) in rows.decode(
                    (Int64, Double?, Double?, Double?, Double?, Double?, Double?, Double?, Int32?, Int16?, Int32?).self) {
                    count += 1
                    after = seq
                    guard let time, let voltage, let current else {
                        summary.invalidSamplesLeftOut += 1
                        continue
                    }
                    let sample = Sample(
                        unixTimeSeconds: unix ?? .nan, testTimeSeconds: time, voltageVolts: voltage, currentAmperes: current,
                        capacityAmpHours: capacity, energyWattHours: energy, temperatureCelsius: temperature, stepIndex: step,
                        stepType: stepType.map { StepType(rawValue: Int32($0)) ?? .other } ?? .unknown, cycleIndex: cycle)
                    try writer.write(sample)
                    summary.rows += 1
                }
                if count < pageSize { break }
            }
            try writer.flush()
            return summary
        }
    }

    /// The columns of the test's file: the required ones, and each optional one some row has.
    public static func layout(test testID: UUID, connection: PostgresConnection, logger: Logger) async throws -> BatteryDataFormat.Layout {
        let rows = try await connection.query("""
            SELECT count(unix_time_s), count(temperature_c), count(cycle_index), count(step_index), count(capacity_ah),
                   count(energy_wh), count(*) FILTER (WHERE step_type IS NOT NULL AND step_type <> 0)
            FROM samples WHERE test_id = \(testID)
            """, logger: logger)
        for try await (unix, temperature, cycle, step, capacity, energy, stepType) in rows.decode((Int, Int, Int, Int, Int, Int, Int).self) {
            return .exported(hasUnixTime: unix > 0, hasTemperature: temperature > 0, hasCycle: cycle > 0, hasStep: step > 0,
                             hasCapacity: capacity > 0, hasEnergy: energy > 0, hasStepType: stepType > 0)
        }
        return .exported(hasUnixTime: false, hasTemperature: false, hasCycle: false, hasStep: false,
                         hasCapacity: false, hasEnergy: false, hasStepType: false)
    }
}
