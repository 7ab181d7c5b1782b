import Foundation

/// Where one stored row lies: absolute byte offsets in the file, end exclusive. 16 bytes, as a
/// reordered table keeps one per row (Jet files stop at 2 GB; the database refuses 4 GB+).
struct JetRowLocation: Sendable, Hashable {
    var page: Int32
    var row: Int32
    private var startOffset: UInt32
    private var endOffset: UInt32
    var start: Int { Int(startOffset) }
    var end: Int { Int(endOffset) }

    init(page: Int32, row: Int32, start: Int, end: Int) {
        self.page = page
        self.row = row
        startOffset = UInt32(truncatingIfNeeded: start)
        endOffset = UInt32(truncatingIfNeeded: end)
    }
}

/// Rows of a data page. After the header comes a row count and a table of row start offsets;
/// rows are packed from the end of the page backwards, so a row ends where the previous one
/// starts. The top bits of an offset are flags: 0x8000 deleted, 0x4000 moved (the row holds a
/// 4-byte pointer to where the data now lives; the target is itself flagged deleted so a scan
/// does not see it twice).
enum JetDataPage {
    static let offsetMask = 0x1FFF
    static let deletedFlag = 0x8000
    static let movedFlag = 0x4000
    /// A moved row may be moved again; more hops than this is a corrupt chain.
    static let maximumMoveHops = 8

    /// Number of rows on a data page, checked against what the page can hold.
    static func rowCount(database db: JetDatabase, page: Int, table: String?) throws -> Int {
        let count = try db.u16(page: page, db.format.dataRowCountOffset)
        let capacity = (db.pageSize - db.format.dataRowCountOffset - 2) / 2
        guard count <= capacity else {
            throw db.error(page: page, table: table, "data page declares \(count) rows; its offset table can hold at most \(capacity)")
        }
        return count
    }

    /// Raw offset-table entry of `row` (flags included).
    static func rawOffset(database db: JetDatabase, page: Int, row: Int) throws -> Int {
        try db.u16(page: page, db.format.dataRowCountOffset + 2 + 2 * row)
    }

    /// Bytes of `row` on `page`, ignoring its flags; checked against the page.
    static func location(database db: JetDatabase, page: Int, row: Int, count: Int, table: String?) throws -> JetRowLocation {
        guard row >= 0, row < count else {
            throw db.error(page: page, row: row, table: table, "row \(row) does not exist (the page has \(count) rows)")
        }
        let start = try rawOffset(database: db, page: page, row: row) & offsetMask
        let end = row == 0 ? db.pageSize : try rawOffset(database: db, page: page, row: row - 1) & offsetMask
        let tableEnd = db.format.dataRowCountOffset + 2 + 2 * count
        guard start >= tableEnd, start <= end, end <= db.pageSize else {
            throw db.error(page: page, row: row, table: table,
                           "row spans bytes \(start)..<\(end), outside the page's row area \(tableEnd)..<\(db.pageSize)")
        }
        let base = page * db.pageSize
        return JetRowLocation(page: Int32(page), row: Int32(row), start: base + start, end: base + end)
    }

    /// The bytes of the row a page/row pointer names (usage maps, long values).
    static func rowBytes(database db: JetDatabase, pointer: Int, table: String?, purpose: String) throws -> ArraySlice<UInt8> {
        let page = pointer >> 8
        _ = try db.pageStart(page, table: table, purpose: purpose)
        let count = try rowCount(database: db, page: page, table: table)
        let at = try location(database: db, page: page, row: pointer & 0xFF, count: count, table: table)
        return db.bytes.storage[at.start..<at.end]
    }

    /// The live rows of one data page of `table`, in page order, moved rows followed to their data.
    static func liveRows(database db: JetDatabase, page: Int, table: JetTableDefinition, into out: inout [JetRowLocation]) throws {
        let count = try rowCount(database: db, page: page, table: table.name)
        for row in 0..<count {
            let raw = try rawOffset(database: db, page: page, row: row)
            if raw & deletedFlag != 0 { continue }
            var at = try location(database: db, page: page, row: row, count: count, table: table.name)
            if raw & movedFlag != 0 {
                at = try followMove(database: db, from: at, table: table)
            }
            if at.end > at.start { out.append(at) }
        }
    }

    private static func followMove(database db: JetDatabase, from origin: JetRowLocation, table: JetTableDefinition) throws -> JetRowLocation {
        var at = origin
        var visited: Set<Int> = [Int(origin.page) << 8 | Int(origin.row)]
        for _ in 0..<maximumMoveHops {
            guard at.end - at.start >= 4 else {
                throw db.error(page: Int(at.page), row: Int(at.row), table: table.name, "moved row holds \(at.end - at.start) bytes, too few for its 4-byte pointer")
            }
            let pointer = Int(try db.bytes.u32(at.start))
            let page = pointer >> 8, row = pointer & 0xFF
            guard visited.insert(pointer).inserted else {
                throw db.error(page: Int(at.page), row: Int(at.row), table: table.name, "moved-row pointers form a loop")
            }
            _ = try db.pageStart(page, table: table.name, purpose: "moved row on page \(at.page) row \(at.row)")
            guard db.pageType(page) == JetPageType.data.rawValue, try db.u32(page: page, 4) == table.page else {
                throw db.error(page: Int(at.page), row: Int(at.row), table: table.name, "moved row points to page \(page), which is not a data page of this table")
            }
            let count = try rowCount(database: db, page: page, table: table.name)
            at = try location(database: db, page: page, row: row, count: count, table: table.name)
            // Targets carry the deleted flag (so scans skip them); only the moved flag chains on.
            if try rawOffset(database: db, page: page, row: row) & movedFlag == 0 { return at }
        }
        throw db.error(page: Int(origin.page), row: Int(origin.row), table: table.name, "moved row is moved more than \(maximumMoveHops) times")
    }
}
