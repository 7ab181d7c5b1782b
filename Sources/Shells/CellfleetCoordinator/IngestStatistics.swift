import Foundation
import Metrics

/// What the coordinator has done with what it received. Every bad input has a counter here, so
/// "logged and counted" is checkable; the same numbers go to swift-metrics (Prometheus) as
/// `cellfleet_ingest_*_total` counters (docs/metrics.md; samples committed as exactly
/// `cellfleet_ingest_samples_total`).
public struct IngestCounts: Sendable, Equatable {
    public var messagesReceived = 0
    public var deliveriesCommitted = 0
    public var samplesCommitted = 0
    /// Bytes of the deliveries held for commit, as serialized on the wire.
    public var bytesReceived = 0
    /// Samples received again at or below the committed high-water mark, and not stored again.
    public var samplesDuplicate = 0
    public var transactions = 0
    public var malformedMessages = 0
    public var unsupportedProtocolVersion = 0
    public var sequenceGaps = 0
    public var unknownTests = 0
    public var notYourTest = 0
    /// NaN or infinite measurements, stored as NULL.
    public var nonFiniteValues = 0
    public var commitFailures = 0
    /// Deliveries refused UNSTORABLE: the database refused them on their own, for good.
    public var unstorableDeliveries = 0
    /// Samples agents declared lost (holes recorded in `sample_losses`).
    public var samplesLost = 0
    public var repliesUndeliverable = 0
    public var hellos = 0
    /// Hellos answered by a registration of the same agent already in progress or waiting.
    public var hellosCoalesced = 0
    /// Hellos not kept because too many agents were waiting to be registered.
    public var hellosDropped = 0
    /// Deliveries refused with CREDIT_EXCEEDED: beyond the agent's credit, or its share of
    /// samples or bytes.
    public var creditExceeded = 0
    /// Re-sent copies of deliveries still held, answered by the held one's outcome.
    public var deliveriesCoalesced = 0
    /// Times the coordinator stopped reading its socket because everything it may hold was held.
    public var readPauses = 0
    /// Where the writer's time goes (seconds, summed): encoding rows as COPY text, the COPY itself,
    /// the other statements (test starts, high-water locks and updates), and COMMIT.
    public var encodeSeconds = 0.0
    public var copySeconds = 0.0
    public var statementSeconds = 0.0
    public var commitSeconds = 0.0
}

public final class IngestStatistics: Sendable {
    private let state = LockedCounts()

    public init() {}

    public var snapshot: IngestCounts { state.read() }

    func recordTime(_ keyPath: WritableKeyPath<IngestCounts, Double>, _ seconds: Double) {
        state.modify { $0[keyPath: keyPath] += seconds }
    }

    func record(_ keyPath: WritableKeyPath<IngestCounts, Int>, _ amount: Int = 1, metric: String) {
        guard amount != 0 else { return }
        state.modify { $0[keyPath: keyPath] += amount }
        Counter(label: "cellfleet_ingest_\(metric)_total").increment(by: Int64(amount))
    }
}

final class LockedCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var counts = IngestCounts()
    func read() -> IngestCounts { lock.lock(); defer { lock.unlock() }; return counts }
    func modify(_ body: (inout IngestCounts) -> Void) { lock.lock(); body(&counts); lock.unlock() }
}
