import Foundation
import WireProtocol

/// A delivery (test start, sample batch, test end or source quarantine) as the coordinator
/// received it: read, shape-checked, and tagged with the identity of the connection it came
/// from. It is what the group-commit queue holds and the ingest planner decides on.
public struct IngestDelivery: Sendable, Equatable {
    public enum Body: Sendable, Equatable {
        case start(Cellfleet_Wire_V1_TestStart)
        case batch(Cellfleet_Wire_V1_SampleBatch)
        case end(Cellfleet_Wire_V1_TestEnd)
        /// An agent stopped following a source file: recorded, and told to people as F4.
        case quarantine(Cellfleet_Wire_V1_SourceQuarantined)
    }

    /// The identity of the connection it came from (the ZAP user id once CURVE is on; the
    /// DEALER's routing id until then) — never what the message claims about itself.
    public var agentID: String
    public var deliveryID: UInt64
    /// The test whose high-water mark a start, batch or end is decided against; nil for a source
    /// quarantine, which names its test (if any) only for people and moves no mark.
    public var testID: UUID?
    public var body: Body

    public init(agentID: String, deliveryID: UInt64, testID: UUID?, body: Body) {
        self.agentID = agentID
        self.deliveryID = deliveryID
        self.testID = testID
        self.body = body
    }

    /// Rows this delivery may add to `samples` (a start, an end or a quarantine adds none).
    public var sampleCount: Int {
        if case .batch(let batch) = body { return batch.testTimeS.count }
        return 0
    }

    /// The same delivery restricted to the batch rows `range` (sequence numbers from
    /// `firstSeq + range.lowerBound`): one part of a batch too large for a group commit.
    /// Any other delivery is returned as it is.
    public func rows(_ range: Range<Int>) -> IngestDelivery {
        guard case .batch(let batch) = body else { return self }
        func slice<T>(_ column: [T]) -> [T] { column.isEmpty ? [] : Array(column[range]) }
        var part = Cellfleet_Wire_V1_SampleBatch()
        part.deliveryID = batch.deliveryID
        part.testID = batch.testID
        part.firstSeq = batch.firstSeq + UInt64(range.lowerBound)
        part.unixTimeS = slice(batch.unixTimeS)
        part.testTimeS = slice(batch.testTimeS)
        part.voltageV = slice(batch.voltageV)
        part.currentA = slice(batch.currentA)
        part.capacityAh = slice(batch.capacityAh)
        part.energyWh = slice(batch.energyWh)
        part.temperatureC = slice(batch.temperatureC)
        part.stepIndex = slice(batch.stepIndex)
        part.stepType = slice(batch.stepType)
        part.cycleIndex = slice(batch.cycleIndex)
        // A declared loss precedes the batch's first sample: only the first part carries it.
        if range.lowerBound == 0 {
            part.lostFromSeq = batch.lostFromSeq
            part.lostReason = batch.lostReason
        }
        return IngestDelivery(agentID: agentID, deliveryID: deliveryID, testID: testID, body: .batch(part))
    }
}
