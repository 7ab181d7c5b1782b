import Foundation
import Logging
import WireProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The agent's durable outbox: every delivery (test start, sample batch, test end) is appended
/// here, made durable, and only then sent; it leaves when the coordinator acknowledges it.
///
/// Layout: append-only segment files `segment-<first id>.log` of checksummed records
/// (`SpoolRecord`) plus `ledger.json` (`SpoolLedger`) and `space-reserve` (`SpaceReserve`). The
/// spool is bounded: `hasRoom` tells the producers to stop taking samples (back-pressure) instead
/// of dropping any. A full file system is the same back-pressure, found out later: an append, a
/// sync or a file stored beside the spool throws `SpoolError.outOfSpace` and leaves the spool as
/// it was, so the caller waits and tries again (docs/delivery.md §2.7).
///
/// Not thread-safe: one owner (the agent's actor) uses it.
///
/// Why each step is ordered as it is (records, ledger, group sync, recovery): docs/delivery.md §2.
public final class Spool {
    public struct Configuration: Sendable {
        public var directory: URL
        public var capacityBytes: Int
        public var segmentBytes: Int
        /// Kept allocated beside the segments so that the ledger can be stored on a full disk
        /// (`SpaceReserve`); 0 keeps none.
        public var reserveBytes: Int
        /// Tests only: file operations made to fail (a full disk without filling one).
        public var faults: SpoolFaultInjection?

        public init(directory: URL, capacityBytes: Int = 1 << 30, segmentBytes: Int? = nil, reserveBytes: Int = 1 << 20,
                    faults: SpoolFaultInjection? = nil) {
            self.directory = directory
            self.capacityBytes = capacityBytes
            self.segmentBytes = segmentBytes ?? max(64 << 10, min(16 << 20, capacityBytes / 8))
            self.reserveBytes = reserveBytes
            self.faults = faults
        }

        /// A fully acknowledged active segment at least this large is released at once rather
        /// than when the next segment starts: acknowledged data gives its room back within about
        /// this much, not a whole segment (16 MiB). Smaller ones wait, so that an agent keeping up
        /// does not replace the ledger and create a segment on every acknowledgement.
        var activeReleaseBytes: Int { min(1 << 20, segmentBytes / 4) }
    }

    /// What the spool knows of one entry without reading it back.
    struct EntryInfo {
        var id: UInt64
        var segment: UInt64      // first id of its segment
        var offset: Int          // of the record header
        var size: Int            // header + payload
        var sampleCount: Int
        var testID: String
        var lastSequence: UInt64 // of a sample batch; 0 otherwise
    }

    final class Segment {
        let firstID: UInt64
        let path: String
        let fd: Int32
        var size: Int
        /// How much of `size` a sync made durable; the rest is in `Spool.unsynced` too.
        var durableSize: Int
        var lastID: UInt64

        init(firstID: UInt64, path: String, fd: Int32, size: Int, lastID: UInt64) {
            self.firstID = firstID
            self.path = path
            self.fd = fd
            self.size = size
            durableSize = size
            self.lastID = lastID
        }
        deinit { close(fd) }
    }

    public let configuration: Configuration
    private let logger: Logger
    private var ledger: SpoolLedger
    private var segments: [Segment] = []
    /// Unacknowledged-or-not-yet-forgotten entries, ascending by id.
    private var entries: [EntryInfo] = []
    private var entriesHead = 0
    private var ackedAhead: Set<UInt64> = []
    private var ackedAheadSamples = 0
    private var nextID: UInt64
    private var unsyncedSegmentCreated = false
    private var spooledHighSequence: [String: UInt64] = [:]
    /// The records of the last segment after its `durableSize`, kept until a sync makes them
    /// durable: after a failed fdatasync the kernel may have dropped them from its cache without
    /// saying so again, so they are cut off the file and written once more from here.
    private var unsynced: [UInt8] = []
    /// The file holds only the last segment's durable part; `unsynced` must be written back
    /// before anything else is appended or synced.
    private var unsyncedNeedRewrite = false
    /// false while a new spool's ledger waits for room to be stored: nothing is appended before.
    private var ledgerStored = true
    private let reserve: SpaceReserve

    public private(set) var durableThrough: UInt64
    /// Samples appended over the spool's whole life, across agent restarts.
    public private(set) var producedSampleCount: Int
    /// Records found damaged at start-up and skipped (counted, logged).
    public private(set) var corruptRecordsAtOpen = 0
    /// Bytes skipped at start-up to resynchronise after damage.
    public private(set) var damagedBytesAtOpen = 0

