import CellModel
import CyclerReaders
import FileFollowing
import Foundation

/// One test fed by files: a single export file, or the parts of one experiment the vendor split
/// over several (`ExperimentPart`). Kept in `channels.json` beside the spool, so that a
/// restarted agent continues each file where its spooled samples end.
struct FollowedExperiment: Codable {
    /// The watched folder (absolute) and the experiment's key within it (relative directory +
    /// `ExperimentPart.experimentKey`): what the registry knows the experiment by.
    var watchDirectory: String
    var experimentKey: String
    var channelID: String
    /// Minted from the first part's first record (`SourceTestIdentity`); nil until it has one.
    var testID: String?
    /// That first record's fingerprint: a file moved across file systems (a new inode) is
    /// recognised by it once its old path is gone.
    var fingerprint: String?
    /// Ordered by part number; only the last one can still grow.
    var parts: [FollowedPart]
    /// Samples spooled for the test (its next sample is numbered `samplesSpooled + 1`).
    var samplesSpooled: UInt64 = 0
    /// The test time of the last sample spooled, where a later part's clock restarts.
    var lastTestTimeSeconds: Double?
    var ended = false

    var registryKey: String { Self.registryKey(watchDirectory: watchDirectory, experimentKey: experimentKey) }

    static func registryKey(watchDirectory: String, experimentKey: String) -> String { "\(watchDirectory)\n\(experimentKey)" }
}

/// One file of a followed experiment and how far it has been sent.
struct FollowedPart: Codable {
    var relativePath: String
    var partNumber: Int
    var rules: FileFollowRules
    /// Records of this file spooled (the first `recordsSpooled` records of the file).
    var recordsSpooled: Int = 0
    /// The running hash of those records, to check a rewritten file's prefix.
    var prefixHash = RecordPrefixHash()
    /// Where the next record of an appended file starts (nil: read from the start).
    var resume: CyclerResumeToken?
    /// Set when the last read counted an unterminated last line (settled): the file must go on
    /// with a line break there, or that line was cut and has changed.
    var countedUnterminatedTailAt: Int64?
    /// Added to this file's test times so that a part whose clock restarts continues the test.
    var testTimeOffsetSeconds: Double = 0
    /// The profile the file was read with, once known (tests.attributes.profile).
    var profileName: String?
    var quarantineReason: String? {
        if case .quarantined(let reason, _) = rules.phase { return reason }
        return nil
    }
}

extension ChannelRegistry {
    /// Followed files' experiments, by `FollowedExperiment.registryKey`.
    ///
    /// Changed in place: with only a getter and a setter, each `followedExperiments[key] = …`
    /// copied the whole dictionary (the registry still held it), so a round over N followed
    /// files copied N² experiments — a tenth of the agent's CPU following 64 files (`bench tail`).
    var followedExperiments: [String: FollowedExperiment] {
        get { followed ?? [:] }
        _modify {
            var experiments = followed ?? [:]
            followed = nil
            defer { followed = experiments.isEmpty ? nil : experiments }
            yield &experiments
        }
    }
}
