import Foundation
@testable import CyclerReaders
import Testing

// The text reader parses the fields it needs straight from the line buffer (`FieldSpans`)
// instead of going through a `RawValue` per field. These tests hold that path to the generic
// one it replaced: the same file read both ways must give the same records, field for field.

/// Hides the concrete type so that `CyclerRecordReader` takes its generic `RawValue` path.
private struct GenericPathSource: RawRecordSource {
    var inner: DelimitedTextSource
    var format: String { inner.format }
    var columnNames: [String] { inner.columnNames }
    var metadata: [String: String] { inner.metadata }
    var position: Int { inner.position }
    var inheritedColumnsStart: Int? { inner.inheritedColumnsStart }
    mutating func next(into row: inout [RawValue]) throws -> Bool { try inner.next(into: &row) }
}

/// Both readers of one text file, with the columns `CyclerFile.open` would parse.
private func bothReaders(_ path: String, library: ProfileLibrary) throws -> (fast: CyclerRecordReader, generic: CyclerRecordReader) {
    let fast = try CyclerFile.open(path: path, library: library)
    let detected = try #require(try TextExportProbe.layout(path: path, library: library))
    let layout = detected.layout
    let names = layout.layered.map { $0.recordColumns + $0.cycleColumns + $0.stepColumns } ?? layout.columnNames
    let resolved = try CyclerRecordReader.resolveColumns(names: names, profile: fast.profile, file: path, inheritedFrom: layout.layered?.recordColumns.count)
    var wanted = Set<String>()
    for (role, column) in resolved {
        if role == .recordIndex { continue }
        if role == .stepTime, resolved[.testTime] != nil || resolved[.timestamp] != nil { continue }
        wanted.insert(column.name)
    }
    let source = try DelimitedTextSource(path: path, format: "text", layout: layout, wantedColumns: wanted)
    let generic = try CyclerRecordReader(source: GenericPathSource(inner: source), profile: fast.profile, file: path)
    return (fast, generic)
}

/// Every record of both readers, printed in full (NaN-safe, and distinct doubles print differently).
private func records(_ reader: inout CyclerRecordReader) throws -> [String] {
    var all: [String] = []
    while let r = try reader.next() { all.append(String(describing: r)) }
    return all
}

private func textFixturePaths() -> [String] {
    var paths = permissiveTextFixtures.map { FixturePaths.fixture($0.path) }
    paths += ["maccor_csv/sample_data_maccor.csv", "synthetic/basytec_synthetic.txt", "synthetic/land_synthetic.csv", "synthetic/neware_layered_synthetic.csv",
              "synthetic/maccor_metadata_tab.txt", "synthetic/maccor_metadata_no_rec.txt", "synthetic/neware_btsda_layered_ah.csv"]
        .map { FixturePaths.fixture($0) }
    if FixturePaths.sharedAvailable { paths += gplTextFixtures.map { FixturePaths.sharedFixture($0.path) } }
    return paths
}

@Test func byteRangePathGivesTheRecordsOfTheGenericPathOnEveryTextFixture() throws {
    let library = try FixturePaths.library()
    if !FixturePaths.sharedAvailable { print("skipping the GPL BioLogic .mpt fixtures: \(FixturePaths.shared.path) is absent") }
    for path in textFixturePaths() {
        var (fast, generic) = try bothReaders(path, library: library)
        let a = try records(&fast)
        let b = try records(&generic)
        #expect(a.count == b.count, "\(path)")
        #expect(!a.isEmpty, "\(path)")
        if let k = (0..<min(a.count, b.count)).first(where: { a[$0] != b[$0] }) {
            Issue.record("\(path): record \(k) differs:\n fast    \(a[k])\n generic \(b[k])")
        }
        // And the BDF text written from them.
        var (fast2, generic2) = try bothReaders(path, library: library)
        var textA = ""
        var textB = ""
        try BatteryDataFormatWriter.convert(reader: &fast2) { textA += $0 }
        try BatteryDataFormatWriter.convert(reader: &generic2) { textB += $0 }
        #expect(textA == textB, "\(path)")
    }
}

@Test func byteRangePathAgreesOnAwkwardFields() throws {
    // Quotes (with delimiters inside, in skipped columns and after the last parsed one), padding, empty and
    // non-numeric fields, Latin-1 text, a trailing delimiter, a cut-short last line.
    let text = """
    Data_Point,Test_Time,DateTime,Step_Time,Step_Index,Cycle_Index,Current,Voltage,Charge_Capacity,Discharge_Capacity,Charge_Energy,Discharge_Energy,Note
    1,0,2017-07-02 14:39:13,0,1,1,0.5,3.2796359,0.1,0,0.2,0,"a, b"
    2,"5.5", 2017-07-02 14:39:18.25 ,5.5,1,1, 0.5 ,3.30,0.2,0,0.3,0,plain
    "3",10,2017-07-02 14:39:23,"10,0",1,1,,3.31,0.3,0,0.4,0,"x,y,z"
    4,15,07/02/2017 14:39:28\u{00B5},15,2,1,-0.5,3.1,0.3,0.01,0.4,0.02,\u{00B5}A
    5,20,2017-07-02 14:39:33,20,2,1,-0.5,3.0,N/A,0.02,0.4,0.03,
    6,25,2017-07-03 00:00:01,25,2,2,-0.5,2.9,0.3,0.03,0.4,0.04,"unterminated
    7,30,2017-07-03 00:00:06,30,2,2,-0.5,2.8
    """
    var bytes = Array(text.utf8)
    // `µ` as Windows-1252 writes it (one byte), not UTF-8.
    while let k = bytes.firstIndex(of: 0xC2), bytes[k + 1] == 0xB5 { bytes.remove(at: k) }
    let path = try FixturePaths.temporaryFile("awkward.csv", contents: bytes)
    let library = try FixturePaths.library()
    var (fast, generic) = try bothReaders(path, library: library)
    let a = try records(&fast)
    let b = try records(&generic)
    #expect(a.count == 7)
    #expect(a == b)
    // Only the concrete text source can tell that its last record was cut short.
    #expect(fast.warnings.contains { $0.contains("cut short") })
}

