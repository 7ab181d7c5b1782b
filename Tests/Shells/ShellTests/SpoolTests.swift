import AgentSpool
import Foundation
import Testing
import WireProtocol

/// The spool is the agent's promise that nothing is lost: these tests reopen it the way a
/// restarted (or killed) agent does and check what survives.
@Suite struct SpoolTests {
    func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("spool-test-\(UUID().uuidString)")
        return url
    }

    func batch(_ id: UInt64, test: String, firstSeq: UInt64, count: Int) -> Cellfleet_Wire_V1_Envelope {
        var batch = Cellfleet_Wire_V1_SampleBatch()
        batch.deliveryID = id
        batch.testID = test
        batch.firstSeq = firstSeq
        batch.testTimeS = (0..<count).map { Double(firstSeq) + Double($0) }
        batch.voltageV = Array(repeating: 0.2, count: count)
        batch.currentA = Array(repeating: 1e-4, count: count)
        batch.unixTimeS = Array(repeating: 1.7e9, count: count)
        var envelope = Cellfleet_Wire_V1_Envelope()
        envelope.protocolVersion = 1
        envelope.body = .sampleBatch(batch)
        return envelope
    }

    @Test func createsItsDirectoryAndSurvivesReopen() throws {
        let directory = temporaryDirectory().appendingPathComponent("nested/spool")
        do {
            let spool = try Spool(configuration: .init(directory: directory))
            for i in 0..<10 {
                try spool.append { self.batch($0, test: "t1", firstSeq: UInt64(i * 5 + 1), count: 5) }
            }
            try spool.sync()
            #expect(try spool.pendingEntries(from: 0, limit: 100).count == 10)
        }
        let reopened = try Spool(configuration: .init(directory: directory))
        #expect(reopened.producedSampleCount == 50)
        #expect(reopened.unackedEntryCount == 10)
        #expect(reopened.highestSequence(forTest: "t1") == 50)
        let pending = try reopened.pendingEntries(from: 0, limit: 100)
        #expect(pending.map(\.id) == Array(1...10))
        let envelope = try Cellfleet_Wire_V1_Envelope(serializedBytes: pending[3].payload)
        guard case .sampleBatch(let b) = envelope.body else { Issue.record("not a batch"); return }
        #expect(b.firstSeq == 16)
        #expect(b.deliveryID == 4)
    }

    @Test func acknowledgedEntriesAreNotResentAfterRestartAndSegmentsAreFreed() throws {
        let directory = temporaryDirectory()
        let config = Spool.Configuration(directory: directory, capacityBytes: 1 << 20, segmentBytes: 2048)
        let usedBefore: Int
        do {
            let spool = try Spool(configuration: config)
            for i in 0..<40 { try spool.append { self.batch($0, test: "t", firstSeq: UInt64(i * 10 + 1), count: 10) } }
            try spool.sync()
            usedBefore = spool.usedBytes
            // out of order: 1…25 acknowledged except 7, then 7
            #expect(try spool.acknowledge(Array(1...6) + Array(8...25)) == 240)
            #expect(spool.firstUnackedID == 7)
            try spool.acknowledge([7, 7, 999])
            #expect(spool.firstUnackedID == 26)
            #expect(spool.ackedSampleCount == 250)
            #expect(spool.usedBytes < usedBefore)
        }
        let reopened = try Spool(configuration: config)
        #expect(reopened.producedSampleCount == 400)
        let pending = try reopened.pendingEntries(from: 0, limit: 1000)
        // Segments not yet released may still hold acknowledged entries; those are never resent.
        #expect(pending.first?.id == 26)
        #expect(pending.count == 15)
        #expect(reopened.highestSequence(forTest: "t") == 400)
    }

    @Test func aTornTailIsDroppedAndTheRestKept() throws {
        let directory = temporaryDirectory()
        do {
            let spool = try Spool(configuration: .init(directory: directory))
            for i in 0..<3 { try spool.append { self.batch($0, test: "t", firstSeq: UInt64(i + 1), count: 1) } }
            try spool.sync()
        }
        let segment = try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasPrefix("segment-") }!
        let path = directory.appendingPathComponent(segment).path
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0x40, 0, 0, 0, 1, 2, 3]))  // a header cut short by a crash
        try handle.close()
        let reopened = try Spool(configuration: .init(directory: directory))
        #expect(reopened.unackedEntryCount == 3)
        let id = try reopened.append { self.batch($0, test: "t", firstSeq: 4, count: 1) }
        #expect(id == 4)
        try reopened.sync()
        let again = try Spool(configuration: .init(directory: directory))
        #expect(try again.pendingEntries(from: 0, limit: 10).map(\.id) == [1, 2, 3, 4])
    }

    @Test func aDamagedRecordIsCountedNotFatal() throws {
        let directory = temporaryDirectory()
        do {
            let spool = try Spool(configuration: .init(directory: directory))
            for i in 0..<3 { try spool.append { self.batch($0, test: "t", firstSeq: UInt64(i + 1), count: 1) } }
            try spool.sync()
        }
        let segment = try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasPrefix("segment-") }!
        let url = directory.appendingPathComponent(segment)
        var bytes = try [UInt8](Data(contentsOf: url))
        bytes[bytes.count - 3] ^= 0xFF  // bit rot in the last record's payload
        try Data(bytes).write(to: url)
        let reopened = try Spool(configuration: .init(directory: directory))
        #expect(reopened.corruptRecordsAtOpen == 1)
        #expect(reopened.unackedEntryCount == 2)
    }

    @Test func capacityIsABoundNotALoss() throws {
        let spool = try Spool(configuration: .init(directory: temporaryDirectory(), capacityBytes: 8192, segmentBytes: 2048))
        var appended = 0
        while spool.hasRoom(forBytes: 400) {
            try spool.append { self.batch($0, test: "t", firstSeq: UInt64(appended * 10 + 1), count: 10) }
            appended += 1
        }
        #expect(appended > 5)
        #expect(spool.usedBytes <= 8192)
        try spool.sync()
        // Acknowledging frees whole segments and makes room again.
        try spool.acknowledge(1...UInt64(appended))
        #expect(spool.hasRoom(forBytes: 400))
        #expect(spool.ackedSampleCount == appended * 10)
    }

    @Test func onlyDurableEntriesAreOfferedForSending() throws {
        let spool = try Spool(configuration: .init(directory: temporaryDirectory()))
        try spool.append { self.batch($0, test: "t", firstSeq: 1, count: 1) }
        #expect(try spool.pendingEntries(from: 0, limit: 10).isEmpty)
        try spool.sync()
        #expect(try spool.pendingEntries(from: 0, limit: 10).count == 1)
    }
}
