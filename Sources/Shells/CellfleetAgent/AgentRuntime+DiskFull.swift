import AgentSpool
import Foundation

/// The spool's file system full (ENOSPC, or EDQUOT for a quota): the agent waits it out instead
/// of exiting. It stops taking samples — the same hold as a spool at its capacity, for another
/// reason — keeps delivering what is spooled (acknowledgements free segments, which may be what
/// gives the room back), and tries again every `retrySeconds`. Nothing is lost: a failed append
/// leaves the spool as it was and the source where it was (docs/delivery.md §2.7).
///
/// Said once when it starts and once when it is over, not at every failed try; counted as
/// `disk_full_episodes` in the summary and reported in the heartbeat (`spool_disk_full`).
struct DiskFullEpisode {
    var since: ContinuousClock.Instant
    /// When production tries again.
    var retryAt: ContinuousClock.Instant
    /// The failure that started it, for the log line that ends it.
    var firstFailure: String
}

extension AgentRuntime {
    /// Often enough to resume soon after space frees, rarely enough that a file source re-read
    /// from its saved point at every try costs nothing worth counting.
    static let diskFullRetrySeconds = 1.0

    /// Production stops until the next try; the first failure of an episode is said loudly.
    func noteOutOfSpace(_ error: Error, now: ContinuousClock.Instant) {
        let retryAt = now.advanced(by: .milliseconds(Int64(Self.diskFullRetrySeconds * 1000)))
        if production == .producing || production == .spoolFull { production = .diskFull }
        if diskFull != nil {
            diskFull?.retryAt = retryAt
            return
        }
        diskFull = DiskFullEpisode(since: now, retryAt: retryAt, firstFailure: "\(error)")
        diskFullEpisodes += 1
        logger.warning(
            "DISK FULL: the spool's file system has no room; not taking samples from the channels, still delivering what is spooled, trying again every \(Self.diskFullRetrySeconds) s",
            metadata: [
                "spool": "\(configuration.spoolDirectory.path)", "error": "\(error)",
                "spool_bytes": "\(spool.usedBytes)", "unacked": "\(spool.unackedEntryCount)",
            ])
    }

    /// The try is due: production goes on as if there were room (an append that fails again
    /// only moves the next try), and what waited for room is tried first.
    func retryAfterDiskFull(now: ContinuousClock.Instant) {
        production = .producing
        do {
            // The ledger store that frees acknowledged segments may have failed for want of room.
            try spool.releaseAcknowledged()
        } catch where error.isSpoolOutOfSpace {
            noteOutOfSpace(error, now: now)
        } catch {
            logger.error("could not free acknowledged spool segments", metadata: ["error": "\(error)"])
        }
    }

    /// Room the file system must show again for an episode to be over: more than the little an
    /// acknowledgement frees on a disk that stays full (production takes that, and the disk is
    /// full again a moment later — one episode, not one per acknowledgement).
    var diskFullOverBytes: Int { max(1 << 20, 4 * (configuration.maximumBatchSamples * 90 + 128)) }

    /// A round without an out-of-space failure after an episode: over once the file system shows
    /// room (`diskFullOverBytes`); where it cannot tell (nil), once an append went through.
    func noteDiskFullOver(appended: Bool, now: ContinuousClock.Instant) {
        guard let episode = diskFull else { return }
        if let available = spool.availableBytes {
            guard available >= diskFullOverBytes else { return }
        } else {
            guard appended else { return }
        }
        diskFull = nil
        logger.notice("the spool's file system has room again; taking samples", metadata: [
            "waited_seconds": "\(String(format: "%.1f", episode.since.duration(to: now).inSeconds))",
            "spool_bytes": "\(spool.usedBytes)",
        ])
    }

    /// Stores `channels.json` beside the spool. On a full disk it stays due, retried each round,
    /// and false is returned; the file already there is the last one stored, whole. Any other
    /// failure is thrown, as before.
    @discardableResult
    func storeRegistry(now: ContinuousClock.Instant) throws -> Bool {
        do {
            try spool.storeBeside(ChannelRegistry.fileName, registry.encoded())
            registryStoreDue = false
            return true
        } catch where error.isSpoolOutOfSpace {
            registryStoreDue = true
            noteOutOfSpace(error, now: now)
            return false
        }
    }
}
