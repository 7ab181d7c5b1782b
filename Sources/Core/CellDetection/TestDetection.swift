import CellModel
import Foundation

/// What live detection of one test decided for the shell to persist or do, in the order it
/// happened. Each is derived deterministically from the samples in sequence order, so a replay
/// from a checkpoint yields the same decisions with the same keys.
public enum DetectionDecision: Sendable, Hashable {
    /// A new alert. `key` is its natural key within the test: a replayed alert has the same one.
    case raise(Alert, key: AlertKey)
    /// An episode opened or ended (`AlertEpisode`): a warn episode's end resolves its alert.
    case episode(AlertEpisode)
    /// A cycle's summary, once, when the cycle is complete.
    case cycleCompleted(CycleSummary)
    /// The cell type has just been inferred: feed the samples from `fromSequence` through
    /// `throughSequence` (already seen) again, from storage, before any later one.
    case replay(fromSequence: Int64, throughSequence: Int64)
}

/// An alert's natural key within its test: its rule, its Q1 kind, and the sequence number of the
/// sample whose ingestion raised it.
public struct AlertKey: Sendable, Hashable, Codable {
    public var rule: DetectionRule
    public var kind: String?
    public var sequence: Int64
}

/// Live detection of one test, the pure core of the coordinator's detection seam: committed
/// samples in, decisions out, and a checkpoint (state plus the last sequence number it covers)
/// from which another coordinator continues.
///
/// A test whose cell type is not given is first watched by the same `CellTypeInference` that
/// `detect` runs over a file's first cycles; when it settles, the detector is made for the
/// guessed type and asks for the samples seen so far to be replayed (`.replay`), so live and
/// offline detection judge the same cell the same way.
public struct TestDetection: Codable, Sendable {
    enum Phase: Codable, Sendable {
        case inferring(CellTypeInference, firstSequence: Int64?)
        /// `replayThrough`: samples up to it are the replay the shell was asked for.
        case detecting(CellDetector, replayThrough: Int64?)
    }

    var phase: Phase
    let cell: CellMetadata
    let thresholds: DetectorThresholds
    let voltageClampVolts: Double?
    let cellTypeKnown: Bool
    /// The highest sequence number the state covers (nil before the first sample).
    public private(set) var coveredSequence: Int64?

    /// `cellTypeKnown`: false when the test's metadata named no type (`cell.cellType` is ignored).
    public init(cell: CellMetadata, cellTypeKnown: Bool, thresholds: DetectorThresholds = .defaults, voltageClampVolts: Double? = nil) {
        self.cell = cell
        self.thresholds = thresholds
        self.voltageClampVolts = voltageClampVolts
        self.cellTypeKnown = cellTypeKnown
        // A half cell without its working electrode or voltage limits takes the electrode from
        // the inference too, as `detect` does.
        phase = CellTypeInference.isNeeded(for: cell, cellTypeKnown: cellTypeKnown)
            ? .inferring(CellTypeInference(), firstSequence: nil)
            : .detecting(Self.detector(for: cell, thresholds: thresholds, voltageClampVolts: voltageClampVolts), replayThrough: nil)
    }

    func inferredCell(_ guess: CellTypeGuess) -> CellMetadata {
        CellTypeInference.resolve(cell, cellTypeKnown: cellTypeKnown, by: guess)
    }

    static func detector(for cell: CellMetadata, thresholds: DetectorThresholds, voltageClampVolts: Double?) -> CellDetector {
        var detector = CellDetector(cell: cell, thresholds: thresholds, voltageClampVolts: voltageClampVolts)
        detector.collectsSummaries = true
        detector.collectsEpisodes = true
        return detector
    }

    /// The cell as the detector judges it, once its type is known.
    public var judgedCell: CellMetadata? {
        if case .detecting(let detector, _) = phase { return detector.cell }
        return nil
    }

    /// Feeds one committed sample. Sequence numbers must increase, except during a requested
    /// replay, which feeds the samples again from its first; anything else at or below
    /// `coveredSequence` is a duplicate and ignored.
    public mutating func ingest(_ sample: Sample, sequence: Int64, into decisions: inout [DetectionDecision]) {
        switch phase {
        case .inferring(var inference, let first):
            guard coveredSequence.map({ sequence > $0 }) ?? true else { return }
            coveredSequence = sequence
            inference.observe(voltageVolts: sample.voltageVolts, currentAmperes: sample.currentAmperes)
            let firstSequence = first ?? sequence
            guard inference.isSettled else {
                phase = .inferring(inference, firstSequence: firstSequence)
                return
            }
            phase = .detecting(Self.detector(for: inferredCell(inference.guess), thresholds: thresholds, voltageClampVolts: voltageClampVolts), replayThrough: sequence)
            decisions.append(.replay(fromSequence: firstSequence, throughSequence: sequence))
        case .detecting(var detector, let replayThrough):
            if let replayThrough, sequence <= replayThrough {
                // The requested replay, in order; its last sample ends it.
                feed(&detector, sample, sequence: sequence, into: &decisions)
                phase = .detecting(detector, replayThrough: sequence == replayThrough ? nil : replayThrough)
                return
            }
            guard coveredSequence.map({ sequence > $0 }) ?? true else { return }
            coveredSequence = sequence
            feed(&detector, sample, sequence: sequence, into: &decisions)
            phase = .detecting(detector, replayThrough: replayThrough)
        }
    }

