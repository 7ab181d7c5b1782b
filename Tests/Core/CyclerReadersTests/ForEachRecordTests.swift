import CyclerReaders
import Testing

/// `forEachRecord` (the loop for callers in other modules) yields what `next()` yields, in
/// order, text and binary alike, including the records buffered while the test-time scale is
/// decided.
@Test(arguments: [
    "neware_csv/neware_uio.csv", "arbin_csv/arbin_example.csv", "maccor_txt/maccor_two.txt",
    "novonix_csv/sample_data_novonix.csv", "binary/arbin_example.res", "binary/TestFile.nda",
    "binary/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx",
])
func forEachRecordYieldsWhatNextYields(_ fixture: String) throws {
    let library = try FixturePaths.library()
    var stepping = try CyclerFile.open(path: FixturePaths.fixture(fixture), library: library)
    var expected: [CyclerRecord] = []
    while let record = try stepping.next() { expected.append(record) }
    var looping = try CyclerFile.open(path: FixturePaths.fixture(fixture), library: library)
    var seen: [CyclerRecord] = []
    try looping.forEachRecord { seen.append($0) }
    #expect(!expected.isEmpty)
    #expect(seen.count == expected.count)
    let firstDifference = seen.indices.first { $0 < expected.count && !sameRecord(seen[$0], expected[$0]) }
    #expect(firstDifference == nil, "record \(firstDifference ?? -1) differs")
    #expect(try looping.next() == nil, "nothing left after the loop")
}
