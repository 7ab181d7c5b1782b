import CellModel
import CyclerReaders
import FileFollowing
import Foundation

/// Why reading a followed file did not go through: what the follow rules need to tell a file
/// being written (or a share's hiccup) from a bad one.
enum FileReadProblem: Error, CustomStringConvertible {
    case transient(String)
    case corrupt(String)

    var description: String {
        switch self {
        case .transient(let reason), .corrupt(let reason): reason
        }
    }

    var failure: FileFollowRules.ReadFailure {
        switch self {
        case .transient(let reason): .transient(reason)
        case .corrupt(let reason): .corrupt(reason)
        }
    }

    static let transientReasons = ["cannot open the file", "cannot seek to byte", "read failed:"]

    /// A reader's refusal is the content's fault; anything else (open, read, a lock) is the
    /// moment's, and is retried.
    static func classify(_ error: Error) -> FileReadProblem {
        if let problem = error as? FileReadProblem { return problem }
        if let refusal = error as? CyclerReadError {
            if refusal.reason == "no such file" { return .transient("the file disappeared while it was read") }
            // The readers' own I/O failures (a lock held by the vendor's software, a share gone
            // for a moment) say nothing about the content.
            if transientReasons.contains(where: { refusal.reason.hasPrefix($0) }) { return .transient(refusal.description) }
            return .corrupt(refusal.location.map { "\($0): \(refusal.reason)" } ?? refusal.reason)
        }
        return .transient("\(error)")
    }
}

/// An open read of one followed file, taken a batch at a time over the agent's rounds so that a
/// large file never holds up acknowledgements: from the saved point of an appended file, or from
/// the start of a rewritten one, whose records already sent are first checked unchanged.
struct FilePartCursor {
    enum Mode: Equatable {
        case newRecords(includeUnterminated: Bool)
        case reread
    }

    private(set) var reader: CyclerRecordReader
    /// The file as it was stat'ed before the read: what the rules are told was read.
    let observation: FileObservation
    let mode: Mode
    /// Records at the start still to be checked against the spooled prefix (a re-read).
    private var prefixToCheck: Int
    private var prefixSeen = RecordPrefixHash()
    private let expectedPrefix: RecordPrefixHash
    /// Added to the file's test times (a later part whose clock restarts); set once the part's
    /// first records show it is needed, and kept for the rest of the read.
    var testTimeOffsetSeconds: Double

    /// Records checked against the prefix per round at most (the check reads, sends nothing).
    static let prefixCheckBudget = 200_000

    init(part: FollowedPart, path: String, watch: WatchedFolder, library: ProfileLibrary, mode: Mode, observation: FileObservation) throws(FileReadProblem) {
        var options = CyclerFile.Options(profileName: watch.profile, timeZone: watch.timeZone)
        let resuming: CyclerResumeToken?
        switch mode {
        case .newRecords(let includeUnterminated):
            options.followGrowingFile = !includeUnterminated
            resuming = part.resume
        case .reread:
            options.followGrowingFile = false
            resuming = nil
        }
        options.resumeFrom = resuming?.text
        // Resumed mid-file, the file is read on by the profile that read its start: detecting it
        // again over every profile at each new record was most of the agent's CPU following
        // files at 1 Hz (`bench tail`). A profile inferred from the columns is not in the
        // library and is inferred again; a file whose header changed fails the forced profile
        // and is quarantined, as a changed format is when detected.
        if resuming != nil, options.profileName == nil, let known = part.profileName, library.profile(named: known) != nil {
            options.profileName = known
        }
        do {
            reader = try CyclerFile.open(path: path, library: library, options: options)
        } catch {
            throw FileReadProblem.classify(error)
        }
        if let resuming { reader.restore(resuming.state) }
        self.observation = observation
        self.mode = mode
        prefixToCheck = mode == .reread ? part.recordsSpooled : 0
        expectedPrefix = part.prefixHash
        testTimeOffsetSeconds = part.testTimeOffsetSeconds
        if case .newRecords = mode, resuming != nil, !reader.resumesMidFile {
            throw FileReadProblem.corrupt("it can no longer be resumed mid-file (its format changed)")
        }
    }

    /// Takes up to `limit` new records into `columns`, advancing `part` (records, prefix hash,
    /// resume point) as if they were spooled: the caller keeps `part` only once they are.
    /// Returns true when the file's end was reached.
    mutating func take(limit: Int, part: inout FollowedPart, into columns: inout SampleColumns) throws(FileReadProblem) -> Bool {
        do {
            if prefixToCheck > 0 {
                let budget = min(prefixToCheck, Self.prefixCheckBudget)
                var checked = 0
                let offset = testTimeOffsetSeconds
                let more = try reader.forEachRecord(limit: budget) { record in
                    var sample = record.sample
                    sample.testTimeSeconds += offset
                    prefixSeen.add(sample)
                    checked += 1
                }
                prefixToCheck -= checked
                if prefixToCheck > 0 {
                    if !more {
                        throw FileReadProblem.corrupt("it now holds \(part.recordsSpooled - prefixToCheck) records, fewer than the \(part.recordsSpooled) already sent")
                    }
                    return false
                }
                if prefixSeen != expectedPrefix {
                    throw FileReadProblem.corrupt("records already sent have changed (the first \(part.recordsSpooled) records differ from those sent)")
                }
            }
            let offset = testTimeOffsetSeconds
            var added = 0
            let more = try reader.forEachRecord(limit: limit) { record in
                var sample = record.sample
                sample.testTimeSeconds += offset
                columns.append(sample)
                part.prefixHash.add(sample)
                added += 1
            }
            part.recordsSpooled += added
            part.profileName = reader.profile.name
            part.resume = reader.resumesMidFile ? reader.resumeToken : nil
            return !more
        } catch let problem as FileReadProblem {
            throw problem
        } catch {
            throw FileReadProblem.classify(error)
        }
    }

    var metadata: [String: String] { reader.metadata }
    var profileName: String { reader.profile.name }
    var warnings: [String] { reader.warnings }
}
