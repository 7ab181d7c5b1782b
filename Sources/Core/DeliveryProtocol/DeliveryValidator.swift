import Foundation
import WireProtocol

/// Checks a delivery's shape before it reaches the database, so one malformed message can be
/// refused alone instead of failing a transaction shared with other agents.
public enum DeliveryValidator {
    public static let maximumBatchSamples = 1_000_000

    /// Why the batch cannot be stored, or nil if its shape is fine.
    public static func validate(_ batch: Cellfleet_Wire_V1_SampleBatch) -> String? {
        let n = batch.testTimeS.count
        guard n > 0 else { return "a sample batch with no samples" }
        guard n <= maximumBatchSamples else { return "a sample batch of \(n) samples exceeds \(maximumBatchSamples)" }
        guard batch.firstSeq >= 1 else { return "sequence numbers start at 1" }
        guard batch.firstSeq <= UInt64(Int64.max) - UInt64(n) else { return "sequence number out of range" }
        let required: [(String, Int)] = [("unix_time_s", batch.unixTimeS.count), ("voltage_v", batch.voltageV.count), ("current_a", batch.currentA.count)]
        for (name, count) in required where count != n {
            return "column \(name) has \(count) values for \(n) samples"
        }
        let optional: [(String, Int)] = [
            ("capacity_ah", batch.capacityAh.count), ("energy_wh", batch.energyWh.count),
            ("temperature_c", batch.temperatureC.count), ("step_index", batch.stepIndex.count),
            ("step_type", batch.stepType.count), ("cycle_index", batch.cycleIndex.count),
        ]
        for (name, count) in optional where count != 0 && count != n {
            return "optional column \(name) has \(count) values for \(n) samples (must be 0 or \(n))"
        }
        return nil
    }

    /// Why the source quarantine cannot be recorded, or nil if its shape is fine. Its file is
    /// what the alert is about, so it must be named; a test id, when given, is a UUID. Its agent
    /// id is checked against the connection by the planner, as a test start's is.
    public static func validate(_ quarantine: Cellfleet_Wire_V1_SourceQuarantined) -> String? {
        guard !quarantine.file.isEmpty else { return "a source quarantine that names no file" }
        guard quarantine.testID.isEmpty || UUID(uuidString: quarantine.testID) != nil else {
            return "a source quarantine whose test id '\(quarantine.testID)' is not a UUID (leave it empty when the file has no test)"
        }
        return nil
    }
}
