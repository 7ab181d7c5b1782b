import Foundation
import WireProtocol

/// The committed high-water mark of one test and the agent it belongs to, as locked (`FOR
/// UPDATE`) in the transaction that is about to store more of its samples.
public struct TestMark: Sendable, Equatable {
    /// The last sequence number stored; 0 before the first sample.
    public var committedSequence: Int64
    public var ownerAgentID: String
    /// When the test started (its `TestStart`), for the plausibility of its samples' times.
    public var startUnixTimeSeconds: Double?
    /// The last sequence number of a test that has ended (its `TestEnd` is recorded); nil while
    /// it runs. Nothing beyond it is stored.
    public var endedAtSequence: Int64?

    public init(committedSequence: Int64, ownerAgentID: String, startUnixTimeSeconds: Double? = nil, endedAtSequence: Int64? = nil) {
        self.committedSequence = committedSequence
        self.ownerAgentID = ownerAgentID
        self.startUnixTimeSeconds = startUnixTimeSeconds
        self.endedAtSequence = endedAtSequence
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
/// - a batch beginning beyond mark + 1 is a `SEQUENCE_GAP` (the reply says where to resume),
///   unless it declares the samples before it lost from mark + 1 or earlier (`lost_from_seq`):
///   then the samples it skips are recorded as a hole and the batch is stored after it;
/// - a batch whose new samples' times are not plausible for the test (before its start, or far
///   beyond both its start and the database's clock) is `MALFORMED`, naming the time: such rows
///   would land in partitions of days the test never saw;
/// - a test end must close the test where its samples end: beyond the mark it is a
///   `SEQUENCE_GAP` (or, declared lost, a hole up to its `last_seq`), below it `MALFORMED`; new
///   samples of a test that has ended are `MALFORMED`;
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

    /// Samples may be this much older than their test's start (clocks of cycler and agent
    /// disagree a little)…
    public static let plausibleBeforeStartSeconds = 86_400.0
    /// …and at most this much later than both the test's start and the database's clock.
    public static let plausibleAheadSeconds = 7 * 86_400.0

    /// The plan, given the marks locked for `testsToLock` (a test without a mark was never
    /// started) and the database's clock (seconds since the Unix epoch; nil: not checked).
    public func plan(marks: [UUID: TestMark], nowUnixTimeSeconds: Double? = nil) -> IngestPlan {
        var plan = IngestPlan(outcomes: early.map { $0 ?? .committed })
        var committed = marks.mapValues(\.committedSequence)
        var ended = marks.compactMapValues(\.endedAtSequence)
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
            case .end(let end):
                let last = Int64(clamping: end.lastSeq)
                if last > mark {
                    guard end.lostFromSeq != 0, Int64(clamping: end.lostFromSeq) <= mark + 1 else {
                        plan.outcomes[index] = .refused(
                            .sequenceGap, "test \(test) ends at sample \(last) but only \(mark) are stored", expectedSequence: UInt64(mark + 1))
                        continue
                    }
                    plan.losses.append(.init(delivery: index, testID: testID, firstSequence: mark + 1, lastSequence: last, reason: end.lostReason))
                    committed[testID] = last
                } else if last < mark {
                    plan.outcomes[index] = .refused(
                        .malformed, "test \(test) cannot end at sample \(last): \(mark) samples of it are stored (last_seq is the test's last sequence number)")
                    continue
                }
                ended[testID] = last
                plan.endsToRecord.append(index)
            case .batch(let batch):
                let first = Int64(batch.firstSeq)
                let count = batch.testTimeS.count
                var loss: IngestPlan.Loss?
                if first > mark + 1 {
                    guard batch.lostFromSeq != 0, Int64(clamping: batch.lostFromSeq) <= mark + 1 else {
                        plan.outcomes[index] = .refused(
                            .sequenceGap, "batch starts at \(first) but \(mark + 1) is next", expectedSequence: UInt64(mark + 1))
                        continue
                    }
                    loss = .init(delivery: index, testID: testID, firstSequence: mark + 1, lastSequence: first - 1, reason: batch.lostReason)
                }
                let base = loss.map { $0.lastSequence } ?? mark
                let skip = Int(min(Int64(count), base - first + 1))
                if skip < count {
                    if let end = ended[testID], first + Int64(count) - 1 > end {
                        plan.outcomes[index] = .refused(
                            .malformed, "test \(test) has ended at sample \(end); samples after its end are not stored")
                        continue
                    }
                    if let problem = Self.implausibleTime(batch, rows: skip..<count, mark: marks[testID], nowUnixTimeSeconds: nowUnixTimeSeconds) {
                        plan.outcomes[index] = .refused(.malformed, problem)
                        continue
                    }
                }
                if let loss {
                    plan.losses.append(loss)
                    committed[testID] = loss.lastSequence
                }
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

    /// Why the times of these rows cannot be the test's (a sentence naming the first such
    /// time), or nil. Infinite times never get here (`DeliveryValidator`); a NaN time is unknown
    /// and passes (it compares false).
    static func implausibleTime(_ batch: Cellfleet_Wire_V1_SampleBatch, rows: Range<Int>, mark: TestMark?, nowUnixTimeSeconds: Double?) -> String? {
        guard let start = mark?.startUnixTimeSeconds else { return nil }
        let earliest = start - plausibleBeforeStartSeconds
        let latest = max(start, nowUnixTimeSeconds ?? start) + plausibleAheadSeconds
        for row in rows {
            let time = batch.unixTimeS[row]
            if time < earliest || time > latest {
                let seq = batch.firstSeq + UInt64(row)
                return "sample \(seq) of test \(batch.testID) has unix_time_s \(time), outside what the test can hold "
                    + "(\(earliest) … \(latest): from a day before its start to a week after its start or now); "
                    + "is the cycler's or the agent's clock wrong?"
            }
        }
        return nil
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
    /// Holes the agents declared: samples the coordinator lacks and will never get.
    public var losses: [Loss] = []

    /// Samples `firstSequence…lastSequence` of a test, declared lost by the delivery at
    /// `delivery` (only the part the coordinator lacked: what it has is not lost).
    public struct Loss: Sendable, Equatable {
        public var delivery: Int
        public var testID: UUID
        public var firstSequence: Int64
        public var lastSequence: Int64
        public var reason: String

        public init(delivery: Int, testID: UUID, firstSequence: Int64, lastSequence: Int64, reason: String) {
            self.delivery = delivery
            self.testID = testID
            self.firstSequence = firstSequence
            self.lastSequence = lastSequence
            self.reason = reason
        }

        public var sampleCount: Int64 { lastSequence - firstSequence + 1 }
    }
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
