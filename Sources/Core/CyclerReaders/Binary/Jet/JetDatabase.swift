import Foundation

/// A read-only Jet/ACE database held in memory: the pages, and the tables found through the
/// catalog. Nothing here follows a pointer from the file without checking it against the page
/// and the file first, and no walk visits a page twice, so a corrupt file ends in a
/// `CyclerReadError` (naming the page and row) rather than a trap, a loop or runaway memory.
struct JetDatabase: Sendable {
    let bytes: LittleEndianBytes
    let format: JetFormat
    let pageCount: Int
    /// Where system tables' definitions start: MSysObjects is always described on page 2.
    static let catalogDefinitionPage = 2

    var file: String { bytes.file }
    var pageSize: Int { format.pageSize }

    init(bytes raw: [UInt8], file: String) throws {
        let bytes = LittleEndianBytes(raw, file: file)
        let format = try JetFormat.detect(bytes)
        guard raw.count <= Int(UInt32.max) else {
            throw CyclerReadError(file: file, reason: "database of \(raw.count) bytes is larger than Jet's 2 GB (and this reader's 4 GB) limit")
        }
        guard raw.count % format.pageSize == 0 else {
            throw CyclerReadError(file: file, location: "byte \(raw.count - raw.count % format.pageSize)",
                                  reason: "database of \(raw.count) bytes is not a whole number of \(format.pageSize)-byte pages (truncated)")
        }
        let pageCount = raw.count / format.pageSize
        guard pageCount > Self.catalogDefinitionPage else {
            throw CyclerReadError(file: file, reason: "database has \(pageCount) pages; the catalog needs at least \(Self.catalogDefinitionPage + 1) (truncated)")
        }
        self.bytes = bytes
        self.format = format
        self.pageCount = pageCount
    }

    func error(page: Int?, row: Int? = nil, table: String? = nil, _ reason: String) -> CyclerReadError {
        var parts: [String] = []
        if let table { parts.append(table) }
        if let page { parts.append("page \(page)") }
        if let row { parts.append("row \(row)") }
        return CyclerReadError(file: file, location: parts.isEmpty ? nil : parts.joined(separator: ", "), reason: reason)
    }

    /// Byte offset of page `number` in the file, after checking the page exists.
    func pageStart(_ number: Int, table: String? = nil, purpose: String) throws -> Int {
        guard number >= 0, number < pageCount else {
            throw error(page: nil, table: table, "\(purpose) points to page \(number), but the file has \(pageCount) pages (truncated or corrupt)")
        }
        return number * pageSize
    }

    /// First byte of a page that `pageStart` (or the usage map) has shown to exist.
    func pageType(_ number: Int) -> UInt8 { bytes.storage[number * pageSize] }

    // Page-relative reads: callers have checked that the page exists; these check the offset
    // against the page so a bad offset cannot wander into the next page.

    @inline(__always)
    func u16(page: Int, _ offset: Int) throws -> Int {
        guard offset >= 0, offset <= pageSize - 2 else { throw error(page: page, "offset \(offset) is outside the \(pageSize)-byte page") }
        return Int(try bytes.u16(page * pageSize + offset))
    }

    @inline(__always)
    func u32(page: Int, _ offset: Int) throws -> Int {
        guard offset >= 0, offset <= pageSize - 4 else { throw error(page: page, "offset \(offset) is outside the \(pageSize)-byte page") }
        return Int(try bytes.u32(page * pageSize + offset))
    }
}
