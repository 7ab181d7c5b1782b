import CellModel
import DeliveryProtocol
import Foundation
import Logging
import PostgresNIO
import WireProtocol

/// Work that must commit or roll back together with the samples it is about: it runs inside
/// each group commit's transaction, after the rows are copied, and sees each test's newly
/// committed samples once, in sequence order. Live detection hooks in here, so the alerts and
/// summaries it writes can never disagree with the samples stored.
///
/// A stage is a value (its state is itself, like `CellDetector`). The coordinator hands each
/// transaction a copy and keeps the copy only if the transaction commits: after a rollback, a
/// failed COMMIT or a commit that timed out, the stage is as it was, and the re-sent samples
/// reach it again.
public protocol CommitStage: Sendable {
    /// Called once per test that gains samples in this transaction, in the order the tests first
    /// appear in the group. Throwing rolls the whole transaction back (nothing is acknowledged;
    /// the agents re-send).
    mutating func stage(_ samples: CommittedSamples, in transaction: PostgresConnection, logger: Logger) async throws

    /// Called once per test end recorded in this transaction, after every test's samples.
    /// `lastSequence` is the last sequence number the agent says the test has (its samples may
    /// still be on their way); `committedSequence` is the test's high-water mark as this
    /// transaction leaves it (its locked mark, advanced by the rows just copied).
    mutating func ended(_ testID: UUID, lastSequence: Int64, committedSequence: Int64, in transaction: PostgresConnection, logger: Logger) async throws

    /// The transaction this copy staged in has committed: the copy is now the coordinator's.
    mutating func didCommit()
}

extension CommitStage {
    public mutating func ended(_ testID: UUID, lastSequence: Int64, committedSequence: Int64, in transaction: PostgresConnection, logger: Logger) async throws {}
    public mutating func didCommit() {}
}

/// One test's samples committed by one transaction: consecutive sequence numbers from
/// `firstSequence`, never any stored before.
public struct CommittedSamples: Sendable, Equatable {
    public var testID: UUID
    public var agentID: String
    public var firstSequence: Int64
    /// An optional column is present only if every batch contributing to it had it
    /// (`SampleColumns`' rule).
    public var columns: SampleColumns

    public init(testID: UUID, agentID: String, firstSequence: Int64, columns: SampleColumns) {
        self.testID = testID
        self.agentID = agentID
        self.firstSequence = firstSequence
        self.columns = columns
    }

    public var lastSequence: Int64 { firstSequence + Int64(columns.count) - 1 }
}

extension CommittedSamples {
    /// Gathers a test's new rows from the batches they come in, in plan order.
    init(testID: UUID, rows: [IngestPlan.Rows], deliveries: [IngestDelivery]) {
        var columns = SampleColumns()
        var keep = (capacity: true, energy: true, temperature: true, step: true, cycle: true)
        let batches: [(Cellfleet_Wire_V1_SampleBatch, Range<Int>)] = rows.compactMap { entry in
            guard case .batch(let batch) = deliveries[entry.delivery].body else { return nil }
            return (batch, entry.skip..<(entry.skip + entry.count))
        }
        for (batch, _) in batches {
            keep.capacity = keep.capacity && !batch.capacityAh.isEmpty
            keep.energy = keep.energy && !batch.energyWh.isEmpty
            keep.temperature = keep.temperature && !batch.temperatureC.isEmpty
            keep.step = keep.step && !batch.stepIndex.isEmpty
            keep.cycle = keep.cycle && !batch.cycleIndex.isEmpty
        }
        for (batch, range) in batches {
            columns.unixTimeSeconds += batch.unixTimeS[range]
            columns.testTimeSeconds += batch.testTimeS[range]
            columns.voltageVolts += batch.voltageV[range]
            columns.currentAmperes += batch.currentA[range]
            if keep.capacity { columns.capacityAmpHours += batch.capacityAh[range] }
            if keep.energy { columns.energyWattHours += batch.energyWh[range] }
            if keep.temperature { columns.temperatureCelsius += batch.temperatureC[range] }
            if keep.step { columns.stepIndex += batch.stepIndex[range] }
            if keep.cycle { columns.cycleIndex += batch.cycleIndex[range] }
            if batch.stepType.isEmpty {
                columns.stepType += repeatElement(StepType.unknown, count: range.count)
            } else {
                columns.stepType += batch.stepType[range].map(StepType.init)
            }
        }
        let agentID = rows.first.map { deliveries[$0.delivery].agentID } ?? ""
        self.init(testID: testID, agentID: agentID, firstSequence: rows.first?.firstSequence ?? 1, columns: columns)
    }
}
