import AgentSpool
import CellModel
import CyclerReaders
import FileFollowing
import Foundation
import WireProtocol

/// What the agent keeps in memory about the files it follows; the durable part is in the
/// registry (`ChannelRegistry.followed`).
struct FollowingState {
    /// Open reads, by experiment (one part of an experiment is read at a time).
    var cursors: [String: (partIndex: Int, cursor: FilePartCursor)] = [:]
    /// Records to read and drop before sending more, by experiment: what an earlier run spooled
    /// after the state it stored.
    var pendingSkip: [String: UInt64] = [:]
    /// When each watch is next scanned (wall-clock Unix seconds).
    var nextScan: [Double] = []
    var lastScan: Double = 0
    var notifications = FolderNotifications()
    /// The last time any followed file changed or was read (for `--exit-when-idle`).
    var lastActivity: Double = Date().timeIntervalSince1970
    /// Files that cannot be followed at all (no channel from their name), with why.
    var unfollowable: [String: String] = [:]
    var registryDirty = false
    var lastRegistryStore: Double = 0
    /// Problems listing a folder, said once each until they go away.
    var folderProblems: [String: String] = [:]
    /// Whether the final reads (unterminated last lines, at `--exit-when-idle` or an import) are due.
    var finalReads = false
}

extension AgentRuntime {
    var isFollowingFiles: Bool { !configuration.watches.isEmpty }

    /// Whether this run follows `experiment`: its folder is watched (and, for an import, one of
    /// its files was named). The registry also remembers what earlier runs followed.
    func isInScope(_ experiment: FollowedExperiment) -> Bool {
        guard let watch = configuration.watches.first(where: { $0.directory.path == experiment.watchDirectory }) else { return false }
        guard let only = watch.onlyFiles else { return true }
        return experiment.parts.contains { only.contains($0.relativePath) }
    }

    /// A followed file is being read part-way and the spool has room for more.
    var hasReadsInProgress: Bool { !following.cursors.isEmpty && production == .producing }

    /// How often, at most, `channels.json` is rewritten while followed files grow. Every file
    /// that grew dirties it, and the whole registry is encoded each time: once a second that
    /// was a seventh of the agent's CPU following 64 files at 1 Hz (`bench tail`), for a
    /// restart that re-reads four seconds less.
    static let registryStoreIntervalSeconds = 5.0

    /// Continues the experiments the registry names where the spool stands.
    func setUpFollowing() {
        following.nextScan = Array(repeating: 0, count: configuration.watches.count)
        var experiments = registry.followedExperiments
        for (key, experiment) in experiments {
            guard let testID = experiment.testID, !experiment.ended else { continue }
            let spooled = spool.highestSequence(forTest: testID)
            if spooled > experiment.samplesSpooled {
                following.pendingSkip[key] = spooled - experiment.samplesSpooled
            } else if spooled < experiment.samplesSpooled {
                // The registry is ahead of the spool (it lost what it had not synced): start the
                // file over and skip what the spool does hold.
                logger.error("the spool holds fewer samples of a followed file than recorded; re-reading it", metadata: [
                    "test": "\(testID)", "spooled": "\(spooled)", "recorded": "\(experiment.samplesSpooled)"])
                var restarted = experiment
                restarted.samplesSpooled = 0
                restarted.lastTestTimeSeconds = nil
                restarted.parts = experiment.parts.map { part in
                    FollowedPart(relativePath: part.relativePath, partNumber: part.partNumber,
                                 rules: FileFollowRules(growth: part.rules.growth, timing: part.rules.timing, firstSeenUnixSeconds: Date().timeIntervalSince1970))
                }
                experiments[key] = restarted
                following.pendingSkip[key] = spooled
            }
        }
        registry.followedExperiments = experiments
    }

    // MARK: each round

