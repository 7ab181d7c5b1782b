import CellDetection
import CellModel
import Foundation
import Logging
import PostgresNIO

/// Live detection on the ingest path: a `CommitStage` that feeds each test's newly committed
/// samples, in sequence order, to the test's `TestDetection` and writes what it decides — alerts,
/// episode ends, cycle summaries, checkpoints — in the same transaction as the samples
/// (docs/live-detection.md §1). Nothing it writes can disagree with the samples stored.
///
/// Its state lives in a `DetectionStore` shared by the copies; a transaction works on the tests
/// it touches (`touched`) and the coordinator hands them to the store only after COMMIT. A test
/// this coordinator has not seen, or whose state is behind the samples (another coordinator held
/// the agent meanwhile, or a commit timed out and committed anyway), is restored from its
/// checkpoint and the samples after it are replayed from `samples`: the core is deterministic,
/// so the replay derives the same rows with the same natural keys, and they land once.
public struct DetectionStage: CommitStage {
    private let store: DetectionStore
    private let policy: DetectionCheckpointPolicy
    public let statistics: DetectionStatistics
    private var touched: [UUID: LiveTestDetection] = [:]
    private var pendingCounts = DetectionCounts()

    public init(policy: DetectionCheckpointPolicy = DetectionCheckpointPolicy(), statistics: DetectionStatistics = DetectionStatistics()) {
        store = DetectionStore()
        self.policy = policy
        self.statistics = statistics
    }

    public mutating func stage(_ samples: CommittedSamples, in transaction: PostgresConnection, logger: Logger) async throws {
        let started = ContinuousClock.now
        var live = try await state(of: samples.testID, before: samples.firstSequence, in: transaction, logger: logger)
        var writer = DetectionWriter(test: live.context, connection: transaction, logger: logger)
        try await live.drive(samples.columns, firstSequence: samples.firstSequence, writer: &writer)
        try await finishIfEnded(&live, writer: &writer)
        try await checkpointIfDue(&live, writer: &writer)
        pendingCounts.add(writer.counts)
        pendingCounts.detectionSeconds += started.duration(to: .now).inSeconds
        touched[samples.testID] = live
    }

    public mutating func ended(_ testID: UUID, lastSequence: Int64, committedSequence: Int64, in transaction: PostgresConnection, logger: Logger) async throws {
        // A coordinator that takes the test over may see only its end: the samples committed
        // before (by another coordinator, or before a restart) are caught up first, or the test
        // would wait for samples that will never come again.
        var live = try await state(of: testID, before: min(lastSequence, committedSequence) + 1, in: transaction, logger: logger)
        guard !live.finished else { return }
        // Once every sample the test will ever have is committed, what detection covers is the
        // test's end, even short of `lastSequence`: samples declared lost never come.
        live.endSequence = committedSequence >= lastSequence ? min(lastSequence, max(live.coveredSequence, 0)) : lastSequence
        var writer = DetectionWriter(test: live.context, connection: transaction, logger: logger)
        try await finishIfEnded(&live, writer: &writer)
        try await checkpointIfDue(&live, writer: &writer)
        pendingCounts.add(writer.counts)
        touched[testID] = live
    }

    public mutating func didCommit() {
        store.keep(touched)
        statistics.add(pendingCounts)
        touched.removeAll()
        pendingCounts = DetectionCounts()
    }

    // MARK: restoring

    /// The test's state, caught up to just before `firstSequence` (when given): from this
    /// transaction, the store, or the database's checkpoint, whichever covers most, with the
    /// samples after it replayed.
    private mutating func state(of testID: UUID, before firstSequence: Int64?, in connection: PostgresConnection, logger: Logger) async throws -> LiveTestDetection {
        var live = touched[testID] ?? store.test(testID)
        let needed = firstSequence.map { $0 - 1 }
        if live == nil || (needed.map { live!.coveredSequence < $0 } ?? false) {
            let restored = try await LiveTestDetection.restore(testID, in: connection, logger: logger)
            if live == nil || restored.coveredSequence > live!.coveredSequence { live = restored }
        }
        guard var live else { throw DetectionStageError.unknownTest(testID) }
        if let needed, live.coveredSequence < needed {
            var writer = DetectionWriter(test: live.context, connection: connection, logger: logger)
            let from = live.coveredSequence + 1
            logger.info("replaying samples to catch live detection up", metadata: [
                "test": "\(testID.lowercased)", "from": "\(from)", "through": "\(needed)"])
            try await live.feedStored(from: from, through: needed, writer: &writer)
            pendingCounts.add(writer.counts)
        }
        return live
    }

    private func finishIfEnded(_ live: inout LiveTestDetection, writer: inout DetectionWriter) async throws {
        guard !live.finished, let end = live.endSequence, live.coveredSequence >= end else { return }
        try await live.finish(writer: &writer)
    }

    private func checkpointIfDue(_ live: inout LiveTestDetection, writer: inout DetectionWriter) async throws {
        guard live.finished || policy.isDue(coveredSequence: live.coveredSequence, checkpointed: live.checkpointedSequence,
                                             lastCheckpoint: live.lastCheckpointAt, now: Date()) else { return }
        try await writer.writeCheckpoint(live)
        live.checkpointedSequence = live.coveredSequence
        live.lastCheckpointAt = Date()
    }
}

enum DetectionStageError: Error, CustomStringConvertible {
    case unknownTest(UUID)

    var description: String {
        switch self {
        case .unknownTest(let id): "live detection: test \(id.lowercased) is not in the database"
        }
    }
}

/// When a test's detection state is written to `detector_checkpoints`: every so many samples or
/// so long, whichever comes first, and when the test is finished. It bounds what a coordinator
/// taking the test over replays.
public struct DetectionCheckpointPolicy: Sendable {
    public var everySamples: Int64 = 10_000
    public var everySeconds: Double = 900

    public init() {}

    func isDue(coveredSequence: Int64, checkpointed: Int64, lastCheckpoint: Date?, now: Date) -> Bool {
        guard coveredSequence > checkpointed else { return false }
        if coveredSequence - checkpointed >= everySamples { return true }
        guard let lastCheckpoint else { return true }
        return now.timeIntervalSince(lastCheckpoint) >= everySeconds
    }
}

extension UUID {
    /// Test ids are lowercase canonical UUIDs everywhere.
    var lowercased: String { uuidString.lowercased() }
}
