import Foundation
import Testing
@testable import CyclerReaders

@Suite("Binary container sniffing")
struct BinarySnifferTests {
    @Test("each fixture is recognised by its bytes, whatever its extension")
    func recognisesFixtures() throws {
        let expected: [(String, BinaryContainerKind)] = [
            ("250116_kigr_gen6_01_02_GCPL_CD8.mpr", .bioLogicMPR),
            ("TestFile.nda", .newareNDA),
            ("test.ndax", .newareNDAX),
            ("bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx", .xlsx),
            ("arbin_example.res", .arbinRes),
        ]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sniff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (file, kind) in expected {
            #expect(try BinaryContainerKind.sniff(url: BinaryFixtures.local(file)) == kind, "\(file)")
            // Renamed to a misleading extension: still recognised.
            let renamed = dir.appendingPathComponent(file + ".txt")
            try FileManager.default.copyItem(at: BinaryFixtures.local(file), to: renamed)
            #expect(try BinaryContainerKind.sniff(url: renamed) == kind, "\(file) renamed")
        }
        #expect(try openRawSource(url: BinaryFixtures.local("test.ndax")).format == "neware_ndax")
        #expect(try openRawSource(url: BinaryFixtures.local("250116_kigr_gen6_01_02_GCPL_CD8.mpr")).format == "biologic_mpr")
    }

    @Test("text exports and unknown or empty files are not claimed")
    func rejectsOthers() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sniff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("a.csv")
        try Data("Data_Point,Voltage\n1,3.2\n".utf8).write(to: csv)
        let empty = dir.appendingPathComponent("empty.nda")
        try Data().write(to: empty)
        let zip = dir.appendingPathComponent("other.zip")
        try Data([0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 60)).write(to: zip)
        #expect(try BinaryContainerKind.sniff(url: csv) == nil)
        #expect(try BinaryContainerKind.sniff(url: empty) == nil)
        #expect(throws: CyclerReadError.self) { _ = try openRawSource(url: csv) }
        #expect(throws: CyclerReadError.self) { _ = try openRawSource(url: empty) }
        #expect(throws: CyclerReadError.self) { _ = try openRawSource(url: zip) }
        #expect(throws: CyclerReadError.self) { _ = try openRawSource(url: dir.appendingPathComponent("missing.mpr")) }
    }
}