    /// Scans what is due, then reads what the follow rules ask for, a batch per experiment.
    func followFiles(now: ContinuousClock.Instant) throws {
        let unixNow = Date().timeIntervalSince1970
        if production == .spoolFull, spool.hasRoom(forBytes: configuration.maximumBatchSamples * 90 + 128) {
            production = .producing
            logger.notice("spool has room again; reading followed files")
        }
        let notified = following.notifications?.drain() ?? false
        for (index, watch) in configuration.watches.enumerated() {
            let due = unixNow >= following.nextScan[index] || (notified && unixNow - following.lastScan >= 1)
            guard due else { continue }
            try scan(watch, now: unixNow, instant: now)
            following.nextScan[index] = unixNow + (configuration.importing ? 0.2 : watch.pollSeconds)
            following.lastScan = unixNow
        }
        if let idle = configuration.exitWhenIdleSeconds, unixNow - following.lastActivity >= idle { following.finalReads = true }
        if configuration.importing { following.finalReads = true }
        for key in registry.followedExperiments.keys.sorted() where isInScope(registry.followedExperiments[key]!) {
            guard production == .producing || production == .spoolFull else { return }
            try advance(experimentKey: key, now: now, unixNow: unixNow)
        }
    }

    /// Stores the followed files' state once the spool holding their samples is synced, at most
    /// every `registryStoreIntervalSeconds`: a restart then re-reads a few seconds of records
    /// and drops what the spool already holds (`pendingSkip`), so nothing is sent twice.
    func storeFollowingIfDirty(force: Bool = false) throws {
        let unixNow = Date().timeIntervalSince1970
        guard following.registryDirty, force || unixNow - following.lastRegistryStore >= Self.registryStoreIntervalSeconds else { return }
        // On a full disk it stays dirty and is tried again after the interval.
        following.lastRegistryStore = unixNow
        guard try storeRegistry(now: clock.now) else { return }
        following.registryDirty = false
        following.lastRegistryStore = unixNow
    }

    /// Whether every followed file is read to its end and acknowledged work can finish: what
    /// `--exit-when-idle` and an import wait for (quarantined files count as done).
    func followingIsComplete(unixNow: Double) -> Bool {
        // Nothing is complete before every folder was looked at once.
        guard following.cursors.isEmpty, following.pendingSkip.isEmpty, following.nextScan.allSatisfy({ $0 > 0 }) else { return false }
        for experiment in registry.followedExperiments.values where !experiment.ended && isInScope(experiment) {
            for part in experiment.parts where !part.rules.isReadToEnd { return false }
            if configuration.importing, experiment.testID != nil { return false }
        }
        if configuration.importing { return true }
        guard let idle = configuration.exitWhenIdleSeconds else { return false }
        return following.finalReads && unixNow - following.lastActivity >= idle
    }

