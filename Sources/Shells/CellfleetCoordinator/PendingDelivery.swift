import Foundation
import WireProtocol

/// A delivery (test start, sample batch or test end) received and validated, waiting for the
/// writer's next transaction.
struct PendingDelivery: Sendable {
    enum Body: Sendable {
        case start(Cellfleet_Wire_V1_TestStart)
        case batch(Cellfleet_Wire_V1_SampleBatch)
        case end(Cellfleet_Wire_V1_TestEnd)
    }

    var routingID: [UInt8]
    /// The identity of the connection it came from (the ZAP user id once CURVE is on; the
    /// DEALER's routing id until then).
    var agentID: String
    var deliveryID: UInt64
    var testID: UUID
    var body: Body

    var sampleCount: Int {
        if case .batch(let batch) = body { return batch.testTimeS.count }
        return 0
    }
}

/// What became of a delivery; sent back to its agent after the transaction.
enum DeliveryOutcome: Sendable {
    case committed
    case refused(Cellfleet_Wire_V1_ErrorCode, String, expectedSequence: UInt64 = 0)
}

/// Checks a delivery's shape before it reaches the database, so one malformed message can be
/// refused alone instead of failing a transaction shared with other agents.
enum DeliveryValidator {
    static let maximumBatchSamples = 1_000_000

    static func validate(_ batch: Cellfleet_Wire_V1_SampleBatch) -> String? {
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
}
