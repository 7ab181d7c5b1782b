import CyclerReaders
import Foundation
import Testing
@testable import CellfleetBenchmarks

/// `bench parse`'s "decode only" figure times the decoder production reads the file with.
@Suite struct BinaryReadThroughputTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tests/Core/CyclerReadersTests/Fixtures/binary")
    static let profiles = fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("agents/profiles")

    @Test(arguments: ["test.ndax", "TestFile.nda", "250116_kigr_gen6_01_02_GCPL_CD8.mpr", "arbin_example.res", "bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx"])
    func decodeOnlyIsProductionsDecoder(file: String) throws {
        let url = Self.fixtures.appendingPathComponent(file)
        let library = try ProfileLibrary.load(searchPath: [Self.profiles.path])
        let measured = try BinaryReadThroughput.measure(url: url, repetitions: 1)
        var reader = try CyclerFile.open(path: url.path, library: library)
        #expect(measured.format == reader.sourceFormat)
        var records = 0
        while try reader.next() != nil { records += 1 }
        #expect(measured.records >= records, "the decoder yields every record the reader normalises")
        #expect(measured.records > 0 && measured.bestSeconds > 0)
    }
}
