import Foundation

/// Layout constants of the two on-disk generations of Microsoft Jet. Jet 3 (Access 97) has
/// 2048-byte pages and one-byte row offsets; Jet 4 and ACE (Access 2000 onwards, which Arbin's
/// MITS Pro writes) have 4096-byte pages, two-byte offsets and UCS-2 text. Everything that
/// differs between them is here, so the readers are written once.
struct JetFormat: Sendable, Hashable {
    enum Generation: Sendable, Hashable { case jet3, jet4 }

    let generation: Generation
    let pageSize: Int
    /// Data pages: where the row count sits; the row offset table follows it.
    let dataRowCountOffset: Int
    /// Table definition (TDEF) fields, as byte offsets from the start of the first TDEF page.
    let tdefColumnCountOffset: Int
    let tdefRealIndexCountOffset: Int
    let tdefUsageMapOffset: Int
    let tdefColumnsStart: Int
    let tdefRealIndexEntrySize: Int
    /// One column descriptor in the TDEF.
    let columnEntrySize: Int
    let columnNumberOffset: Int
    let columnVariableIndexOffset: Int
    let columnFlagsOffset: Int
    let columnFixedOffsetOffset: Int
    let columnLengthOffset: Int
    let columnPrecisionOffset: Int
    let columnScaleOffset: Int
    /// Bytes of the per-row column count (and of every Jet 4 offset).
    var rowCountFieldSize: Int { generation == .jet3 ? 1 : 2 }
    /// The number of variable-length columns sits just before the column count.
    var tdefVariableColumnCountOffset: Int { tdefColumnCountOffset - 2 }

    static let jet3 = JetFormat(
        generation: .jet3, pageSize: 2048, dataRowCountOffset: 8,
        tdefColumnCountOffset: 25, tdefRealIndexCountOffset: 31, tdefUsageMapOffset: 35,
        tdefColumnsStart: 43, tdefRealIndexEntrySize: 8,
        columnEntrySize: 18, columnNumberOffset: 1, columnVariableIndexOffset: 3, columnFlagsOffset: 13,
        columnFixedOffsetOffset: 14, columnLengthOffset: 16, columnPrecisionOffset: 9, columnScaleOffset: 10)

    static let jet4 = JetFormat(
        generation: .jet4, pageSize: 4096, dataRowCountOffset: 12,
        tdefColumnCountOffset: 45, tdefRealIndexCountOffset: 51, tdefUsageMapOffset: 55,
        tdefColumnsStart: 63, tdefRealIndexEntrySize: 12,
        columnEntrySize: 25, columnNumberOffset: 5, columnVariableIndexOffset: 7, columnFlagsOffset: 15,
        columnFixedOffsetOffset: 21, columnLengthOffset: 23, columnPrecisionOffset: 11, columnScaleOffset: 12)

    /// Offset of the version byte in the header page: 0 is Jet 3, 1 Jet 4, 2 and up ACE.
    static let versionOffset = 0x14
    /// Highest version byte accepted (ACE 2016/2019 write 5 or 6); anything above is a damaged header.
    static let newestVersion: UInt8 = 6

    /// The layout the header page announces, or an error naming the byte when it is no Jet database.
    static func detect(_ bytes: LittleEndianBytes) throws -> JetFormat {
        guard bytes.matches(Array("Standard Jet DB".utf8), at: 4) || bytes.matches(Array("Standard ACE DB".utf8), at: 4) else {
            throw bytes.error(4, "not a Jet/ACE database: missing 'Standard Jet DB' signature")
        }
        let version = try bytes.u8(versionOffset)
        if version == 0 { return .jet3 }
        guard version <= newestVersion else {
            throw bytes.error(versionOffset, "unknown Jet version byte \(version) (0 is Jet 3, 1 Jet 4, 2–\(newestVersion) ACE)")
        }
        return .jet4
    }
}

/// Page types named by a page's first byte.
enum JetPageType: UInt8 {
    case header = 0x00
    case data = 0x01
    case tableDefinition = 0x02
    case usageBitmap = 0x05
}
