import Foundation
import Metrics

/// The committed live-detection state of the tests this coordinator holds. Shared by the copies
/// of a `DetectionStage`; only the coordinator's writer changes it, after a COMMIT, so a
/// transaction that rolls back leaves it as it was. A finished test is let go: its checkpoint
/// says it is finished, should its end be re-sent.
final class DetectionStore: @unchecked Sendable {
    private let lock = NSLock()
    private var tests: [UUID: LiveTestDetection] = [:]

    func test(_ id: UUID) -> LiveTestDetection? {
        lock.lock()
        defer { lock.unlock() }
        return tests[id]
    }

    func keep(_ changed: [UUID: LiveTestDetection]) {
        lock.lock()
        defer { lock.unlock() }
        for (id, live) in changed {
            tests[id] = live.finished ? nil : live
        }
    }
}

/// What live detection did, counted after COMMIT (`cellfleet_detection_*_total`).
public struct DetectionCounts: Sendable, Equatable {
    public var alertsRaised = 0
    /// Alerts derived again (a replay) and found stored: not stored twice.
    public var alertsAlreadyStored = 0
    public var episodesEnded = 0
    public var cyclesStored = 0
    public var checkpointsWritten = 0
    public var samplesReplayed = 0
    public var detectionSeconds = 0.0

    mutating func add(_ other: DetectionCounts) {
        alertsRaised += other.alertsRaised
        alertsAlreadyStored += other.alertsAlreadyStored
        episodesEnded += other.episodesEnded
        cyclesStored += other.cyclesStored
        checkpointsWritten += other.checkpointsWritten
        samplesReplayed += other.samplesReplayed
        detectionSeconds += other.detectionSeconds
    }
}

public final class DetectionStatistics: @unchecked Sendable {
    private let lock = NSLock()
    private var counts = DetectionCounts()

    public init() {}

    public var snapshot: DetectionCounts {
        lock.lock()
        defer { lock.unlock() }
        return counts
    }

    func add(_ other: DetectionCounts) {
        lock.lock()
        counts.add(other)
        lock.unlock()
        for (value, metric) in [(other.alertsRaised, "alerts_raised"), (other.alertsAlreadyStored, "alerts_already_stored"),
                                (other.cyclesStored, "cycles_stored"), (other.checkpointsWritten, "checkpoints_written"),
                                (other.samplesReplayed, "samples_replayed")] where value > 0 {
            Counter(label: "cellfleet_detection_\(metric)_total").increment(by: Int64(value))
        }
        // Detection runs inside the commit's transaction: its time there is how much later the
        // samples are committed, and their alerts raised, than without it.
        if other.detectionSeconds > 0 {
            Timer(label: "cellfleet_detection_lag_seconds").recordNanoseconds(Int64(other.detectionSeconds * 1e9))
        }
    }
}
