import CellModel
import Foundation
import Logging
import PostgresNIO

/// A test's samples read back from `samples` for live detection's replays, as the columns the
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
        let rows = try await connection.query("""
            SELECT seq, unix_time_s, test_time_s, voltage_v, current_a, capacity_ah, energy_wh, temperature_c,
                   step_index, step_type, cycle_index
            FROM samples WHERE test_id = \(testID) AND seq BETWEEN \(from) AND \(through) ORDER BY seq
            """, logger: logger)
        var runs: [Run] = []
        var builder = RunBuilder()
        for try await (seq, unix, time, voltage, current, capacity, energy, temperature, step, stepType, cycle) in rows.decode(
            (Int64, Double?, Double?, Double?, Double?, Double?, Double?, Double?, Int32?, Int16?, Int32?).self) {
            if let first = builder.firstSequence, seq != first + Int64(builder.count) {
                runs.append(builder.run())
                builder = RunBuilder()
            }
            builder.append(seq: seq, unix: unix, time: time, voltage: voltage, current: current, capacity: capacity, energy: energy,
                           temperature: temperature, step: step, stepType: stepType, cycle: cycle)
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

        mutating func append(seq: Int64, unix: Double?, time: Double?, voltage: Double?, current: Double?, capacity: Double?, energy: Double?,
                             temperature: Double?, step: Int32?, stepType: Int16?, cycle: Int32?) {
            if firstSequence == nil { firstSequence = seq }
            count += 1
            columns.unixTimeSeconds.append(unix ?? .nan)
            columns.testTimeSeconds.append(time ?? .nan)
            columns.voltageVolts.append(voltage ?? .nan)
            columns.currentAmperes.append(current ?? .nan)
            columns.stepType.append(stepType.flatMap { StepType(rawValue: Int32($0)) } ?? (stepType == nil ? .unknown : .other))
            self.capacity.append(capacity)
            self.energy.append(energy)
            self.temperature.append(temperature)
            self.step.append(step)
            self.cycle.append(cycle)
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
