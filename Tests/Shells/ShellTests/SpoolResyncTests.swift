import AgentSpool
import Foundation
import Testing
import WireProtocol

/// Damage inside a spool segment (issue 17 §4): recovery resynchronises at the next record whose
/// framing and checksum hold, keeps everything readable after the hole, and says which test's
/// deliveries are still held — what the agent needs to declare the hole to the coordinator.
@Suite struct SpoolResyncTests {
    let spoolTests = SpoolTests()

    /// A spool of `count` one-sample batches of test "t", then the segment's bytes and path.
    func damagedSpool(count: Int, damage: (inout [UInt8]) -> Void) throws -> URL {
        let directory = spoolTests.temporaryDirectory()
        do {
            let spool = try Spool(configuration: .init(directory: directory))
            for i in 0..<count { try spool.append { spoolTests.batch($0, test: i % 2 == 0 ? "t" : "u", firstSeq: UInt64(i / 2 + 1), count: 1) } }
            try spool.sync()
        }
        let segment = try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasPrefix("segment-") }!
        let url = directory.appendingPathComponent(segment)
        var bytes = try [UInt8](Data(contentsOf: url))
        damage(&bytes)
        try Data(bytes).write(to: url)
        return directory
    }

    @Test func bytesFlippedEarlyInASegmentLoseOnlyTheirRecords() throws {
        // Each record is the same size; flip bytes inside the second and third.
        var recordSize = 0
        let directory = try damagedSpool(count: 40) { bytes in
            recordSize = bytes.count / 40
            for offset in stride(from: recordSize + 20, to: 3 * recordSize - 4, by: 7) { bytes[offset] ^= 0x5A }
        }
        let reopened = try Spool(configuration: .init(directory: directory))
        #expect(reopened.corruptRecordsAtOpen >= 1)
        #expect(reopened.damagedBytesAtOpen >= recordSize)
        #expect(reopened.unackedEntryCount == 38, "everything after the hole is kept")
        #expect(reopened.unacknowledgedIDRuns == [1...1, 4...40])
        // Every kept entry reads back whole.
        let payloads = try reopened.payloads(ofEntries: [1] + Array(4...40))
        #expect(payloads.count == 38)
        for payload in payloads { _ = try Cellfleet_Wire_V1_Envelope(serializedBytes: payload) }
        // Entry 4 (test "u", seq 2) has nothing older of its test held: entry 2 was lost. Entry 5
        // (test "t", seq 3) still has entry 1 (seq 1) before it.
        #expect(reopened.testID(ofEntry: 4) == "u")
        #expect(!reopened.holdsEarlierEntry(ofTestOf: 4))
        #expect(reopened.holdsEarlierEntry(ofTestOf: 5))
        // The damaged bytes are kept once for forensics; a second opening finds the same hole.
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(names.filter { $0.contains(".damaged-") }.count == 1, "\(names)")
        let again = try Spool(configuration: .init(directory: directory))
        #expect(again.unacknowledgedIDRuns == [1...1, 4...40])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".damaged-") }.count == 1)
        // The spool goes on: appends after the hole get new ids and read back.
        try again.append { spoolTests.batch($0, test: "t", firstSeq: 100, count: 1) }
        try again.sync()
        #expect(again.lastAppendedID == 41)
        #expect(try again.payloads(ofEntries: [41]).count == 1)
    }

    @Test func aDamagedLengthFieldIsSkippedToo() throws {
        // A length that claims more than the file holds looks like a torn write, but valid
        // records follow it: it is damage, and they are kept.
        let directory = try damagedSpool(count: 10) { bytes in
            bytes[0] = 0xFF
            bytes[1] = 0xFF
            bytes[2] = 0x7F
        }
        let reopened = try Spool(configuration: .init(directory: directory))
        #expect(reopened.unacknowledgedIDRuns == [2...10])
        #expect(reopened.corruptRecordsAtOpen == 1)
    }

    @Test func aTornTailIsStillJustDropped() throws {
        let directory = try damagedSpool(count: 5) { bytes in bytes.removeLast(9) }
        let reopened = try Spool(configuration: .init(directory: directory))
        #expect(reopened.unacknowledgedIDRuns == [1...4])
        #expect(reopened.corruptRecordsAtOpen == 0, "an interrupted write is not damage")
    }

    @Test func randomDamageNeverLosesARecordItDidNotTouch() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<30 {
            var touched: [Range<Int>] = []
            var recordSize = 0
            let directory = try damagedSpool(count: 30) { bytes in
                recordSize = bytes.count / 30
                let start = Int.random(in: 0..<(bytes.count - 64), using: &random)
                let length = Int.random(in: 1...64, using: &random)
                for offset in start..<(start + length) { bytes[offset] = UInt8.random(in: 0...255, using: &random) }
                touched.append(start..<(start + length))
            }
            let reopened = try Spool(configuration: .init(directory: directory))
            let kept = Set(reopened.unacknowledgedIDRuns.flatMap { Array($0) })
            for id in 1...30 {
                let record = ((id - 1) * recordSize)..<(id * recordSize)
                if !touched.contains(where: { $0.overlaps(record) }) {
                    #expect(kept.contains(UInt64(id)), "record \(id) was not damaged (\(touched), size \(recordSize))")
                }
            }
        }
    }
}
