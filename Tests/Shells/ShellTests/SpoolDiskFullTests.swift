import AgentSpool
import Foundation
import Glibc
import Testing
import WireProtocol

/// A full file system is back-pressure, not a fault (docs/delivery.md §2.7): whatever operation
/// finds it full — a record's write, an fdatasync, a new segment, the ledger — fails with
/// `outOfSpace` and leaves the spool exactly as it was, readable by the same process and by a
/// restarted one. The failures are injected (`SpoolFaultInjection`), so each one is hit
/// exactly where it is meant to be; the integration test fills a real file system.
@Suite struct SpoolDiskFullTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spool-diskfull-\(UUID().uuidString)")

    func batch(_ id: UInt64, firstSeq: UInt64, count: Int, test: String = "t") -> Cellfleet_Wire_V1_Envelope {
        SpoolTests().batch(id, test: test, firstSeq: firstSeq, count: count)
    }

    /// Appends `count` batches of `samples` after what the spool holds.
    func appendBatches(_ spool: Spool, _ count: Int, samples: Int = 10) throws {
        for _ in 0..<count {
            let first = spool.highestSequence(forTest: "t") + 1
            try spool.append { self.batch($0, firstSeq: first, count: samples) }
        }
    }

    func files() throws -> [String: [UInt8]] {
        var contents: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            contents[name] = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
        }
        return contents
    }

    func segmentNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("segment-") }.sorted()
    }

    func expectOutOfSpace(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected the spool to find its file system full", sourceLocation: sourceLocation)
        } catch {
            #expect(error.isSpoolOutOfSpace, "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func aWriteCutShortByAFullDiskLeavesTheSegmentAsItWas() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let faults = SpoolFaultInjection()
        let spool = try Spool(configuration: .init(directory: directory, faults: faults))
        try appendBatches(spool, 3)
        try spool.sync()
        let before = try files()
        // The injected fault writes half the record before failing, as a disk filling up does.
        faults.fail(.write, errno: ENOSPC, times: 1)
        expectOutOfSpace { try appendBatches(spool, 1) }
        #expect(try files() == before)
        #expect(spool.isOutOfSpace)
        #expect(spool.lastAppendedID == 3 && spool.producedSampleCount == 30 && spool.highestSequence(forTest: "t") == 30)
        // A quota is the same as a full disk.
        faults.fail(.write, errno: EDQUOT, times: 1)
        expectOutOfSpace { try appendBatches(spool, 1) }
        #expect(try files() == before)

        // Space again: the next append takes the next id, and everything reads back.
        try appendBatches(spool, 1)
        #expect(!spool.isOutOfSpace)
        try spool.sync()
        #expect(try spool.pendingEntries(from: 0, limit: 10).map(\.id) == [1, 2, 3, 4])
        let reopened = try Spool(configuration: .init(directory: directory))
        #expect(reopened.corruptRecordsAtOpen == 0)
        #expect(try reopened.pendingEntries(from: 0, limit: 10).map(\.id) == [1, 2, 3, 4])
        #expect(reopened.highestSequence(forTest: "t") == 40)
    }

    @Test func aFailedSyncIsNotTrustedItsRecordsAreWrittenAgain() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let faults = SpoolFaultInjection()
        let spool = try Spool(configuration: .init(directory: directory, faults: faults))
        try appendBatches(spool, 2)
        try spool.sync()
        let durable = try files()
        try appendBatches(spool, 2)
        faults.fail(.sync, errno: ENOSPC, times: 1)
        expectOutOfSpace { try spool.sync() }
        // Nothing of what the failed sync covered is offered for sending, and the file is cut
        // back to what is known durable: the kernel may have dropped those pages.
        #expect(try spool.pendingEntries(from: 0, limit: 10).map(\.id) == [1, 2])
        #expect(try files() == durable)
        #expect(spool.lastAppendedID == 4)

        // The next append comes after the records written again, not in their place.
        try appendBatches(spool, 1)
        try spool.sync()
        #expect(try spool.pendingEntries(from: 0, limit: 10).map(\.id) == [1, 2, 3, 4, 5])
        let reopened = try Spool(configuration: .init(directory: directory))
        #expect(reopened.corruptRecordsAtOpen == 0)
        #expect(try reopened.pendingEntries(from: 0, limit: 10).map(\.id) == [1, 2, 3, 4, 5])
        #expect(reopened.highestSequence(forTest: "t") == 50)
    }

    @Test func aSegmentThatCannotBeCreatedChangesNothing() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let faults = SpoolFaultInjection()
        let spool = try Spool(configuration: .init(directory: directory, capacityBytes: 1 << 20, segmentBytes: 2048, faults: faults))
        try appendBatches(spool, 2)
        try spool.sync()
        faults.fail(.createSegment, errno: ENOSPC)
        var failedAfter = 2
        do {
            while true {
                try appendBatches(spool, 1)
                failedAfter += 1
            }
        } catch {
            #expect(error.isSpoolOutOfSpace, "\(error)")
        }
        #expect(try segmentNames().count == 1)
        try spool.sync()
        let before = try files()
        expectOutOfSpace { try appendBatches(spool, 1) }
        #expect(try files() == before)
        faults.heal()
        try appendBatches(spool, 3)
        try spool.sync()
        #expect(try segmentNames().count == 2)
        let reopened = try Spool(configuration: .init(directory: directory, capacityBytes: 1 << 20, segmentBytes: 2048))
        #expect(try reopened.pendingEntries(from: 0, limit: 100).map(\.id) == Array(1...UInt64(failedAfter + 3)))
    }

    @Test func theLedgerIsNeverLeftTornAndItsStoreIsTriedAgain() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let faults = SpoolFaultInjection()
        let configuration = Spool.Configuration(directory: directory, capacityBytes: 1 << 20, segmentBytes: 2048, reserveBytes: 0, faults: faults)
        let spool = try Spool(configuration: configuration)
        try appendBatches(spool, 30)
        try spool.sync()
        #expect(try segmentNames().count > 2)
        let ledger = try Data(contentsOf: directory.appendingPathComponent("ledger.json"))
        faults.fail(.storeFile, errno: ENOSPC)
        expectOutOfSpace { try spool.acknowledge(1...20) }
        // The old ledger, whole; no temporary file left taking space; no segment unlinked
        // before the ledger that covers it is stored.
        #expect(try Data(contentsOf: directory.appendingPathComponent("ledger.json")) == ledger)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("ledger.json.tmp").path))
        let segmentsWhileFull = try segmentNames()
        #expect(segmentsWhileFull.count > 2)
        // The acknowledgements count in memory all the same.
        #expect(spool.firstUnackedID == 21)
        // Space again: the segments go once the ledger is stored.
        faults.heal()
        try spool.releaseAcknowledged()
        #expect(try segmentNames().count < segmentsWhileFull.count)
        let reopened = try Spool(configuration: .init(directory: directory, capacityBytes: 1 << 20, segmentBytes: 2048))
        #expect(try reopened.pendingEntries(from: 0, limit: 100).map(\.id) == Array(21...30))
        #expect(reopened.producedSampleCount == 300)
    }

    @Test func theSpaceReserveLetsAcknowledgementsFreeAFullDisk() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let faults = SpoolFaultInjection()
        let spool = try Spool(configuration: .init(directory: directory, capacityBytes: 1 << 20, segmentBytes: 2048, faults: faults))
        let reserve = directory.appendingPathComponent("space-reserve").path
        #expect(FileManager.default.fileExists(atPath: reserve))
        try appendBatches(spool, 30)
        try spool.sync()
        let segmentsBefore = try segmentNames().count
        // The disk is full for the ledger's new copy until the reserve is given up.
        faults.fail(.storeFile, errno: ENOSPC, times: 1)
        try spool.acknowledge(1...20)
        #expect(try segmentNames().count < segmentsBefore)
        #expect(!FileManager.default.fileExists(atPath: reserve))
        // The reserve is taken again before the next record is appended.
        try appendBatches(spool, 1)
        #expect(FileManager.default.fileExists(atPath: reserve))
        // …and if it cannot be, nothing is appended: the spool's own records never take it.
        try spool.sync()
        faults.fail(.storeFile, errno: ENOSPC, times: 1)
        try spool.acknowledge(21...25)
        faults.fail(.reserve, errno: ENOSPC)
        let before = try files()
        expectOutOfSpace { try appendBatches(spool, 1) }
        #expect(try files() == before)
        faults.heal()
        try appendBatches(spool, 1)
        #expect(spool.lastAppendedID == 32)
    }

    @Test func aFullyAcknowledgedActiveSegmentIsReleased() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        // Segments of 4 MiB: a fully acknowledged active one is released from 1 MiB on.
        let configuration = Spool.Configuration(directory: directory, capacityBytes: 64 << 20, segmentBytes: 4 << 20)
        let spool = try Spool(configuration: configuration)
        try appendBatches(spool, 40, samples: 1000)  // about 1.3 MB, one segment
        try spool.sync()
        #expect(try segmentNames().count == 1)
        try spool.acknowledge(1...39)
        #expect(try segmentNames().count == 1)
        try spool.acknowledge([40])
        #expect(try segmentNames().isEmpty)
        #expect(spool.usedBytes == 0)
        #expect(spool.unackedEntryCount == 0 && spool.ackedSampleCount == 40_000)

        // Numbering and totals carry on, in this process and after a restart.
        try appendBatches(spool, 1, samples: 5)
        try spool.sync()
        #expect(try segmentNames() == [String(format: "segment-%020llu.log", 41)])
        let reopened = try Spool(configuration: configuration)
        #expect(try reopened.pendingEntries(from: 0, limit: 10).map(\.id) == [41])
        #expect(reopened.producedSampleCount == 40_005)
        #expect(reopened.highestSequence(forTest: "t") == 40_005)
        #expect(try reopened.append { self.batch($0, firstSeq: 40_006, count: 1) } == 42)
    }

    @Test func aSmallAcknowledgedActiveSegmentWaitsUnlessTheDiskIsFull() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let faults = SpoolFaultInjection()
        let spool = try Spool(configuration: .init(directory: directory, capacityBytes: 64 << 20, segmentBytes: 4 << 20, faults: faults))
        try appendBatches(spool, 3)
        try spool.sync()
        try spool.acknowledge(1...3)
        // An agent keeping up does not replace the ledger and start a segment at every ack.
        #expect(try segmentNames().count == 1)
        try appendBatches(spool, 2)
        try spool.sync()
        faults.fail(.write, errno: ENOSPC)
        expectOutOfSpace { try appendBatches(spool, 1) }
        // On a full disk every acknowledged byte is given back at once.
        try spool.acknowledge(4...5)
        #expect(try segmentNames().isEmpty)
        faults.heal()
        try appendBatches(spool, 1)
        try spool.sync()
        #expect(try spool.pendingEntries(from: 0, limit: 10).map(\.id) == [6])
    }

    @Test func aSpoolOpensAndDeliversOnAFullDisk() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let spool = try Spool(configuration: .init(directory: directory))
            try appendBatches(spool, 5)
            try spool.sync()
            try spool.acknowledge([1])
            try spool.checkpoint()
        }
        // Restarted with no room for anything: it opens and offers what it holds.
        let faults = SpoolFaultInjection()
        for operation in [SpoolFaultInjection.Operation.write, .sync, .createSegment, .storeFile, .reserve] {
            faults.fail(operation, errno: ENOSPC)
        }
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("space-reserve"))
        let reopened = try Spool(configuration: .init(directory: directory, faults: faults))
        #expect(reopened.isOutOfSpace)
        #expect(try reopened.pendingEntries(from: 0, limit: 10).map(\.id) == [2, 3, 4, 5])
        expectOutOfSpace { try appendBatches(reopened, 1) }
        faults.heal()
        try appendBatches(reopened, 1)
        try reopened.sync()
        #expect(try reopened.pendingEntries(from: 0, limit: 10).map(\.id) == [2, 3, 4, 5, 6])
    }

    @Test func aNewSpoolOnAFullDiskStoresItsLedgerBeforeItsFirstRecord() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let faults = SpoolFaultInjection()
        faults.fail(.storeFile, errno: ENOSPC)
        faults.fail(.reserve, errno: ENOSPC)
        let spool = try Spool(configuration: .init(directory: directory, faults: faults))
        #expect(spool.isOutOfSpace)
        expectOutOfSpace { try appendBatches(spool, 1) }
        #expect(try files().isEmpty)
        faults.heal()
        try appendBatches(spool, 1)
        try spool.sync()
        #expect(try files().keys.sorted() == ["ledger.json", String(format: "segment-%020llu.log", 1), "space-reserve"])
        let reopened = try Spool(configuration: .init(directory: directory))
        #expect(reopened.epoch == spool.epoch)
        #expect(try reopened.pendingEntries(from: 0, limit: 10).map(\.id) == [1])
    }
}
