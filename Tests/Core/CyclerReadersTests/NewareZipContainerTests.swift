import Foundation
import Testing
@testable import CyclerReaders

/// The zip layer under `.ndax` (and `.xlsx`): Neware writes ZIP64 extra fields even for small
/// streams, and a damaged or hostile directory must end in a `CyclerReadError`, never a trap.
@Suite("Zip container (.ndax streams)")
struct NewareZipContainerTests {
    static func bytes(_ name: String) throws -> [UInt8] { try [UInt8](Data(contentsOf: BinaryFixtures.local(name))) }

    /// Offset of the central-directory record of `path`.
    static func centralRecord(of path: String, in b: [UInt8]) -> Int? {
        let name = Array(path.utf8)
        var o = 0
        while o + 46 + name.count <= b.count {
            if b[o] == 0x50, b[o + 1] == 0x4B, b[o + 2] == 0x01, b[o + 3] == 0x02,
               Int(b[o + 28]) | Int(b[o + 29]) << 8 == name.count, Array(b[(o + 46)..<(o + 46 + name.count)]) == name {
                return o
            }
            o += 1
        }
        return nil
    }

    @Test("entries listed in archive order with ZIP64 sizes, inflated to the bytes the directory declares")
    func listsAndInflates() throws {
        let zip = try ZipContainer(url: BinaryFixtures.local("nw4-120-1-6-53.ndax"), limits: .default)
        #expect(zip.entryPaths == ["Step.xml", "TestInfo.xml", "Step0.xml", "TestInfo0.xml", "VersionInfo.xml", "data.ndc",
                                   "data_step.ndc", "data_runInfo.ndc", "data_log.ndc", "data_es.ndc"])
        #expect(try zip.read("data.ndc").count == 159_744)
        #expect(try zip.read("data_runInfo.ndc").count == 278_528)
        let xml = try zip.read("VersionInfo.xml")
        #expect(String(decoding: xml, as: UTF8.self).contains("ZwjVersion"))
        #expect(throws: CyclerReadError.self) { _ = try zip.read("no_such.ndc") }
    }

    @Test("an entry that inflates past its declared size is refused as a zip bomb")
    func lyingSize() throws {
        var b = try Self.bytes("nw4-120-1-6-53.ndax")
        let o = try #require(Self.centralRecord(of: "data.ndc", in: b))
        // ZIP64 extra right after the name: id, size, then the 64-bit uncompressed size.
        let extra = o + 46 + "data.ndc".utf8.count
        #expect(b[extra] == 1 && b[extra + 1] == 0)
        b[extra + 4] = 0x00; b[extra + 5] = 0x10; b[extra + 6] = 0; b[extra + 7] = 0  // declares 4096 bytes
        let zip = try ZipContainer(data: Data(b), file: "lying.ndax", limits: .default)
        do {
            _ = try zip.read("data.ndc")
            Issue.record("inflated past the declared size")
        } catch let e as CyclerReadError {
            #expect(e.reason.contains("past its declared size"))
        }
    }

    @Test("a wrong CRC-32, a cut directory and a directory pointing outside the file are errors")
    func damaged() throws {
        var b = try Self.bytes("test.ndax")
        let o = try #require(Self.centralRecord(of: "data.ndc", in: b))
        b[o + 16] ^= 0xFF
        let zip = try ZipContainer(data: Data(b), file: "crc.ndax", limits: .default)
        #expect(throws: CyclerReadError.self) { _ = try zip.read("data.ndc") }
        #expect(try zip.read("TestInfo.xml").count == 623)  // the other entries still read

        let original = try Self.bytes("test.ndax")
        #expect(throws: CyclerReadError.self) { _ = try ZipContainer(data: Data(original.prefix(original.count - 10)), file: "cut.ndax", limits: .default) }
        var outside = original
        let eocd = original.count - 22
        outside[eocd + 16] = 0xFF; outside[eocd + 17] = 0xFF; outside[eocd + 18] = 0xFF; outside[eocd + 19] = 0x7F
        #expect(throws: CyclerReadError.self) { _ = try ZipContainer(data: Data(outside), file: "outside.ndax", limits: .default) }
    }

    @Test("a zip file read from disk range by range: same entries as from memory; a cut file is an error")
    func fromDisk() throws {
        let url = BinaryFixtures.local("123456789012_Unit27_Example_Data_File.ndax")
        let disk = try ZipContainer(url: url, limits: .default)
        let memory = try ZipContainer(data: Data(contentsOf: url), file: "memory.ndax", limits: .default)
        #expect(disk.entryPaths == memory.entryPaths)
        for path in disk.entryPaths { #expect(try disk.read(path) == memory.read(path), "\(path)") }

        let original = try Self.bytes("test.ndax")
        let cut = try FixturePaths.temporaryFile("cut.ndax", contents: Array(original.prefix(original.count / 2)))
        #expect(throws: CyclerReadError.self) { _ = try ZipContainer(url: URL(fileURLWithPath: cut), limits: .default) }
        #expect(throws: CyclerReadError.self) { _ = try ZipContainer(url: URL(fileURLWithPath: cut + ".missing"), limits: .default) }
    }
}
