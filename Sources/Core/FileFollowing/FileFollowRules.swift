/// When to read a followed file and what to make of it, as a value fed observations and read
/// outcomes: the agent's shell stats and reads, this decides. Times are wall-clock Unix seconds,
/// given by the caller, so that a test drives hours of a file's life in microseconds and a
/// restarted agent carries the idle timer on from its stored state (the rules are Codable).
///
/// What it encodes (docs/file-sources.md):
/// - an appended file is read as soon as it grew, complete lines only; an unterminated last line
///   counts once the file has not changed for `settleSeconds`;
/// - a rewritten file (binary, or a text file replaced by one with a new inode) is re-read only
///   once it has been stable for `settleSeconds`: vendor software rewrites it in place;
/// - an appended file that shrank, a read that found earlier records changed, or a file that
///   does not parse is quarantined; a quarantined file that changes is examined again, from the
///   start;
/// - a transient error (a lock, a share's hiccup) is retried with a back-off, never quarantined,
///   nor is a parse failure of a file that changed while it was read (it was being written);
/// - a file not changed for `idleEndSeconds` ends its test, once.
public struct FileFollowRules: Sendable, Hashable, Codable {
    public struct Timing: Sendable, Hashable, Codable {
        public var settleSeconds: Double
        public var idleEndSeconds: Double
        /// The longest wait between retries after transient errors.
        public var maximumRetrySeconds: Double

        public init(settleSeconds: Double = 10, idleEndSeconds: Double = 24 * 3600, maximumRetrySeconds: Double = 60) {
            self.settleSeconds = settleSeconds
            self.idleEndSeconds = idleEndSeconds
            self.maximumRetrySeconds = maximumRetrySeconds
        }
    }

    public enum Phase: Sendable, Hashable, Codable {
        case following
        /// `seen` is the file as it was when quarantined: any other observation releases it.
        case quarantined(reason: String, seen: FileObservation?)
        case ended
    }

    public enum Decision: Sendable, Hashable {
        case wait
        /// Read what was appended after the saved point (`includeUnterminated`: the last line
        /// even without its line break).
        case readNew(includeUnterminated: Bool)
        /// Re-read the whole file: check the records already sent, then send the rest.
        case reread
        /// Stop reading it: say why, in the log, the summary and a fleet-health alert.
        case quarantine(reason: String)
        /// End the file's test.
        case end(reason: String)
    }

    public enum ReadFailure: Sendable, Hashable {
        /// Locked, unreachable, interrupted: try again later.
        case transient(String)
        /// The content is wrong (does not parse, earlier records changed, fewer records than sent).
        case corrupt(String)
    }

    public let growth: FileGrowth
    public var timing: Timing
    public private(set) var phase = Phase.following
    /// The file as last observed, and when it was last seen to change.
    public private(set) var lastSeen: FileObservation?
    public private(set) var lastChangeUnixSeconds: Double
    /// The file as it was when it was last read to its end.
    public private(set) var readObservation: FileObservation?
    /// The last read left an unterminated last line for later.
    public private(set) var unterminatedTail = false
    /// The next read must start from the beginning (the file was replaced, or released from quarantine).
    public private(set) var mustReread = false
    public private(set) var consecutiveFailures = 0
    public private(set) var retryAtUnixSeconds: Double?

    public init(growth: FileGrowth, timing: Timing, firstSeenUnixSeconds: Double) {
        self.growth = growth
        self.timing = timing
        lastChangeUnixSeconds = firstSeenUnixSeconds
    }

    /// Whether everything the file holds now has been read (what `--exit-when-idle` waits for).
    public var isReadToEnd: Bool {
        switch phase {
        case .ended, .quarantined: return true
        case .following: return lastSeen != nil && lastSeen == readObservation && !unterminatedTail && !mustReread
        }
    }

    public var isQuarantined: Bool {
        if case .quarantined = phase { return true }
        return false
    }

