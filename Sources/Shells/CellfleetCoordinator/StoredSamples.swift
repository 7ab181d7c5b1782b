import CellModel
import Foundation
import Logging
import PostgresNIO
import SampleCompaction

/// A test's samples read back (fresh or compacted, `StoredSampleReads`) for live detection's replays, as the columns the
/// ingest path would have handed the detector: a NULL measurement (a non-finite value stored as
/// NULL) is NaN again, and an optional column is present where any of its rows has a value.
enum StoredSamples {
    /// Consecutive samples from `firstSequence`.
    struct Run: Sendable {
        var firstSequence: Int64
        var columns: SampleColumns
    }

    /// The stored samples with sequence numbers `from…through`, split where some are missing.
    static func read(test testID: UUID, from: Int64, through: Int64, connection: PostgresConnection, logger: Logger) async throws -> [Run] {
        var runs: [Run] = []
        var builder = RunBuilder()
        for row in try await StoredSampleReads.range(test: testID, from: from, through: through, connection: connection, logger: logger) {
            if let first = builder.firstSequence, row.seq != first + Int64(builder.count) {
                runs.append(builder.run())
                builder = RunBuilder()
            }
            builder.append(row)
        }
        if builder.count > 0 { runs.append(builder.run()) }
        return runs
    }

    private struct RunBuilder {
        var firstSequence: Int64?
        var count = 0
        var columns = SampleColumns()
        var capacity: [Double?] = [], energy: [Double?] = [], temperature: [Double?] = []
        var step: [Int32?] = [], cycle: [Int32?] = []

        mutating func append(_ row: StoredSampleColumns.Row) {
            if firstSequence == nil { firstSequence = row.seq }
            count += 1
            let sample = Sample(stored: row)
            columns.unixTimeSeconds.append(sample.unixTimeSeconds)
            columns.testTimeSeconds.append(sample.testTimeSeconds)
            columns.voltageVolts.append(sample.voltageVolts)
            columns.currentAmperes.append(sample.currentAmperes)
            columns.stepType.append(sample.stepType)
            capacity.append(row.capacityAmpHours)
            energy.append(row.energyWattHours)
            temperature.append(row.temperatureCelsius)
            step.append(row.stepIndex)
            cycle.append(row.cycleIndex)
        }

        func run() -> Run {
            var columns = self.columns
            func measured(_ values: [Double?]) -> [Double] {
                values.contains { $0 != nil } ? values.map { $0 ?? .nan } : []
            }
            func counted(_ values: [Int32?]) -> [Int32] {
                values.allSatisfy { $0 != nil } ? values.map { $0! } : []
            }
            columns.capacityAmpHours = measured(capacity)
            columns.energyWattHours = measured(energy)
            columns.temperatureCelsius = measured(temperature)
            columns.stepIndex = counted(step)
            columns.cycleIndex = counted(cycle)
            return Run(firstSequence: firstSequence ?? 0, columns: columns)
        }
    }
}
