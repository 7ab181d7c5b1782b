import Foundation
import Testing
@testable import CyclerReaders

/// One registry: every caller that asks what a file is gets the same answer, on every fixture.
@Suite("Container registry")
struct ContainerRegistryTests {
    static func allFixtures() -> [String] {
        var roots = [FixturePaths.fixtures]
        if FixturePaths.sharedAvailable { roots.append(FixturePaths.shared) }
        var files: [String] = []
        for root in roots {
            let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
            while let url = walker?.nextObject() as? URL {
                if (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true { files.append(url.path) }
            }
        }
        return files.sorted()
    }

    static let expectedByExtension = ["mpr": "biologic_mpr", "nda": "neware_nda", "ndax": "neware_ndax", "xlsx": "xlsx", "res": "arbin_res"]

    @Test func everyFixtureIsClassifiedTheSameByEveryCaller() throws {
        let library = try FixturePaths.library()
        var binaries = 0
        for path in Self.allFixtures() {
            let url = URL(fileURLWithPath: path)
            let head = try TextLayoutSniffer.readHead(path: path)
            let byRegistry = ContainerRegistry.builtIn.classify(path: path, head: head)
            let byHead = CyclerFile.binaryContainer(head: head)
            let byKind = try BinaryContainerKind.sniff(url: url)?.rawValue
            #expect(byHead == byRegistry, "\(path): head \(byHead ?? "text") vs registry \(byRegistry ?? "text")")
            if byRegistry != ContainerRegistry.unknownBinary {
                #expect(byKind == byRegistry, "\(path): BinaryContainerKind \(byKind ?? "nil") vs registry \(byRegistry ?? "text")")
            }
            if let expected = Self.expectedByExtension[url.pathExtension.lowercased()] {
                #expect(byRegistry == expected, "\(path)")
            }
            guard let byRegistry, byRegistry != ContainerRegistry.unknownBinary else { continue }
            binaries += 1
            // What production opens and what openRawSource (the bench's decode-only path) opens
            // are one source of one format.
            let raw = try? openRawSource(url: url)
            let production = try? CyclerFile.open(path: path, library: library)
            if let production { #expect(raw?.format == production.sourceFormat, "\(path)") }
            if byRegistry != "xlsx" { #expect(raw?.format == byRegistry, "\(path): decoded as \(raw?.format ?? "nothing")") }
        }
        #expect(binaries >= 10)
    }

    /// Zips the two earlier sniffers told apart differently: both now agree, by the entries.
    @Test func ambiguousZipsAreClassifiedByTheirEntries() throws {
        let both = try FixturePaths.temporaryFile("both.zip", contents: StoredZip.bytes(["xl/workbook.xml": [1], "data.ndc": [2]]))
        let contentTypesOnly = try FixturePaths.temporaryFile("ct.xlsx", contents: StoredZip.bytes(["[Content_Types].xml": [1], "docProps/app.xml": [2]]))
        let ndax = try FixturePaths.temporaryFile("x.bin", contents: StoredZip.bytes(["Step.xml": [1], "data.ndc": [2]]))
        for (path, expected) in [(both, "neware_ndax"), (contentTypesOnly, ContainerRegistry.unknownBinary), (ndax, "neware_ndax")] {
            let head = try TextLayoutSniffer.readHead(path: path)
            #expect(ContainerRegistry.builtIn.classify(path: path, head: head) == expected, "\(path)")
            #expect(CyclerFile.binaryContainer(head: head) == expected, "\(path) by its head")
        }
        #expect(try BinaryContainerKind.sniff(url: URL(fileURLWithPath: contentTypesOnly)) == nil)
        #expect(throws: CyclerReadError.self) { _ = try openRawSource(url: URL(fileURLWithPath: contentTypesOnly)) }
        #expect { _ = try CyclerFile.open(path: contentTypesOnly, library: try FixturePaths.library()) } throws: {
            String(describing: $0).contains("no known cycler format")
        }
    }

    @Test func aReplacedDecoderIsTheOneUsed() throws {
        var registry = ContainerRegistry.builtIn
        registry.byContainer["neware_nda"] = { _ in InMemoryRecordSource(format: "neware_nda", columnNames: ["x"], rows: []) }
        let source = try registry.open(container: "neware_nda", path: BinaryFixtures.local("TestFile.nda").path)
        #expect(source.columnNames == ["x"])
        #expect(try ContainerRegistry.builtIn.open(container: "neware_nda", path: BinaryFixtures.local("TestFile.nda").path).columnNames != ["x"])
        #expect(throws: CyclerReadError.self) { _ = try registry.open(container: "no_such", path: "/x") }
    }
}

/// The smallest valid zip: stored entries, local headers, a central directory and its end record.
enum StoredZip {
    static func bytes(_ entries: [String: [UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(v >> (8 * $0) & 0xFF) } }
        for (name, data) in entries.sorted(by: { $0.key < $1.key }) {
            let crc = crc32(data)
            let offset = UInt32(out.count)
            let nameBytes = Array(name.utf8)
            out += le32(0x0403_4B50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21)
            out += le32(crc) + le32(UInt32(data.count)) + le32(UInt32(data.count)) + le16(nameBytes.count) + le16(0)
            out += nameBytes + data
            central += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21)
            central += le32(crc) + le32(UInt32(data.count)) + le32(UInt32(data.count)) + le16(nameBytes.count)
            central += le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + nameBytes
        }
        let centralOffset = UInt32(out.count)
        out += central
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(entries.count) + le16(entries.count)
        out += le32(UInt32(central.count)) + le32(centralOffset) + le16(0)
        return out
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
