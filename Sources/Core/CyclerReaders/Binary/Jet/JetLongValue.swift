import Foundation

/// Memo text. The 12-byte field in the row holds a length with flags in its top bits and a
/// page/row pointer: 0x80 means the text follows inline; 0x40 means it is one row on a long
/// value ("LVAL") page; neither means a chain of LVAL rows, each starting with the pointer to
/// the next. A memo that cannot be followed reads as missing: it must not cost the record.
enum JetLongValue {
    static let headerSize = 12

    static func memo(_ field: ArraySlice<UInt8>, database db: JetDatabase) -> RawValue {
        guard field.count >= headerSize, let bytes = try? memoBytes(field, database: db), !bytes.isEmpty else { return .missing }
        let text = JetText.decode(bytes, format: db.format)
        return text.isEmpty ? .missing : .text(text)
    }

    static func memoBytes(_ field: ArraySlice<UInt8>, database db: JetDatabase) throws -> [UInt8] {
        let s = field.startIndex
        func u32(_ a: ArraySlice<UInt8>, _ o: Int) -> Int {
            Int(a[o]) | Int(a[o + 1]) << 8 | Int(a[o + 2]) << 16 | Int(a[o + 3]) << 24
        }
        let header = u32(field, s)
        let length = header & 0x3FFF_FFFF
        let pointer = u32(field, s + 4)
        switch header >> 30 {
        case 0b10:
            return Array(field.dropFirst(headerSize))
        case 0b01:
            return Array(try lvalRow(pointer, database: db))
        case 0b00:
            // Never more than the memo's declared length, nor than the file could hold; one row
            // a page (Jet fills each page of a chain), so a chain is at most the file long.
            guard length <= db.bytes.count else { return [] }
            var out: [UInt8] = []
            var next = pointer
            var pages = Set<Int>()
            while next != 0, out.count < length {
                guard pages.insert(next >> 8).inserted else { throw db.error(page: next >> 8, "memo chain comes back to a page it has read") }
                let row = try lvalRow(next, database: db)
                guard row.count > 4 else { throw db.error(page: next >> 8, "memo chain row holds no text") }
                next = u32(row, row.startIndex)
                out.append(contentsOf: row.dropFirst(4).prefix(length - out.count))
            }
            return out
        default:
            return []
        }
    }

    /// A row of an LVAL page (a data page whose table pointer reads "LVAL").
    static func lvalRow(_ pointer: Int, database db: JetDatabase) throws -> ArraySlice<UInt8> {
        let page = pointer >> 8
        let start = try db.pageStart(page, purpose: "memo")
        guard db.pageType(page) == JetPageType.data.rawValue, db.bytes.matches(Array("LVAL".utf8), at: start + 4) else {
            throw db.error(page: page, "memo points to a page that is not a long-value page")
        }
        return try JetDataPage.rowBytes(database: db, pointer: pointer, table: nil, purpose: "memo")
    }
}