    private func scan(_ watch: WatchedFolder, now: Double, instant: ContinuousClock.Instant) throws {
        let found = FolderScan.followedFiles(in: watch)
        let folder = watch.directory.path
        if let problem = found.problem {
            if following.folderProblems[folder] != problem {
                logger.error("a watched folder cannot be read; retrying", metadata: ["folder": "\(folder)", "error": "\(problem)"])
                following.folderProblems[folder] = problem
            }
        } else if following.folderProblems.removeValue(forKey: folder) != nil {
            logger.notice("a watched folder can be read again", metadata: ["folder": "\(folder)"])
        }
        following.notifications?.watch(found.directories)
        var experiments = registry.followedExperiments
        var known = Set<String>()
        for experiment in experiments.values where experiment.watchDirectory == folder {
            for part in experiment.parts { known.insert(part.relativePath) }
        }
        for relativePath in found.files where !known.contains(relativePath) && following.unfollowable[folder + "/" + relativePath] == nil {
            let url = URL(fileURLWithPath: relativePath)
            let fileName = url.lastPathComponent
            let directory = url.deletingLastPathComponent().relativePath
            let naming = ExperimentPart(fileName: fileName)
            let experimentKey = (directory == "." || directory.isEmpty ? "" : directory + "/") + naming.experimentKey
            let key = FollowedExperiment.registryKey(watchDirectory: folder, experimentKey: experimentKey)
            let absolute = folder + "/" + relativePath
            if let moved = movedPart(to: relativePath, in: folder, experiments: experiments) {
                // The same file under a new path (an archive folder): the same test, not a new one.
                var experiment = experiments[moved.key]!
                logger.info("a followed file moved; it continues its test", metadata: [
                    "from": "\(experiment.parts[moved.part].relativePath)", "to": "\(relativePath)", "test": "\(experiment.testID ?? "not started")"])
                experiment.parts[moved.part].relativePath = relativePath
                experiment.parts[moved.part].rules.fileMoved()
                experiment.parts[moved.part].resume = nil
                experiments[moved.key] = experiment
                following.cursors[moved.key] = nil
                following.registryDirty = true
                continue
            }
            let growth: FileGrowth = Self.isBinary(path: absolute) ? .rewritten : .appended
            let part = FollowedPart(
                relativePath: relativePath, partNumber: naming.part,
                rules: FileFollowRules(growth: growth, timing: watch.followTiming, firstSeenUnixSeconds: now))
            if var experiment = experiments[key] {
                if let later = experiment.parts.last, later.partNumber > naming.part, later.recordsSpooled > 0 || experiment.samplesSpooled > 0 {
                    let reason = "it is part \(naming.part) of an experiment whose later part \(later.relativePath) was already sent; parts must appear in order"
                    // Spooled first: on a full disk the next scan finds the file again.
                    try spoolQuarantine(channelID: experiment.channelID, testID: experiment.testID, file: relativePath, reason: reason, now: instant)
                    following.unfollowable[absolute] = reason
                    logger.error("QUARANTINED a followed file: not taken", metadata: ["file": "\(absolute)", "reason": "\(reason)", "what_to_do": "rename it as a part of its own experiment, or import it separately"])
                    continue
                }
                experiment.parts.append(part)
                experiment.parts.sort { $0.partNumber < $1.partNumber }
                experiments[key] = experiment
                logger.info("a further part of a followed experiment", metadata: ["file": "\(absolute)", "test": "\(experiment.testID ?? "not started")"])
            } else {
                let channelID: String
                do {
                    channelID = try watch.channel.channelID(fileName: fileName, stem: naming.stem)
                } catch {
                    try spoolQuarantine(channelID: "", testID: nil, file: relativePath, reason: error.description, now: instant)
                    following.unfollowable[absolute] = error.description
                    logger.error("QUARANTINED a followed file: no channel for it", metadata: ["file": "\(absolute)", "reason": "\(error.description)", "what_to_do": "fix the watch's channel rule or rename the file"])
                    continue
                }
                experiments[key] = FollowedExperiment(watchDirectory: folder, experimentKey: experimentKey, channelID: channelID, parts: [part])
                logger.info("following a file", metadata: ["file": "\(absolute)", "channel": "\(channelID)", "growth": "\(growth.rawValue)"])
            }
            following.lastActivity = now
            following.registryDirty = true
        }
        registry.followedExperiments = experiments
    }

    /// The part a newly found file is, moved from a path that no longer exists (same inode).
    private func movedPart(to relativePath: String, in folder: String, experiments: [String: FollowedExperiment]) -> (key: String, part: Int)? {
        guard let identity = (try? FolderScan.observe(folder + "/" + relativePath))??.identity else { return nil }
        for (key, experiment) in experiments where experiment.watchDirectory == folder {
            for (index, part) in experiment.parts.enumerated() where part.rules.lastSeen?.identity == identity {
                if (try? FolderScan.observe(folder + "/" + part.relativePath)) ?? nil == nil { return (key, index) }
            }
        }
        return nil
    }

    /// An experiment of this folder whose first record is `fingerprint` and whose first file is
    /// gone from its path: the file moved across file systems.
    private func experimentMoved(fingerprint: String, in folder: String, except key: String) -> String? {
        for (other, experiment) in registry.followedExperiments where other != key && experiment.watchDirectory == folder && experiment.fingerprint == fingerprint {
            if let first = experiment.parts.first, (try? FolderScan.observe(folder + "/" + first.relativePath)) ?? nil == nil { return other }
        }
        return nil
    }