    /// Whether the last append, sync or store found the file system full (cleared by an append
    /// that goes through). While it is, a fully acknowledged active segment is released at once.
    public private(set) var isOutOfSpace = false

    public var epoch: UInt64 { ledger.epoch }
    public var ackedSampleCount: Int { ledger.ackedSamples + ackedAheadSamples }
    public var usedBytes: Int { segments.reduce(0) { $0 + $1.size } }
    public var unackedEntryCount: Int { entries.count - entriesHead - ackedAhead.count }
    public var lastAppendedID: UInt64 { nextID - 1 }
    /// The oldest entry not yet acknowledged, if any.
    public var firstUnackedID: UInt64? {
        var index = entriesHead
        while index < entries.count {
            if !ackedAhead.contains(entries[index].id) { return entries[index].id }
            index += 1
        }
        return nil
    }

    /// Opening needs no free space (an agent restarted on a full disk starts and delivers): a
    /// new spool's ledger and the space reserve are stored as soon as there is room, before the
    /// first append.
    public init(configuration: Configuration, logger: Logger = Logger(label: "cellfleet.spool")) throws {
        self.configuration = configuration
        self.logger = logger
        let directory = configuration.directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        reserve = SpaceReserve(directory: directory, bytes: configuration.reserveBytes, faults: configuration.faults)
        if let ledger = try SpoolLedger.load(from: directory) {
            self.ledger = ledger
        } else {
            // A new spool: a new epoch, so a coordinator can tell its delivery ids from an old spool's.
            var epoch = UInt64(Date().timeIntervalSince1970 * 1_000_000)
            epoch ^= UInt64.random(in: 0...UInt64(UInt16.max))
            self.ledger = SpoolLedger(epoch: epoch)
            ledgerStored = false
        }
        self.nextID = ledger.ackedThrough + 1
        self.producedSampleCount = ledger.ackedSamples
        self.durableThrough = ledger.ackedThrough
        try recover()
        durableThrough = nextID - 1
        do {
            if !ledgerStored {
                try storeLedger()
                ledgerStored = true
            }
            try reserve.take()
        } catch let error as SpoolError where error.isOutOfSpace {
            isOutOfSpace = true
            logger.warning("the spool's file system is full at start-up; appending waits for room", metadata: ["error": "\(error)"])
        }
    }

    // MARK: recovery

