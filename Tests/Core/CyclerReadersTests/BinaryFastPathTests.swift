import CellModel
import Foundation
@testable import CyclerReaders
import Testing

// Columnar binary sources (.nda, .ndax, .mpr) are normalised from blocks of typed columns
// (`ColumnBlockSource`) instead of a `RawValue` per field. These tests hold that path to the
// generic one it replaced: the same file read both ways must give the same records, field for
// field, and resuming from a saved position must give what one uninterrupted read gives.

/// Hides the concrete type so that `CyclerRecordReader` takes its generic `RawValue` path.
private struct GenericPathSource: RawRecordSource {
    var inner: any RawRecordSource
    var format: String { inner.format }
    var columnNames: [String] { inner.columnNames }
    var metadata: [String: String] { inner.metadata }
    var position: Int { inner.position }
    mutating func next(into row: inout [RawValue]) throws -> Bool { try inner.next(into: &row) }
}

/// The raw source `CyclerFile.open` would build for a binary file.
private func rawSource(_ path: String) throws -> any RawRecordSource {
    let head = try TextLayoutSniffer.readHead(path: path)
    let container = try #require(CyclerFile.binaryContainer(head: head))
    return try RecordSourceDecoders.builtIn.open(container: container, path: path)
}

/// Every record, printed in full (NaN-safe, and distinct doubles print differently).

