import Foundation

/// A table's definition (TDEF): its columns in column-number order and where its usage map
/// lives. A TDEF longer than a page continues on the page its header names; the pieces are
/// joined (each continuation after its 8-byte header) so offsets read straight through.
struct JetTableDefinition: Sendable {
    let name: String
    let page: Int
    let columns: [JetColumn]
    let variableColumnCount: Int
    /// Page (high 24 bits) and row (low 8 bits) of the row holding the owned-pages usage map.
    let usageMapPointer: Int

    init(database db: JetDatabase, page: Int, name: String) throws {
        self.name = name
        self.page = page
        let format = db.format
        let definition = try Self.joinedPages(database: db, first: page, table: name)
        let tdef = LittleEndianBytes(definition, file: db.file)
        func field<T>(_ what: String, _ read: () throws -> T) throws -> T {
            do { return try read() } catch {
                throw db.error(page: page, table: name, "table definition cut short reading \(what)")
            }
        }
        variableColumnCount = Int(try field("variable column count") { try tdef.u16(format.tdefVariableColumnCountOffset) })
        let columnCount = Int(try field("column count") { try tdef.u16(format.tdefColumnCountOffset) })
        let realIndexCount = Int(try field("index count") { try tdef.u32(format.tdefRealIndexCountOffset) })
        usageMapPointer = Int(try field("usage map pointer") { try tdef.u32(format.tdefUsageMapOffset) })

        // Counts are checked against the bytes before anything is allocated for them.
        guard realIndexCount <= definition.count / format.tdefRealIndexEntrySize else {
            throw db.error(page: page, table: name, "table definition declares \(realIndexCount) indexes, more than its \(definition.count) bytes can hold")
        }
        var offset = format.tdefColumnsStart + realIndexCount * format.tdefRealIndexEntrySize
        guard columnCount <= (definition.count - min(offset, definition.count)) / format.columnEntrySize else {
            throw db.error(page: page, table: name, "table definition declares \(columnCount) columns, more than its \(definition.count) bytes can hold")
        }
        var columns: [JetColumn] = []
        columns.reserveCapacity(columnCount)
        for k in 0..<columnCount {
            let e = offset
            let column = try field("column \(k)") {
                JetColumn(
                    name: "",
                    type: JetColumnType(code: try tdef.u8(e)),
                    number: Int(try tdef.u16(e + format.columnNumberOffset)),
                    variableIndex: Int(try tdef.u16(e + format.columnVariableIndexOffset)),
                    fixedOffset: Int(try tdef.u16(e + format.columnFixedOffsetOffset)),
                    length: Int(try tdef.u16(e + format.columnLengthOffset)),
                    flags: try tdef.u8(e + format.columnFlagsOffset),
                    precision: Int(try tdef.u8(e + format.columnPrecisionOffset)),
                    scale: Int(try tdef.u8(e + format.columnScaleOffset)))
            }
            columns.append(column)
            offset += format.columnEntrySize
        }
        for k in 0..<columnCount {
            let length: Int
            switch format.generation {
            case .jet3: length = Int(try field("name of column \(k)") { try tdef.u8(offset) }); offset += 1
            case .jet4: length = Int(try field("name of column \(k)") { try tdef.u16(offset) }); offset += 2
            }
            let at = offset
            let raw = try field("name of column \(k)") { try tdef.slice(at, length) }
            columns[k].name = JetText.decode(raw, format: format)
            offset += length
        }
        // Rows keep values in column-number order; so do the exports that name the columns.
        self.columns = columns.enumerated().sorted { ($0.element.number, $0.offset) < ($1.element.number, $1.offset) }.map(\.element)
    }

    /// The TDEF bytes: the first page whole, then each continuation page after its header.
    static func joinedPages(database db: JetDatabase, first: Int, table: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var seen = Set<Int>()
        var next = first
        var previous: Int?
        while true {
            let start = try db.pageStart(next, table: table, purpose: previous.map { "table definition page \($0)" } ?? "catalog entry")
            guard db.pageType(next) == JetPageType.tableDefinition.rawValue else {
                throw db.error(page: next, table: table, "expected a table definition page (type 2), found type \(db.pageType(next))")
            }
            guard seen.insert(next).inserted else {
                throw db.error(page: next, table: table, "table definition pages form a loop (page \(next) comes back)")
            }
            let body = previous == nil ? 0 : 8
            bytes.append(contentsOf: db.bytes.storage[(start + body)..<(start + db.pageSize)])
            previous = next
            next = try db.u32(page: next, 4)
            if next == 0 { return bytes }
        }
    }
}