    static func isBinary(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 4096)).map { [UInt8]($0) } ?? []
        return CyclerFile.binaryContainer(head: head) != nil
    }

    // MARK: one experiment

    private func advance(experimentKey key: String, now: ContinuousClock.Instant, unixNow: Double) throws {
        guard var experiment = registry.followedExperiments[key], !experiment.ended else { return }
        guard let watch = configuration.watches.first(where: { $0.directory.path == experiment.watchDirectory }) else { return }
        // Parts are read in order: an earlier part is finished (read to its end, its last line
        // counted) before the next one is read.
        let active: Int
        if let open = following.cursors[key] {
            active = open.partIndex
        } else {
            // A quarantined part is still observed: a file that changes is examined again.
            guard let index = experiment.parts.indices.first(where: { i in
                if case .ended = experiment.parts[i].rules.phase { return false }
                return true
            }) else {
                return
            }
            active = index
        }
        let isLast = active == experiment.parts.count - 1
        var part = experiment.parts[active]
        let path = experiment.watchDirectory + "/" + part.relativePath

        var cursor: FilePartCursor
        if let open = following.cursors[key] {
            cursor = open.cursor
        } else {
            let observation: FileObservation?
            do {
                observation = try FolderScan.observe(path)
            } catch {
                _ = part.rules.readFailed(error.failure, changedDuringRead: false, now: unixNow)
                experiment.parts[active] = part
                registry.followedExperiments[key] = experiment
                return
            }
            var decision = part.rules.observe(observation, now: unixNow)
            if case .end = decision, !isLast {
                // Idle, but a later part of the experiment exists: only this part is finished
                // (everything it holds was read — idle is decided only then); the test goes on
                // in the next part. Ending the test here lost the later part on a busy machine,
                // where reading the first part outlasted the idle time.
                experiment.parts[active] = part
                registry.followedExperiments[key] = experiment
                following.registryDirty = true
                return
            }
            if decision == .wait, !isLast || following.finalReads { decision = part.rules.finalDecision() }
            if decision == .wait, !isLast, part.rules.isReadToEnd {
                // A later part exists: this one is finished.
                part.rules.markEnded()
                experiment.parts[active] = part
                registry.followedExperiments[key] = experiment
                following.registryDirty = true
                return
            }
            let mode: FilePartCursor.Mode
            switch decision {
            case .wait:
                experiment.parts[active] = part
                registry.followedExperiments[key] = experiment
                return
            case .end(let reason):
                experiment.parts[active] = part
                registry.followedExperiments[key] = experiment
                try endFollowedTest(key: key, reason: reason, now: now)
                return
            case .quarantine(let reason):
                experiment.parts[active] = part
                registry.followedExperiments[key] = experiment
                try quarantined(key: key, part: part, reason: reason, now: now)
                return
            case .readNew(let includeUnterminated):
                mode = .newRecords(includeUnterminated: includeUnterminated)
            case .reread:
                mode = .reread
            }
            guard let observation else { return }
            do {
                if case .newRecords = mode, let tail = part.countedUnterminatedTailAt, observation.sizeBytes > tail {
                    // The line counted as complete must have ended there.
                    let next = try FolderScan.byte(at: tail, of: path)
                    if let next, next != UInt8(ascii: "\n"), next != UInt8(ascii: "\r") {
                        throw FileReadProblem.corrupt("its last line, counted as complete after \(Int(watch.settleSeconds)) s without change, was continued afterwards")
                    }
                }
                cursor = try FilePartCursor(part: part, path: path, watch: watch, library: configuration.profiles, mode: mode, observation: observation)
            } catch {
                let problem = FileReadProblem.classify(error)
                let after = try? FolderScan.observe(path)
                let decision = part.rules.readFailed(problem.failure, changedDuringRead: after != observation, now: unixNow)
                experiment.parts[active] = part
                registry.followedExperiments[key] = experiment
                if case .quarantine(let reason) = decision { try quarantined(key: key, part: part, reason: reason, now: now) }
                return
            }
        }

        // Take a batch, if the spool has room for it.
        let limit = configuration.maximumBatchSamples
        guard spool.hasRoom(forBytes: limit * 90 + 128) else {
            following.cursors[key] = (active, cursor)
            noteSpoolFull()
            return
        }
        var columns = SampleColumns()
        var advanced = part
        let atEnd: Bool
        do {
            atEnd = try cursor.take(limit: limit, part: &advanced, into: &columns)
        } catch {
            following.cursors[key] = nil
            let after = try? FolderScan.observe(path)
            let decision = part.rules.readFailed(error.failure, changedDuringRead: after != cursor.observation, now: unixNow)
            experiment.parts[active] = part
            registry.followedExperiments[key] = experiment
            if case .quarantine(let reason) = decision { try quarantined(key: key, part: part, reason: reason, now: now) }
            return
        }
        if !columns.isEmpty, experiment.testID == nil, active == 0,
           let original = experimentMoved(fingerprint: SourceTestIdentity.fingerprint(ofFirst: columns[0]), in: experiment.watchDirectory, except: key) {
            // This file is an earlier one moved here from another file system: continue that
            // test from the start of this file, checking what was sent; this entry goes.
            var adopted = registry.followedExperiments[original]!
            logger.info("a followed file moved; it continues its test", metadata: [
                "from": "\(adopted.parts[0].relativePath)", "to": "\(part.relativePath)", "test": "\(adopted.testID ?? "")"])
            adopted.parts[0].relativePath = part.relativePath
            adopted.parts[0].rules.fileMoved()
            adopted.parts[0].resume = nil
            registry.followedExperiments[original] = adopted
            registry.followedExperiments[key] = nil
            following.cursors[key] = nil
            following.cursors[original] = nil
            following.registryDirty = true
            return
        }
        if !columns.isEmpty {
            following.lastActivity = unixNow
            do {
                if experiment.testID == nil {
                    try startFollowedTest(&experiment, key: key, first: columns, part: advanced, cursor: cursor, watch: watch, now: now)
                }
                if active > 0, columns.count > 0, part.recordsSpooled == 0, let last = experiment.lastTestTimeSeconds,
                   columns.testTimeSeconds[0] < last {
                    // A later part whose clock starts again: continue the test's time.
                    let offset = last
                    advanced.testTimeOffsetSeconds = offset
                    cursor.testTimeOffsetSeconds = offset
                    advanced.prefixHash = RecordPrefixHash()
                    var shifted = SampleColumns()
                    for i in 0..<columns.count {
                        var sample = columns[i]
                        sample.testTimeSeconds += offset
                        shifted.append(sample)
                        advanced.prefixHash.add(sample)
                    }
                    columns = shifted
                }
                try spoolFollowedSamples(&experiment, key: key, columns: columns, now: now)
            } catch where error.isSpoolOutOfSpace {
                // The cursor read past what is spooled: the next try reads again from the
                // point the registry holds, after the last batch that went in.
                following.cursors[key] = nil
                throw error
            }
        }
        if let profile = advanced.profileName, part.profileName == nil { logger.info("reading a followed file", metadata: ["file": "\(path)", "profile": "\(profile)"]) }
        if case .newRecords(let includeUnterminated) = cursor.mode, atEnd {
            let leftover = (advanced.resume?.text?.byteOffset).map { Int64($0) < cursor.observation.sizeBytes } ?? false
            advanced.rules.readSucceeded(observation: cursor.observation, leftUnterminatedTail: !includeUnterminated && leftover)
            advanced.countedUnterminatedTailAt = includeUnterminated && !columns.isEmpty && !leftover ? Self.unterminatedEnd(path: path, size: cursor.observation.sizeBytes) : advanced.countedUnterminatedTailAt
        } else if atEnd {
            advanced.rules.readSucceeded(observation: cursor.observation, leftUnterminatedTail: false)
            advanced.countedUnterminatedTailAt = nil
        }
        following.cursors[key] = atEnd ? nil : (active, cursor)
        experiment.parts[active] = advanced
        registry.followedExperiments[key] = experiment
        following.registryDirty = true
    }

    /// Where a file ends without a line break (so that what follows there must be one).
    private static func unterminatedEnd(path: String, size: Int64) -> Int64? {
        guard size > 0, let last = try? FolderScan.byte(at: size - 1, of: path) else { return nil }
        return last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") ? nil : size
    }

    /// Spools the test's start for an experiment's first records.
    private func startFollowedTest(
        _ experiment: inout FollowedExperiment, key: String, first: SampleColumns, part: FollowedPart, cursor: FilePartCursor,
        watch: WatchedFolder, now: ContinuousClock.Instant
    ) throws {
        let fingerprint = SourceTestIdentity.fingerprint(ofFirst: first[0])
        let sourceFile = experiment.parts[0].relativePath
        let testID = SourceTestIdentity.testID(agentID: configuration.agentID, relativePath: sourceFile, fingerprint: fingerprint)
        experiment.testID = testID
        experiment.fingerprint = fingerprint
        let spooled = spool.highestSequence(forTest: testID)
        let absolute = experiment.watchDirectory + "/" + part.relativePath
        // The lab's own statements win: the sidecar for this file, then the watch's defaults,
        // then what the instrument's header says (often the software's defaults, left as they
        // were; docs/file-sources.md §4).
        var layers = [InstrumentCellFacts.sidecar(from: cursor.metadata), watch.cellDefaults]
        do {
            if let sidecar = try CellSidecar.load(besideDataFile: absolute) { layers.append(sidecar) }
        } catch {
            logger.error("a cell sidecar cannot be read; the test starts without it", metadata: ["file": "\(absolute)", "error": "\(error.description)"])
        }
        let described = layers.dropFirst().reduce(layers[0]) { $0.overridden(by: $1) }
        var cell = described.applied(to: CellMetadata(
            cellID: ExperimentPart(fileName: URL(fileURLWithPath: sourceFile).lastPathComponent).stem, cellType: .symmetric))
        cell.attributes["source_file"] = sourceFile
        cell.attributes["profile"] = cursor.profileName
        cell.attributes["reader_version"] = CellfleetVersion.string
        if let onFail = configuration.onFail, cell.attributes["on_fail"] == nil { cell.attributes["on_fail"] = onFail.rawValue }
        var start = Cellfleet_Wire_V1_TestStart()
        start.testID = testID
        start.agentID = configuration.agentID
        start.channelID = experiment.channelID
        start.cell = Cellfleet_Wire_V1_Cell(cell)
        // No source said what the cell is: the detector infers it from the voltage.
        if described.cellType == nil { start.cell.cellType = .unspecified }
        let firstUnix = first.unixTimeSeconds.first ?? .nan
        start.startUnixTimeS = firstUnix.isFinite ? firstUnix : (cursor.observation.modificationUnixSeconds)
        try spool.append { id in
            start.deliveryID = id
            return WireEnvelope(.testStart(start))
        }
        appendedAt[spool.lastAppendedID] = now
        // Only once the start is spooled: a start that found the disk full is tried again.
        if spooled > experiment.samplesSpooled {
            // An earlier run spooled this test's start and samples but stopped before recording
            // it. (The most, not a sum: a start spooled before the disk filled is spooled again.)
            following.pendingSkip[key] = max(following.pendingSkip[key] ?? 0, spooled - experiment.samplesSpooled)
        }
        logger.info("a followed file starts a test", metadata: ["file": "\(absolute)", "test": "\(testID)", "channel": "\(experiment.channelID)", "profile": "\(cursor.profileName)"])
        for warning in cursor.warnings { logger.warning("reading a followed file", metadata: ["file": "\(absolute)", "warning": "\(warning)"]) }
    }

    /// Spools a batch of an experiment's samples, after dropping those an earlier run spooled.
    private func spoolFollowedSamples(_ experiment: inout FollowedExperiment, key: String, columns: SampleColumns, now: ContinuousClock.Instant) throws {
        guard let testID = experiment.testID else { return }
        var batch = columns
        var dropped = 0
        let skip = following.pendingSkip[key] ?? 0
        if skip > 0 {
            dropped = Int(min(UInt64(batch.count), skip))
            var rest = SampleColumns()
            for i in dropped..<batch.count { rest.append(batch[i]) }
            batch = rest
        }
        if !batch.isEmpty {
            let first = experiment.samplesSpooled + UInt64(dropped) + 1
            try spool.append { id in
                WireEnvelope(.sampleBatch(Cellfleet_Wire_V1_SampleBatch(deliveryID: id, testID: testID, firstSeq: first, columns: batch)))
            }
            appendedAt[spool.lastAppendedID] = now
        }
        // Only after the append went through: on a full disk the same records are read again.
        if skip > 0 { following.pendingSkip[key] = skip - UInt64(dropped) == 0 ? nil : skip - UInt64(dropped) }
        experiment.samplesSpooled += UInt64(dropped + batch.count)
        if let last = columns.testTimeSeconds.last { experiment.lastTestTimeSeconds = last }
    }

    /// Ends an experiment's test (idle, imported, or the file says so).
    func endFollowedTest(key: String, reason: String, now: ContinuousClock.Instant) throws {
        guard var experiment = registry.followedExperiments[key], !experiment.ended else { return }
        experiment.ended = true
        for index in experiment.parts.indices { experiment.parts[index].rules.markEnded() }
        if let testID = experiment.testID {
            try spoolTestEnd(testID: testID, lastSequence: experiment.samplesSpooled, reason: reason, now: now)
            logger.info("a followed file's test ended", metadata: ["test": "\(testID)", "reason": "\(reason)", "samples": "\(experiment.samplesSpooled)"])
        }
        registry.followedExperiments[key] = experiment
        following.registryDirty = true
    }

    /// Ends every imported test whose files are all read.
    func endImportedTests(now: ContinuousClock.Instant) throws {
        guard following.cursors.isEmpty, following.pendingSkip.isEmpty else { return }
        for (key, experiment) in registry.followedExperiments where !experiment.ended && isInScope(experiment) {
            guard experiment.parts.allSatisfy({ $0.rules.isReadToEnd }) else { continue }
            if experiment.testID != nil { try endFollowedTest(key: key, reason: "imported", now: now) }
        }
    }

    /// Says so in the log and, through the spool, as the coordinator's F4 alert.
    private func quarantined(key: String, part: FollowedPart, reason: String, now: ContinuousClock.Instant) throws {
        following.cursors[key] = nil
        following.registryDirty = true
        guard let experiment = registry.followedExperiments[key] else { return }
        let file = experiment.watchDirectory + "/" + part.relativePath
        logger.error("QUARANTINED a followed file: its records are no longer sent", metadata: [
            "file": "\(file)", "reason": "\(reason)",
            "what_to_do": "fix or replace the file (the agent examines it again when it changes); the other files carry on"])
        try spoolQuarantine(channelID: experiment.channelID, testID: experiment.testID, file: part.relativePath, reason: reason, now: now)
    }

    private func noteSpoolFull() {
        if production != .spoolFull {
            production = .spoolFull
            spoolFullEpisodes += 1
            logger.warning("SPOOL FULL: not reading followed files until the coordinator acknowledges more",
                           metadata: ["spool_bytes": "\(spool.usedBytes)", "capacity_bytes": "\(configuration.spoolCapacityBytes)"])
        }
    }

    // MARK: the summary

    func fileProgress(into status: inout Agent.Status) {
        for (key, experiment) in registry.followedExperiments where isInScope(experiment) {
            for (index, part) in experiment.parts.enumerated() {
                status.files += 1
                let size = part.rules.lastSeen?.sizeBytes ?? 0
                status.fileBytes += size
                let done = part.rules.isReadToEnd && following.cursors[key]?.partIndex != index
                if done { status.filesDone += 1 }
                status.fileBytesRead += done ? size : min(size, Int64(part.resume?.text?.byteOffset ?? 0))
            }
        }
    }

    var fileCounts: (read: Int, quarantined: Int, problems: [AgentSummary.QuarantinedFile]) {
        var read = 0
        var problems: [AgentSummary.QuarantinedFile] = []
        for experiment in registry.followedExperiments.values where isInScope(experiment) {
            for part in experiment.parts {
                if let reason = part.quarantineReason {
                    problems.append(.init(file: experiment.watchDirectory + "/" + part.relativePath, reason: reason))
                } else if part.rules.isReadToEnd, part.recordsSpooled > 0 {
                    read += 1
                }
            }
        }
        for (file, reason) in following.unfollowable { problems.append(.init(file: file, reason: reason)) }
        problems.sort { $0.file < $1.file }
        return (read, problems.count, problems)
    }
}