    private func recover() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: configuration.directory.path)
            .filter { $0.hasPrefix("segment-") && $0.hasSuffix(".log") }
            .sorted()
        for (position, name) in names.enumerated() {
            let path = configuration.directory.appendingPathComponent(name).path
            guard let firstID = UInt64(name.dropFirst("segment-".count).dropLast(".log".count)) else { continue }
            let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            var offset = 0
            var lastID = firstID &- 1
            var goodEnd = 0
            var damagedInside = false
            scan: while offset < data.count {
                var problem: String
                switch SpoolRecord.decode(data[offset...]) {
                case .record(let id, let payload, let size):
                    if id > ledger.ackedThrough {
                        do {
                            let info = try describe(id: id, payload: payload, segment: firstID, offset: offset, size: size)
                            entries.append(info)
                            producedSampleCount += info.sampleCount
                            if info.lastSequence > 0 {
                                spooledHighSequence[info.testID] = max(spooledHighSequence[info.testID] ?? 0, info.lastSequence)
                            }
                        } catch {
                            // Its checksum held but it is no delivery: damaged before it was framed.
                            problem = "entry \(id) is not a readable delivery: \(error)"
                            break
                        }
                    }
                    lastID = id
                    offset += size
                    goodEnd = offset
                    continue scan
                case .truncated:
                    problem = "a partial record"
                case .corrupt(let reason):
                    problem = reason
                }
                // Resynchronise: records are framed and checksummed, so the next one that checks
                // out (with a later id) is where readable data starts again.
                if let next = SpoolRecord.nextRecord(in: data, after: offset, followingID: lastID) {
                    corruptRecordsAtOpen += 1
                    damagedBytesAtOpen += next - offset
                    damagedInside = true
                    logger.error("spool segment has damaged bytes; skipped to the next valid record (what they held is lost and will be declared to the coordinator)",
                                 metadata: ["segment": "\(name)", "offset": "\(offset)", "bytes": "\(next - offset)", "reason": "\(problem)"])
                    offset = next
                    continue scan
                }
                if case .truncated = SpoolRecord.decode(data[offset...]) {
                    logger.warning("spool segment ends in a partial record (an interrupted write); dropping its tail",
                                   metadata: ["segment": "\(name)", "bytes": "\(data.count - offset)"])
                } else {
                    corruptRecordsAtOpen += 1
                    damagedBytesAtOpen += data.count - offset
                    logger.error("spool segment ends in damaged bytes; nothing readable follows them in this segment",
                                 metadata: ["segment": "\(name)", "offset": "\(offset)", "reason": "\(problem)"])
                }
                break scan
            }
            let isLast = position == names.count - 1
            if damagedInside || (goodEnd < data.count && !isLast) {
                // Keep the damaged bytes for forensics, out of the way of the spool (once: a
                // reopened spool finds the same hole again).
                let siblings = (try? FileManager.default.contentsOfDirectory(atPath: configuration.directory.path)) ?? []
                if !siblings.contains(where: { $0.hasPrefix(name + ".damaged-") }) {
                    _ = link(path, path + ".damaged-\(Int(Date().timeIntervalSince1970))")
                }
            }
            if goodEnd < data.count {
                // Only the unreadable tail goes; damaged bytes between records stay (never read).
                guard truncate(path, off_t(goodEnd)) == 0 else { throw SpoolError.io(operation: "truncate \(path)", errno: errno) }
            }
            if goodEnd == 0 && !isLast {
                unlink(path)
                continue
            }
            let fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC)
            guard fd >= 0 else { throw SpoolError.io(operation: "open \(path)", errno: errno) }
            segments.append(Segment(firstID: firstID, path: path, fd: fd, size: goodEnd, lastID: lastID))
            if lastID != firstID &- 1 { nextID = max(nextID, lastID + 1) }
        }
    }

    private func describe(id: UInt64, payload: ArraySlice<UInt8>, segment: UInt64, offset: Int, size: Int) throws -> EntryInfo {
        let envelope: Cellfleet_Wire_V1_Envelope
        do {
            envelope = try Cellfleet_Wire_V1_Envelope(serializedBytes: Array(payload))
        } catch {
            throw SpoolError.unreadableEntry(id: id, reason: "\(error)")
        }
        var info = EntryInfo(id: id, segment: segment, offset: offset, size: size, sampleCount: 0, testID: "", lastSequence: 0)
        switch envelope.body {
        case .sampleBatch(let batch):
            info.testID = batch.testID
            info.sampleCount = batch.testTimeS.count
            info.lastSequence = batch.firstSeq + UInt64(batch.testTimeS.count) - 1
        case .testStart(let start): info.testID = start.testID
        case .testEnd(let end): info.testID = end.testID
        default: break
        }
        return info
    }

    // MARK: appending

    /// Bytes the spool's file system has free for it (statvfs), nil if it cannot tell. Only a
    /// hint: a quota, or another writer, can make an append fail all the same.
    public var availableBytes: Int? {
        var status = statvfs()
        guard statvfs(configuration.directory.path, &status) == 0 else { return nil }
        return Int(status.f_bavail) * Int(status.f_frsize)
    }

    /// Whether an entry of about `bytes` fits without exceeding the capacity.
    public func hasRoom(forBytes bytes: Int) -> Bool {
        usedBytes + bytes + SpoolRecord.headerSize <= configuration.capacityBytes
    }

    /// Appends a delivery; `makeEnvelope` receives its delivery id. Not durable until `sync()`.
    /// The caller checks `hasRoom` first: a full spool is back-pressure, not an error to swallow.
    /// On a full file system it throws `SpoolError.outOfSpace` and the spool is as it was: no
    /// id taken, no byte of the record left in the segment.
    @discardableResult
    public func append(_ makeEnvelope: (UInt64) -> Cellfleet_Wire_V1_Envelope) throws -> UInt64 {
        let id = nextID
        let payload: [UInt8] = try makeEnvelope(id).serializedBytes()
        guard payload.count <= SpoolRecord.maximumPayloadSize else { throw SpoolError.entryTooLarge(bytes: payload.count) }
        let record = SpoolRecord.encode(entryID: id, payload: payload)
        let segment: Segment
        let offset: Int
        do {
            try prepareToAppend()
            segment = try activeSegment(for: record.count, firstID: id)
            offset = segment.size
            try writeAll(record, to: segment, at: offset)
        } catch let error as SpoolError where error.isOutOfSpace {
            isOutOfSpace = true
            throw error
        }
        isOutOfSpace = false
        segment.size += record.count
        segment.lastID = id
        unsynced.append(contentsOf: record)
        let info = try describe(id: id, payload: payload[...], segment: segment.firstID, offset: offset, size: record.count)
        entries.append(info)
        producedSampleCount += info.sampleCount
        if info.lastSequence > 0 { spooledHighSequence[info.testID] = info.lastSequence }
        nextID += 1
        return id
    }

    /// What must be in place before a record is appended: the ledger of a new spool, the
    /// records a failed sync cut off, and the space reserve (appends never take its room).
    private func prepareToAppend() throws {
        if !ledgerStored {
            try storeLedger()
            ledgerStored = true
        }
        if unsyncedNeedRewrite { try rewriteUnsynced() }
        try reserve.take()
    }

    /// Writes `bytes` at the end of `segment` (`offset`, its size). A failure part-way cuts the
    /// file back to `offset`: a partial record would be a torn tail.
    private func writeAll(_ bytes: [UInt8], to segment: Segment, at offset: Int) throws {
        guard !bytes.isEmpty else { return }
        let injected = configuration.faults?.consume(.write)
        var failure: Int32?
        bytes.withUnsafeBytes { buffer in
            let limit = injected == nil ? buffer.count : buffer.count / 2
            var written = 0
            while written < limit {
                let n = write(segment.fd, buffer.baseAddress! + written, limit - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                written += n
            }
        }
        guard let code = failure ?? injected else { return }
        guard ftruncate(segment.fd, off_t(offset)) == 0 else {
            // The torn bytes stay: appending after them would hide every later record.
            throw SpoolError.io(operation: "truncate \(segment.path) back after a failed write", errno: errno)
        }
        throw SpoolError.failure("write \(segment.path)", errno: code)
    }

    /// fdatasync of `segment`; when it fails the file is cut back to its durable part and the
    /// records after it are written again from `unsynced` before the next sync or append.
    private func makeDurable(_ segment: Segment) throws {
        guard segment.size > segment.durableSize else { return }
        let code = configuration.faults?.consume(.sync) ?? (fdatasync(segment.fd) == 0 ? nil : errno)
        if let code {
            _ = ftruncate(segment.fd, off_t(segment.durableSize))
            unsyncedNeedRewrite = true
            throw SpoolError.failure("fdatasync \(segment.path)", errno: code)
        }
        segment.durableSize = segment.size
        unsynced.removeAll(keepingCapacity: true)
    }

    private func rewriteUnsynced() throws {
        guard let segment = segments.last else {
            unsyncedNeedRewrite = false
            return
        }
        guard ftruncate(segment.fd, off_t(segment.durableSize)) == 0 else {
            throw SpoolError.io(operation: "truncate \(segment.path)", errno: errno)
        }
        try writeAll(unsynced, to: segment, at: segment.durableSize)
        unsyncedNeedRewrite = false
    }

    private func activeSegment(for recordSize: Int, firstID: UInt64) throws -> Segment {
        if let last = segments.last, last.size == 0 || last.size + recordSize <= configuration.segmentBytes {
            return last
        }
        // The previous segment durable first: only the last one keeps records in `unsynced`.
        if let previous = segments.last { try makeDurable(previous) }
        let path = configuration.directory.appendingPathComponent(String(format: "segment-%020llu.log", firstID)).path
        if let injected = configuration.faults?.consume(.createSegment) { throw SpoolError.failure("create \(path)", errno: injected) }
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SpoolError.failure("create \(path)", errno: errno) }
        let segment = Segment(firstID: firstID, path: path, fd: fd, size: 0, lastID: firstID &- 1)
        segments.append(segment)
        unsyncedSegmentCreated = true
        return segment
    }

    /// Makes every appended entry durable (one fdatasync for many appends: group commit). On a
    /// full file system it throws `outOfSpace`; the entries stay appended, not yet durable, and
    /// a later sync tries again.
    public func sync() throws {
        guard durableThrough < nextID - 1 || unsyncedNeedRewrite else { return }
        do {
            if unsyncedNeedRewrite { try rewriteUnsynced() }
            if let segment = segments.last { try makeDurable(segment) }
            if unsyncedSegmentCreated {
                try DurableFile.syncDirectory(configuration.directory)
                unsyncedSegmentCreated = false
            }
        } catch let error as SpoolError where error.isOutOfSpace {
            isOutOfSpace = true
            throw error
        }
        durableThrough = nextID - 1
    }

    /// The highest sample sequence number this spool has ever held for a test (0 if none), so an
    /// agent restarted on it carries on numbering where it stopped.
    public func highestSequence(forTest testID: String) -> UInt64 {
        max(spooledHighSequence[testID] ?? 0, ledger.testHighSequence[testID] ?? 0)
    }

    // MARK: sending and acknowledging

    /// Durable, unacknowledged entries with ids at or above `startID`, oldest first: what to send.
    public func pendingEntries(from startID: UInt64, limit: Int) throws -> [(id: UInt64, payload: [UInt8])] {
        var result: [(id: UInt64, payload: [UInt8])] = []
        var low = entriesHead, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].id < startID { low = mid + 1 } else { high = mid }
        }
        var index = low
        while index < entries.count, result.count < limit {
            let info = entries[index]
            index += 1
            if info.id > durableThrough { break }
            if ackedAhead.contains(info.id) { continue }
            result.append((info.id, try readPayload(info)))
        }
        return result
    }

    /// The payloads of these entries, in the order given: what the delivery rules chose to send.
    /// Each must be durable and not yet forgotten.
    public func payloads(ofEntries ids: [UInt64]) throws -> [[UInt8]] {
        try ids.map { id in
            guard id <= durableThrough, let info = entry(withID: id) else {
                throw SpoolError.unreadableEntry(id: id, reason: "not in the spool (acknowledged, or not yet durable)")
            }
            return try readPayload(info)
        }
    }

    /// The unacknowledged entries' ids as runs of consecutive ids, ascending (one run, unless a
    /// damaged segment left a hole): what a reopened spool still has to deliver.
    public var unacknowledgedIDRuns: [ClosedRange<UInt64>] {
        var runs: [ClosedRange<UInt64>] = []
        for info in entries[entriesHead...] where !ackedAhead.contains(info.id) {
            if let last = runs.last, last.upperBound + 1 == info.id {
                runs[runs.count - 1] = last.lowerBound...info.id
            } else {
                runs.append(info.id...info.id)
            }
        }
        return runs
    }

    /// The samples an entry carries (0 for anything but a batch, or one the spool does not hold).
    public func sampleCount(ofEntry id: UInt64) -> Int {
        entry(withID: id)?.sampleCount ?? 0
    }

    /// The test an entry belongs to (empty for one that names none), if the spool holds it.
    public func testID(ofEntry id: UInt64) -> String? {
        entry(withID: id)?.testID
    }

    /// Whether an unacknowledged entry older than `id` belongs to the same test: its start or
    /// earlier samples, which a re-send can still deliver before it. When none is left, a gap
    /// the coordinator reports before `id` can never be filled from this spool.
    public func holdsEarlierEntry(ofTestOf id: UInt64) -> Bool {
        guard let test = entry(withID: id)?.testID, !test.isEmpty else { return false }
        var index = entriesHead
        while index < entries.count, entries[index].id < id {
            let info = entries[index]
            if info.testID == test, !ackedAhead.contains(info.id) { return true }
            index += 1
        }
        return false
    }

    private func readPayload(_ info: EntryInfo) throws -> [UInt8] {
        guard let segment = segments.first(where: { $0.firstID == info.segment }) else {
            throw SpoolError.unreadableEntry(id: info.id, reason: "its segment is gone")
        }
        var bytes = [UInt8](repeating: 0, count: info.size)
        var done = 0
        while done < info.size {
            let n = bytes.withUnsafeMutableBytes { pread(segment.fd, $0.baseAddress! + done, info.size - done, off_t(info.offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SpoolError.io(operation: "pread \(segment.path)", errno: errno)
            }
            if n == 0 { throw SpoolError.unreadableEntry(id: info.id, reason: "short read") }
            done += n
        }
        switch SpoolRecord.decode(bytes[...]) {
        case .record(let id, let payload, _) where id == info.id: return Array(payload)
        case .record(let id, _, _): throw SpoolError.unreadableEntry(id: info.id, reason: "found entry \(id) at its place")
        case .truncated: throw SpoolError.unreadableEntry(id: info.id, reason: "truncated")
        case .corrupt(let reason): throw SpoolError.unreadableEntry(id: info.id, reason: reason)
        }
    }

    /// Records acknowledgements (duplicates and unknown ids are ignored) and frees segments whose
    /// entries are all acknowledged. Returns how many samples were newly acknowledged.
    @discardableResult
    public func acknowledge(_ ids: some Sequence<UInt64>) throws -> Int {
        var newlyAcked = 0
        for id in ids where id > ledger.ackedThrough && id < nextID && !ackedAhead.contains(id) {
            guard let info = entry(withID: id) else { continue }
            ackedAhead.insert(id)
            ackedAheadSamples += info.sampleCount
            newlyAcked += info.sampleCount
        }
        // Advance the contiguous acknowledged prefix.
        var advanced = false
        while entriesHead < entries.count, ackedAhead.remove(entries[entriesHead].id) != nil {
            let info = entries[entriesHead]
            ackedAheadSamples -= info.sampleCount
            ledger.ackedSamples += info.sampleCount
            ledger.ackedThrough = info.id
            if info.lastSequence > 0 {
                ledger.testHighSequence[info.testID] = max(ledger.testHighSequence[info.testID] ?? 0, info.lastSequence)
            }
            entriesHead += 1
            advanced = true
        }
        if advanced {
            if entriesHead > 4096, entriesHead * 2 > entries.count {
                entries.removeFirst(entriesHead)
                entriesHead = 0
            }
            try releaseAcknowledgedSegments()
        }
        return newlyAcked
    }

    private func entry(withID id: UInt64) -> EntryInfo? {
        var low = entriesHead, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].id < id { low = mid + 1 } else { high = mid }
        }
        return low < entries.count && entries[low].id == id ? entries[low] : nil
    }

    /// Frees the segments whose entries are all acknowledged, if any: what an acknowledgement
    /// does, tried again by the agent while its disk is full (the ledger store may have failed,
    /// or the active segment become releasable since).
    public func releaseAcknowledged() throws {
        try releaseAcknowledgedSegments()
    }

    /// Ledger first (durably), then unlink: a crash in between leaves a segment whose entries are
    /// already known to be acknowledged, which recovery skips.
    ///
    /// The active segment goes too once everything in it is acknowledged and it is worth it
    /// (`activeReleaseBytes`, or at once on a full disk): the next append starts a new one.
    private func releaseAcknowledgedSegments() throws {
        var releasable = segments.dropLast().filter { $0.lastID <= ledger.ackedThrough && $0.lastID != $0.firstID &- 1 }
        if let active = segments.last, active.lastID != active.firstID &- 1, active.lastID <= ledger.ackedThrough,
           active.size == active.durableSize, !unsyncedNeedRewrite,
           isOutOfSpace || active.size >= configuration.activeReleaseBytes {
            releasable.append(active)
        }
        guard !releasable.isEmpty else { return }
        try storeLedger()
        for segment in releasable {
            unlink(segment.path)
        }
        let released = Set(releasable.map(\.firstID))
        segments.removeAll { released.contains($0.firstID) }
        if isOutOfSpace {
            // Room came back: hold the reserve again before anything else takes it.
            try? reserve.take()
        }
    }

    /// Persists the ledger (clean shutdown), so a restart re-sends as little as possible.
    public func checkpoint() throws {
        try sync()
        try storeLedger()
    }

    /// Persists the ledger alone: what `checkpoint` does after its sync.
    public func storeLedger() throws {
        try storeBeside(SpoolLedger.fileName, ledger.encoded())
    }

    /// Replaces a small file in the spool's directory durably (`DurableFile`). On a full file
    /// system the space reserve is given up for it and the store tried once more; the reserve is
    /// taken again when there is room, before the next append.
    public func storeBeside(_ fileName: String, _ data: Data) throws {
        let url = configuration.directory.appendingPathComponent(fileName)
        do {
            try DurableFile.replace(url, with: data, faults: configuration.faults)
        } catch SpoolError.outOfSpace where reserve.isHeld && reserve.bytes > 0 {
            logger.warning("the spool's file system is full; giving up the space reserve to store a file",
                           metadata: ["file": "\(fileName)", "reserve_bytes": "\(reserve.bytes)"])
            reserve.giveUp()
            do {
                try DurableFile.replace(url, with: data, faults: configuration.faults)
            } catch let error as SpoolError where error.isOutOfSpace {
                isOutOfSpace = true
                throw error
            }
        } catch let error as SpoolError where error.isOutOfSpace {
            isOutOfSpace = true
            throw error
        }
    }
}
