import Foundation
import PropertyBased
@testable import CyclerReaders
import Testing

// A reader stopped anywhere hands out a resume token (record index, text position, carried
// state); saved through Codable and restored into a fresh reader of the same file, the rest of
// the records are those of one uninterrupted read. Split points near the start fall among the
// records held back while the test-time unit is decided.

private func describe(_ reader: inout CyclerRecordReader, upTo limit: Int = .max) throws -> [String] {
    var all: [String] = []
    while all.count < limit, let r = try reader.next() { all.append(String(describing: r)) }
    return all
}

/// Reads `count` records without describing them (the prefix before a cut is read by the same
/// code as the straight read; describing every record in debug builds dominated these tests).
private func skip(_ reader: inout CyclerRecordReader, _ count: Int) throws {
    var read = 0
    while read < count, try reader.next() != nil { read += 1 }
}

private struct StraightRead {
    var records: [String]
    var warnings: [String]
}

/// Text fixtures a tailing source could follow. The layered Neware export is left out: its
/// record rows inherit cycle and step rows that `DelimitedTextSource.ResumePoint` does not carry.
private let resumableTextFixtures: [String] = {
    var paths = permissiveTextFixtures.map { FixturePaths.fixture($0.path) }
    paths += ["maccor_csv/sample_data_maccor.csv", "synthetic/basytec_synthetic.txt", "synthetic/land_synthetic.csv"].map { FixturePaths.fixture($0) }
    if FixturePaths.sharedAvailable { paths += gplTextFixtures.map { FixturePaths.sharedFixture($0.path) } }
    return paths
}()

@Test func aTextExportResumedFromASavedTokenReadsAsOneUninterruptedRead() async throws {
    let library = try FixturePaths.library()
    var straight: [String: StraightRead] = [:]
    for path in resumableTextFixtures {
        var reader = try CyclerFile.open(path: path, library: library)
        let records = try describe(&reader)
        #expect(records.count >= 2, "\(path)")
        straight[path] = StraightRead(records: records, warnings: reader.warnings)
    }
    // Small split points often (the held-back opening records), any other point too.
    let fixtures = resumableTextFixtures
    await propertyCheck(count: 60, input: Gen.int(in: 0...(fixtures.count - 1)), Gen.bool, Gen.int(in: 1...3), Gen.int(in: 1...1_000_000)) { which, early, small, any in
        let path = fixtures[which]
        let expected = try #require(straight[path])
        let cut = early ? min(small, expected.records.count - 1) : 1 + any % (expected.records.count - 1)
        var first = try CyclerFile.open(path: path, library: library)
        try skip(&first, cut)
        let saved = try JSONEncoder().encode(first.resumeToken)
        let token = try JSONDecoder().decode(CyclerResumeToken.self, from: saved)
        #expect(token == first.resumeToken)
        #expect(token.recordIndex == cut)
        #expect(first.position == cut)
        var options = CyclerFile.Options()
        let text = try #require(token.text)
        options.resumeFrom = text
        var second = try CyclerFile.open(path: path, library: library, options: options)
        second.restore(token.state)
        let seen = try describe(&second)
        #expect(seen == Array(expected.records[cut...]), "\(path) resumed after \(cut)")
        #expect(first.warnings + second.warnings == expected.warnings, "\(path) resumed after \(cut)")
    }
}

@Test func aColumnarBinaryResumedFromASavedTokenReadsAsOneUninterruptedRead() async throws {
    let library = try FixturePaths.library()
    let path = BinaryFixtures.local("nw4-120-1-6-53.ndax").path
    var full = try CyclerFile.open(path: path, library: library)
    let expected = try allRecords(&full)
    await propertyCheck(count: 25, input: Gen.int(in: 1...(expected.count - 1))) { cut in
        var first = try CyclerFile.open(path: path, library: library)
        try skip(&first, cut)
        let token = try JSONDecoder().decode(CyclerResumeToken.self, from: JSONEncoder().encode(first.resumeToken))
        #expect(token.text == nil)
        #expect(token.recordIndex == cut)
        var source = try NewareNDAXReader.open(url: URL(fileURLWithPath: path))
        source.seek(to: token.recordIndex)
        var second = try CyclerRecordReader(source: source, profile: first.profile, file: path)
        #expect(second.readsColumnBlocks)
        second.restore(token.state)
        #expect(sameRecords(try allRecords(&second), expected[cut...]), "resumed after \(cut)")
    }
}

@Test func whileTheOpeningRecordsAreHeldBackPositionAndStateAreThoseOfTheRecordsHandedOut() throws {
    // neware_uio.csv has a clock and a test-time column: its first records are held back until
    // the clock has moved 10 s. The position and carried state must follow the records handed
    // out, not the records read ahead.
    let path = FixturePaths.fixture("neware_csv/neware_uio.csv")
    let library = try FixturePaths.library()
    var reader = try CyclerFile.open(path: path, library: library)
    let first = try #require(try reader.next())
    #expect(first.recordIndex == 0)
    #expect(reader.position == 1)
    #expect(reader.state.previousTestTime == first.sample.testTimeSeconds)
    #expect(reader.resumeToken.text?.recordIndex == 1)
    let second = try #require(try reader.next())
    #expect(reader.position == 2)
    #expect(reader.state.previousTestTime == second.sample.testTimeSeconds)
}