private func columnarFixturePaths() -> [String] {
    var paths = ["nw4-120-1-6-53.ndax", "test.ndax", "123456789012_Unit27_Example_Data_File.ndax", "TestFile.nda",
                 "nda_v29_synthetic.nda", "fuzz_seed_small.nda", "250116_kigr_gen6_01_02_GCPL_CD8.mpr", "fuzz_seed_small.mpr"]
        .map { BinaryFixtures.local($0).path }
    if BinaryFixtures.hasShared {
        for folder in ["biologic_mpr", "neware_nda", "neware_ndax"] {
            let dir = BinaryFixtures.shared.appendingPathComponent(folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            paths += names.filter { $0.hasSuffix(".mpr") || $0.hasSuffix(".nda") || $0.hasSuffix(".ndax") }.sorted()
                .map { dir.appendingPathComponent($0).path }
        }
    } else {
        print("skipping the GPL binary fixtures: \(BinaryFixtures.shared.path) is absent")
    }
    return paths
}

@Test func columnBlockPathGivesTheRecordsOfTheGenericPathOnEveryBinaryFixture() throws {
    let library = try FixturePaths.library()
    let paths = columnarFixturePaths()
    #expect(paths.count >= 8)
    for path in paths {
        var fast = try CyclerFile.open(path: path, library: library)
        #expect(fast.readsColumnBlocks, "\(path) is not read through column blocks")
        var generic = try CyclerRecordReader(source: GenericPathSource(inner: try rawSource(path)), profile: fast.profile, file: path)
        #expect(!generic.readsColumnBlocks)
        let a = try allRecords(&fast)
        let b = try allRecords(&generic)
        #expect(!a.isEmpty, "\(path)")
        #expect(a.count == b.count, "\(path)")
        if let k = (0..<min(a.count, b.count)).first(where: { !sameRecord(a[$0], b[$0]) }) {
            Issue.record("\(path): record \(k) differs:\n fast    \(a[k])\n generic \(b[k])")
        }
        #expect(fast.warnings == generic.warnings, "\(path)")
        #expect(fast.position == generic.position, "\(path)")
        // And the BDF text written from them.
        var fast2 = try CyclerFile.open(path: path, library: library)
        var generic2 = try CyclerRecordReader(source: GenericPathSource(inner: try rawSource(path)), profile: fast2.profile, file: path)
        var textA = ""
        var textB = ""
        try BatteryDataFormatWriter.convert(reader: &fast2) { textA += $0 }
        try BatteryDataFormatWriter.convert(reader: &generic2) { textB += $0 }
        #expect(textA == textB, "\(path)")
    }
}

@Test func resumingABinaryFileThroughBlocksGivesTheUninterruptedRead() throws {
    let library = try FixturePaths.library()
    // 18 700 records: stops inside a block, on a block boundary and just after one.
    let path = BinaryFixtures.local("nw4-120-1-6-53.ndax").path
    var full = try CyclerFile.open(path: path, library: library)
    let expected = try allRecords(&full)
    for stop in [1, 700, ColumnBlocks.recordsPerBlock, ColumnBlocks.recordsPerBlock + 1, 9_999, expected.count - 1] {
        var first = try CyclerFile.open(path: path, library: library)
        var seen: [CyclerRecord] = []
        while seen.count < stop, let r = try first.next() { seen.append(r) }
        #expect(first.position == stop)
        var source = try #require(try rawSource(path) as? DecodedTableSource)
        source.seek(to: first.position)
        var second = try CyclerRecordReader(source: source, profile: first.profile, file: path)
        #expect(second.readsColumnBlocks)
        #expect(second.position == stop)
        second.restore(first.state)
        seen += try allRecords(&second)
        #expect(sameRecords(seen, expected), "resumed at \(stop)")
    }
}

@Test func resumingAnMPRThroughBlocksGivesTheUninterruptedRead() throws {
    let library = try FixturePaths.library()
    let path = BinaryFixtures.local("250116_kigr_gen6_01_02_GCPL_CD8.mpr").path
    var full = try CyclerFile.open(path: path, library: library)
    let expected = try allRecords(&full)
    for stop in [3, ColumnBlocks.recordsPerBlock - 1, 2_000] {
        var first = try CyclerFile.open(path: path, library: library)
        var seen: [CyclerRecord] = []
        while seen.count < stop, let r = try first.next() { seen.append(r) }
        var source = try BioLogicMPRSource(url: URL(fileURLWithPath: path))
        source.seek(to: first.position)
        var second = try CyclerRecordReader(source: source, profile: first.profile, file: path)
        second.restore(first.state)
        seen += try allRecords(&second)
        #expect(sameRecords(seen, expected), "resumed at \(stop)")
    }
}

@Test func blocksKeepMissingValuesLabelsAndNaNAsTheGenericPathDoes() throws {
    // NaN is "no value" in a decoded table; a status code past the name table is no label; a
    // table longer than a block; labels that change, repeat and come back.
    let n = ColumnBlocks.recordsPerBlock * 2 + 37
    let names = ["CC_Chg", "CC_DChg", "Rest", "CCCV_Chg"]
    var status: [UInt8] = []
    var time: [Double] = [], voltage: [Double] = [], current: [Double] = [], stamp: [Double] = [], temperature: [Double] = []
    for k in 0..<n {
        let code = UInt8((k / 40) % 5)  // 4 is past the table
        status.append(code)
        time.append(k % 97 == 5 ? .nan : Double(k % 40))
        voltage.append(k % 13 == 0 ? .nan : 3 + Double(k % 50) / 100)
        current.append(k % 211 == 0 ? .nan : (code == 1 ? -1 : code == 2 ? 0 : 1) * 0.5)
        stamp.append(k % 301 == 7 ? .nan : 1_700_000_000 + Double(k))
        temperature.append(k % 3 == 0 ? .nan : 25 + Double(k % 7))
    }
    let columns: [DecodedColumn] = [
        .numbers((0..<n).map(Double.init)), .labels(codes: status, names: names), .numbers(time), .numbers(voltage),
        .numbers(current), .numbers(stamp), .numbers(temperature),
    ]
    let table = DecodedTableSource(
        format: "neware_ndax", columnNames: ["Index", "Status", "Time", "Voltage", "Current(mA)", "Timestamp", "T1"],
        columns: columns, metadata: [:])
    let profile = try #require(try FixturePaths.library().profile(named: "neware_nda"))
    var fast = try CyclerRecordReader(source: table, profile: profile, file: "synthetic")
    var generic = try CyclerRecordReader(source: GenericPathSource(inner: table), profile: profile, file: "synthetic")
    #expect(fast.readsColumnBlocks)
    let a = try allRecords(&fast)
    let b = try allRecords(&generic)
    #expect(a.count == n)
    #expect(sameRecords(a, b))
    // A label past the name table really reads as no label (so the test covers that case).
    var again = try CyclerRecordReader(source: table, profile: profile, file: "synthetic")
    var unlabelled = 0
    while let r = try again.next() { if r.stateLabel == nil { unlabelled += 1 } }
    #expect(unlabelled > 0)
}

@Test func mprNaNStaysANumberThroughBlocks() throws {
    // In an .mpr a NaN is the number NaN, not a missing value: a NaN signed capacity is still
    // the record's (signed) counter. Patch NaN into record 5's voltage and signed capacity.
    let url = BinaryFixtures.local("250116_kigr_gen6_01_02_GCPL_CD8.mpr")
    var bytes = try [UInt8](Data(contentsOf: url))
    let source = try BioLogicMPRSource(bytes: bytes, file: "nan.mpr")
    for name in ["Ewe/V", "Q charge/discharge/mA.h"] {
        let column = try #require(source.columnNames.firstIndex(of: name))
        let field = source.fields[column]
        let at = source.dataStart + 5 * source.recordSize + field.offset
        switch field.kind {
        case .float32: withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { for k in 0..<4 { bytes[at + k] = $0[k] } }
        case .float64: withUnsafeBytes(of: Double.nan.bitPattern.littleEndian) { for k in 0..<8 { bytes[at + k] = $0[k] } }
        default: Issue.record("\(name) is not a float column")
        }
    }
    let path = try FixturePaths.temporaryFile("nan.mpr", contents: bytes)
    let library = try FixturePaths.library()
    var fast = try CyclerFile.open(path: path, library: library)
    #expect(fast.readsColumnBlocks)
    var generic = try CyclerRecordReader(source: GenericPathSource(inner: try rawSource(path)), profile: fast.profile, file: path)
    let a = try allRecords(&fast)
    let b = try allRecords(&generic)
    #expect(sameRecords(a, b))
    var check = try CyclerFile.open(path: path, library: library)
    var k = 0
    while let r = try check.next() {
        if k == 5 {
            #expect(r.sample.voltageVolts.isNaN)
            #expect(r.capacityCounterIsSigned && r.capacityCounterAmpHours?.isNaN == true)
        }
        k += 1
    }
    #expect(k == a.count)
}

@Test func copiesOfABlockReaderReadIndependently() throws {
    // A reader is a value: a copy taken mid-file must go on from there whatever the original
    // reads meanwhile (the two share one block buffer until one of them loads another block).
    let library = try FixturePaths.library()
    let path = BinaryFixtures.local("TestFile.nda").path
    var full = try CyclerFile.open(path: path, library: library)
    let expected = try allRecords(&full)
    var original = try CyclerFile.open(path: path, library: library)
    var seen: [CyclerRecord] = []
    while seen.count < 100, let r = try original.next() { seen.append(r) }
    var copy = original
    var fromOriginal = seen
    var fromCopy = seen
    // The original runs several blocks ahead, then the copy catches up, then they alternate.
    for _ in 0..<(3 * ColumnBlocks.recordsPerBlock) { if let r = try original.next() { fromOriginal.append(r) } }
    while true {
        let a = try copy.next()
        let b = try original.next()
        if let a { fromCopy.append(a) }
        if let b { fromOriginal.append(b) }
        if a == nil, b == nil { break }
    }
    for (name, got) in [("original", fromOriginal), ("copy", fromCopy)] {
        #expect(got.count == expected.count, "\(name)")
        if let k = (0..<min(got.count, expected.count)).first(where: { !sameRecord(got[$0], expected[$0]) }) {
            Issue.record("\(name): record \(k) differs from the uninterrupted read")
        }
    }
}