    /// What to do about the file as `observation` finds it (nil: it is gone, for now).
    public mutating func observe(_ observation: FileObservation?, now: Double) -> Decision {
        switch phase {
        case .ended:
            return .wait
        case .quarantined(_, let seen):
            guard let observation, observation != seen else { return .wait }
            phase = .following
            mustReread = true
            unterminatedTail = false
            consecutiveFailures = 0
            retryAtUnixSeconds = nil
        case .following:
            break
        }
        guard let observation else { return idleDecision(now: now) }
        if lastSeen == nil {
            // First sight: the file last changed when it says, not when we came across it (an
            // old file found in a folder is finished, not new).
            lastSeen = observation
            lastChangeUnixSeconds = min(now, observation.modificationUnixSeconds)
        } else if observation != lastSeen {
            lastSeen = observation
            lastChangeUnixSeconds = max(lastChangeUnixSeconds, now)
        }
        if let retryAt = retryAtUnixSeconds, now < retryAt { return .wait }
        let changedSinceRead = observation != readObservation
        if growth == .appended, !mustReread, let read = readObservation {
            if observation.identity != read.identity {
                mustReread = true
            } else if observation.sizeBytes < read.sizeBytes {
                return quarantine("it shrank from \(read.sizeBytes) to \(observation.sizeBytes) bytes after its records were sent", seen: observation)
            }
        }
        let settled = now - lastChangeUnixSeconds >= timing.settleSeconds
        if growth == .rewritten || mustReread {
            if changedSinceRead || mustReread { return settled ? .reread : .wait }
        } else {
            if changedSinceRead { return .readNew(includeUnterminated: settled) }
            if unterminatedTail, settled { return .readNew(includeUnterminated: true) }
        }
        return idleDecision(now: now)
    }

    /// The read of the file as `observation` found it (stat before the read) went through.
    public mutating func readSucceeded(observation: FileObservation, leftUnterminatedTail: Bool) {
        readObservation = observation
        unterminatedTail = leftUnterminatedTail
        mustReread = false
        consecutiveFailures = 0
        retryAtUnixSeconds = nil
    }

    /// A read failed. `changedDuringRead`: the file's observation after the failure differs from
    /// the one before the read — a file being written, not a bad one. Returns the quarantine
    /// decision when it is one.
    public mutating func readFailed(_ failure: ReadFailure, changedDuringRead: Bool, now: Double) -> Decision {
        // A file never read yet that changed lately may still be having its header written.
        let young = readObservation == nil && now - lastChangeUnixSeconds < timing.settleSeconds
        switch failure {
        case .corrupt(let reason) where !changedDuringRead && !young:
            return quarantine(reason, seen: lastSeen)
        case .corrupt, .transient:
            consecutiveFailures += 1
            let backOff = min(timing.maximumRetrySeconds, Double(1 << min(consecutiveFailures, 16)))
            retryAtUnixSeconds = now + backOff
            return .wait
        }
    }

    /// The last word before an import or `--exit-when-idle` finishes: read what is left, an
    /// unterminated last line included.
    public func finalDecision() -> Decision {
        guard case .following = phase, let seen = lastSeen else { return .wait }
        if growth == .rewritten || mustReread { return seen != readObservation || mustReread ? .reread : .wait }
        return seen != readObservation || unterminatedTail ? .readNew(includeUnterminated: true) : .wait
    }

    /// The file now lives elsewhere (moved into an archive folder, say): the next read starts
    /// from the beginning and checks what was sent, as for a replaced file.
    public mutating func fileMoved() {
        mustReread = true
        readObservation = nil
        lastSeen = nil
    }

    /// The test ended for another reason (a later part of its experiment appeared, a stop).
    public mutating func markEnded() { phase = .ended }

    private mutating func quarantine(_ reason: String, seen: FileObservation?) -> Decision {
        phase = .quarantined(reason: reason, seen: seen)
        return .quarantine(reason: reason)
    }

    private mutating func idleDecision(now: Double) -> Decision {
        guard now - lastChangeUnixSeconds >= timing.idleEndSeconds else { return .wait }
        phase = .ended
        return .end(reason: "idle")
    }
}
