import Foundation
import WireProtocol

/// The committed high-water mark of one test and the agent it belongs to, as locked (`FOR
/// UPDATE`) in the transaction that is about to store more of its samples.
public struct TestMark: Sendable, Equatable {
    /// The last sequence number stored; 0 before the first sample.
    public var committedSequence: Int64
    public var ownerAgentID: String

    public init(committedSequence: Int64, ownerAgentID: String) {
        self.committedSequence = committedSequence
        self.ownerAgentID = ownerAgentID
    }
}

/// Decides a group commit: which test starts to record, then — once the marks of every test
/// the group touches are locked — what becomes of each delivery, which rows to copy, and where
/// each test's mark ends up. Pure, so the rules that make re-delivery idempotent are tested
/// without a database; `IngestTransaction` only carries the plan out.
///
/// The rules (docs/delivery.md):
/// - a test start is recorded only for the agent that sends it; one naming another agent is
///   `NOT_YOUR_TEST`, as is anything for a test another agent started;
/// - a batch or end for a test never started is `UNKNOWN_TEST`;
/// - a source quarantine is recorded only for the agent that sends it (one naming another agent
///   is `NOT_YOUR_TEST`); it touches no test's mark, so nothing else refuses it;
/// - a batch beginning beyond mark + 1 is a `SEQUENCE_GAP` (the reply says where to resume);
/// - a batch at or below the mark is acknowledged and its already-stored prefix skipped, however
///   it is re-batched, so each `(test, seq)` is stored once;
/// - deliveries are decided in order, so a later one in the group builds on an earlier one's
///   new mark.
public struct IngestPlanner: Sendable {
    public let deliveries: [IngestDelivery]
    /// Outcomes known before the database is asked (test starts on behalf of another agent).
    private var early: [IngestOutcome?]

    public init(deliveries: [IngestDelivery]) {
        self.deliveries = deliveries
        early = deliveries.map { delivery in
            switch delivery.body {
            case .start(let start) where start.agentID != delivery.agentID:
                return .refused(.notYourTest, "a test start for agent '\(start.agentID)' sent by agent '\(delivery.agentID)'")
            case .quarantine(let quarantine) where quarantine.agentID != delivery.agentID:
                return .refused(.notYourTest, "a source quarantine for agent '\(quarantine.agentID)' sent by agent '\(delivery.agentID)'")
            default:
                return nil
            }
        }
    }

    /// The test starts to insert (idempotently) before the marks are locked, by index into
    /// `deliveries`. Inserting first means the lock then sees the test's real owner even when
    /// another coordinator started it a moment ago.
    public var startsToRecord: [Int] {
        deliveries.indices.filter { index in
            if case .start = deliveries[index].body { return early[index] == nil }
            return false
        }
    }

    /// Every test the group touches, in the one order all coordinators lock them in (so two
    /// coordinators' transactions cannot deadlock).
    public var testsToLock: [UUID] {
        Array(Set(deliveries.compactMap(\.testID))).sorted { $0.uuidString < $1.uuidString }
    }

    /// The plan, given the marks locked for `testsToLock` (a test without a mark was never
    /// started).
    public func plan(marks: [UUID: TestMark]) -> IngestPlan {
        var plan = IngestPlan(outcomes: early.map { $0 ?? .committed })
        var committed = marks.mapValues(\.committedSequence)
        for (index, delivery) in deliveries.enumerated() where early[index] == nil {
            if case .quarantine = delivery.body {
                plan.quarantinesToRecord.append(index)
                continue
            }
            guard let testID = delivery.testID else {
                plan.outcomes[index] = .refused(.malformed, "a test delivery that names no test")
                continue
            }
            let test = testID.uuidString.lowercased()
            guard let mark = committed[testID], let owner = marks[testID]?.ownerAgentID else {
                plan.outcomes[index] = .refused(.unknownTest, "test \(test) has not been started")
                continue
            }
            guard owner == delivery.agentID else {
                plan.outcomes[index] = .refused(.notYourTest, "test \(test) belongs to another agent")
                continue
            }
            switch delivery.body {
            case .start, .quarantine:
                break
            case .end:
                plan.endsToRecord.append(index)
            case .batch(let batch):
                let first = Int64(batch.firstSeq)
                let count = batch.testTimeS.count
                if first > mark + 1 {
                    plan.outcomes[index] = .refused(
                        .sequenceGap, "batch starts at \(first) but \(mark + 1) is next", expectedSequence: UInt64(mark + 1))
                    continue
                }
                let skip = Int(min(Int64(count), mark - first + 1))
                plan.samplesDuplicate += skip
                if skip < count {
                    plan.rows.append(IngestPlan.Rows(delivery: index, testID: testID, skip: skip, count: count - skip,
                                                     firstSequence: first + Int64(skip)))
                    plan.samplesCommitted += count - skip
                    committed[testID] = first + Int64(count) - 1
                }
            }
        }
        plan.advancedMarks = committed.filter { marks[$0.key]?.committedSequence != $0.value }
        return plan
    }
}

/// What one group commit does, decided before any row is written.
public struct IngestPlan: Sendable, Equatable {
    /// New rows of one batch: its rows `skip..<skip+count`, sequence numbers from `firstSequence`.
    public struct Rows: Sendable, Equatable {
        /// Index into the planned deliveries.
        public var delivery: Int
        public var testID: UUID
        /// Rows at the batch's start already stored (a re-delivery).
        public var skip: Int
        public var count: Int
        public var firstSequence: Int64

        public init(delivery: Int, testID: UUID, skip: Int, count: Int, firstSequence: Int64) {
            self.delivery = delivery
            self.testID = testID
            self.skip = skip
            self.count = count
            self.firstSequence = firstSequence
        }

        public var lastSequence: Int64 { firstSequence + Int64(count) - 1 }
    }

    /// One per delivery, in the order planned.
    public var outcomes: [IngestOutcome]
    /// In sequence order within each test; tests interleave as their deliveries did.
    public var rows: [Rows] = []
    /// The tests whose mark moves, and where to.
    public var advancedMarks: [UUID: Int64] = [:]
    /// Test ends to record (committed ones only), by index into the planned deliveries.
    public var endsToRecord: [Int] = []
    /// Source quarantines to record (committed ones only), by index into the planned deliveries.
    public var quarantinesToRecord: [Int] = []
    public var samplesCommitted = 0
    /// Samples received again at or below the mark, acknowledged and not stored again.
    public var samplesDuplicate = 0

    public init(outcomes: [IngestOutcome]) {
        self.outcomes = outcomes
    }

    /// The new rows per test, each test's in sequence order (contiguous: every one starts where
    /// the one before it ended); tests in the order they first appear in the group.
    public var rowsByTest: [(testID: UUID, rows: [Rows])] {
        var order: [UUID] = []
        var byTest: [UUID: [Rows]] = [:]
        for entry in rows {
            if byTest[entry.testID] == nil { order.append(entry.testID) }
            byTest[entry.testID, default: []].append(entry)
        }
        return order.map { ($0, byTest[$0, default: []]) }
    }
}