    /// Feeds committed samples `columns[start...]` (sequence numbers from `firstSequence` for
    /// index 0) and returns the index of the first sample not fed: `columns.count`, or the one
    /// after a sample that made the inference settle — then the decisions end with `.replay`:
    /// feed that replay, then call again from the index returned. The detector is taken out of
    /// its phase once per call, not once per sample (it is a few kilobytes).
    public mutating func ingest(_ columns: SampleColumns, firstSequence: Int64, from start: Int = 0,
                                into decisions: inout [DetectionDecision]) -> Int {
        var index = start
        while index < columns.count, case .inferring = phase {
            ingest(columns[index], sequence: firstSequence + Int64(index), into: &decisions)
            index += 1
            if case .replay = decisions.last { return index }
        }
        guard index < columns.count, case .detecting(var detector, var replayThrough) = phase else { return index }
        // Not left holding a second copy of the detector while it is mutated.
        phase = .inferring(CellTypeInference(), firstSequence: nil)
        var alerts: [Alert] = []
        while index < columns.count {
            let sequence = firstSequence + Int64(index)
            defer { index += 1 }
            if let through = replayThrough, sequence <= through {
                if sequence == through { replayThrough = nil }
            } else {
                guard coveredSequence.map({ sequence > $0 }) ?? true else { continue }
                coveredSequence = sequence
            }
            detector.ingest(columns[index], into: &alerts)
            if !alerts.isEmpty || !detector.collectedEpisodes.isEmpty || !detector.collectedCycles.isEmpty {
                collect(&detector, alerts, sequence: sequence, into: &decisions)
                alerts.removeAll(keepingCapacity: true)
            }
        }
        detector.collectedSteps.removeAll(keepingCapacity: true)
        phase = .detecting(detector, replayThrough: replayThrough)
        return index
    }

    /// The test ended: the detector finishes exactly as `detect` does at the end of a file. A test
    /// that never settled its type is inferred from what it had and asks for its replay: feed it,
    /// then call `finish` again. Nothing is finished while a replay is owed.
    public mutating func finish(into decisions: inout [DetectionDecision]) {
        guard !awaitsReplay else { return }
        switch phase {
        case .inferring(let inference, let first):
            guard let first, let last = coveredSequence else { return }
            phase = .detecting(Self.detector(for: inferredCell(inference.guess), thresholds: thresholds, voltageClampVolts: voltageClampVolts), replayThrough: last)
            decisions.append(.replay(fromSequence: first, throughSequence: last))
        case .detecting(var detector, _):
            var alerts: [Alert] = []
            detector.finish(into: &alerts)
            collect(&detector, alerts, sequence: coveredSequence ?? 0, into: &decisions)
            phase = .detecting(detector, replayThrough: nil)
        }
    }

    /// Whether a requested replay is still owed before `finish` can complete.
    public var awaitsReplay: Bool {
        if case .detecting(_, let replayThrough) = phase { return replayThrough != nil }
        return false
    }

    private func feed(_ detector: inout CellDetector, _ sample: Sample, sequence: Int64, into decisions: inout [DetectionDecision]) {
        var alerts: [Alert] = []
        detector.ingest(sample, into: &alerts)
        collect(&detector, alerts, sequence: sequence, into: &decisions)
    }

    private func collect(_ detector: inout CellDetector, _ alerts: [Alert], sequence: Int64, into decisions: inout [DetectionDecision]) {
        let episodes = detector.drainEpisodes()
        let summaries = detector.drainSummaries()
        for alert in alerts {
            decisions.append(.raise(alert, key: AlertKey(rule: alert.rule, kind: alert.kind, sequence: sequence)))
        }
        for episode in episodes { decisions.append(.episode(episode)) }
        for cycle in summaries.cycles { decisions.append(.cycleCompleted(cycle)) }
    }

    // MARK: checkpoints

    /// State plus the sequence number it covers, for the database; NaN and infinities kept.
    public func checkpoint() throws -> Data {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(Checkpoint(version: Checkpoint.currentVersion, detection: self))
    }

    /// The checkpoint format this detector writes and reads (stored beside the state).
    public static var checkpointFormatVersion: Int { Checkpoint.currentVersion }

    public init(checkpoint data: Data) throws {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let checkpoint = try decoder.decode(Checkpoint.self, from: data)
        guard checkpoint.version == Checkpoint.currentVersion else { throw CheckpointError.unsupportedVersion(checkpoint.version) }
        self = checkpoint.detection
    }

    /// A checkpoint names the detector's version: a newer detector replays the test from its
    /// start rather than misread an older state.
    struct Checkpoint: Codable {
        static let currentVersion = 1
        var version: Int
        var detection: TestDetection
    }

    public enum CheckpointError: Error, Equatable, CustomStringConvertible {
        case unsupportedVersion(Int)

        public var description: String {
            switch self {
            case .unsupportedVersion(let version):
                "detector checkpoint of version \(version), this detector reads \(Checkpoint.currentVersion): replay the test from its first sample"
            }
        }
    }
}