@Test func extraFieldsAreStillRefusedOnTheByteRangePath() throws {
    let text = """
    Data_Point,Test_Time,Current,Voltage,Cycle_Index,Step_Index
    1,0,0.5,3.2,1,1
    2,1,0.5,3.3,1,1,surplus
    """
    let path = try FixturePaths.temporaryFile("extra.csv", text: text)
    var reader = try CyclerFile.open(path: path, library: try FixturePaths.library())
    #expect(throws: CyclerReadError.self) { while try reader.next() != nil {} }
}

@Test func dateCacheGivesWhatTheFullParserGives() {
    var generator = SystemRandomNumberGenerator()
    var cache = TimeParsing.DateCache()
    func check(_ text: String, _ order: TimeParsing.DateOrder?) {
        var copy = text
        let expected = TimeParsing.naiveEpochSeconds(text, order: order)
        let got = copy.withUTF8 { cache.naiveEpochSeconds(bytes: $0, order: order) }
        #expect(got == expected || (got?.isNaN == true && expected?.isNaN == true), "\(text)")
    }
    let fixed = [
        "2022-05-18 16:27:52", "2022-05-18 16:27:53", "2022-05-18 16:27:52.125", "2022-05-18 24:00:00",
        "2022-05-18 23:60:00", "2022-05-18 23:59:60.5", "2022-05-19 00:00:00", "2022-13-19 00:00:00",
        "05/18/2022 04:27:52 PM", "05/18/2022 12:00:00 AM", "18.05.2022 16:27:52", "18.05.2022 16:27",
        "23-Nov-23 3:56:11 PM", "2022-05-18 16:27:52.", "2022-05-18 16:27:52.1.2", "2022-05-18 16:27:52,5",
        "2022 05 18 16:27:52", "2022-05-18  16:27:52", "1/2/2023 1:2:3", "2022-05-18 123456:00:00",
        "2022-05-18 16:27:52 +02:00", "x2022-05-18 16:27:52", "2022-05-18 16:27:52",
    ]
    for text in fixed {
        for order in [nil, TimeParsing.DateOrder.mdy, .dmy, .ymd] { check(text, order) }
    }
    for _ in 0..<20_000 {
        let y = Int.random(in: 1890...2210, using: &generator)
        let mo = Int.random(in: 0...13, using: &generator)
        let d = Int.random(in: 0...32, using: &generator)
        let h = Int.random(in: 0...25, using: &generator)
        let mi = Int.random(in: 0...61, using: &generator)
        let s = Int.random(in: 0...62, using: &generator)
        let fraction = Bool.random(using: &generator) ? "" : "." + String(Int.random(in: 0...999_999, using: &generator))
        let date = switch Int.random(in: 0...2, using: &generator) {
        case 0: String(format: "%04d-%02d-%02d", y, mo, d)
        case 1: String(format: "%02d/%02d/%04d", mo, d, y)
        default: String(format: "%d.%d.%d", d, mo, y % 100)
        }
        let text = date + " " + String(format: "%d:%02d:%02d", h, mi, s) + fraction
        check(text, nil)
        check(text, .dmy)
    }
}

@Test func wordAtATimeScansMatchByteByByteScans() {
    var generator = SystemRandomNumberGenerator()
    let alphabet: [UInt8] = Array("0123456789.,;\t\" -Ee".utf8) + [0x80, 0xFF, 0x7F]
    for _ in 0..<5_000 {
        let count = Int.random(in: 0...40, using: &generator)
        let bytes = (0..<count).map { _ in alphabet.randomElement(using: &generator)! }
        for delimiter in [UInt8(ascii: ","), UInt8(ascii: ";"), 0x09] {
            bytes.withUnsafeBufferPointer { b in
                let base = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
                for from in stride(from: 0, through: count, by: 3) {
                    let expectedNext = (from..<count).first { b[$0] == delimiter } ?? count
                    #expect(DelimitedTextSource.nextDelimiter(base, from, count, delimiter: delimiter) == expectedNext)
                    let expectedCount = (from..<count).filter { b[$0] == delimiter }.count
                    let expectedQuote = (from..<count).contains { b[$0] == UInt8(ascii: "\"") }
                    let (n, quote) = DelimitedTextSource.countDelimiters(base, from, count, delimiter: delimiter, quote: UInt8(ascii: "\""))
                    #expect(n == expectedCount)
                    #expect(quote == expectedQuote)
                    for skip in 1...3 {
                        // Just past the skip-th delimiter, counted byte by byte.
                        var seen = 0
                        var expectedAfter: Int? = nil
                        for k in from..<count where b[k] == delimiter {
                            seen += 1
                            if seen == skip { expectedAfter = k + 1; break }
                        }
                        let got = DelimitedTextSource.skipDelimiters(base, from, count, count: skip, delimiter: delimiter, quote: UInt8(ascii: "\""))
                        if let got {
                            #expect(got == expectedAfter)
                            #expect(!(from..<got).contains { b[$0] == UInt8(ascii: "\"") })
                        } else {
                            // Refused only when the line ends first or a quote could hide a delimiter.
                            #expect(expectedAfter == nil || expectedQuote)
                        }
                    }
                }
            }
        }
    }
}
