import CellModel
import Foundation
import Testing
@testable import CyclerReaders

/// The Jet reader on small databases built byte by byte here (Jet 4 and Jet 3), so each rule —
/// null mask, variable-offset table and Jet 3 jump table, deleted and moved rows, inline and
/// reference usage maps, TDEF continuation, memo storage — is checked on its own, and each
/// kind of corruption (loops, pointers past the end) is seen to be refused.
@Suite("Jet pages decoded from hand-built databases")
struct JetPageDecodingTests {
    // MARK: builder

    struct Column {
        var name: String
        var type: UInt8
        var number: Int
        var variableIndex = 0
        var fixedOffset = 0
        var length = 0
        var fixed: Bool
        var scale = 0
    }

    struct Slot {
        var flags = 0
        var bytes: [UInt8]
    }

    struct Table {
        var name: String
        var columns: [Column]
        var dataPages: [[Slot]]
    }

    /// Page layout: 0 header, 1 unused, 2 MSysObjects definition, 3 usage-map rows, 4 catalog
    /// rows, then per table its definition page and its data pages, then `extraPages`, then
    /// (with `referenceMaps`) one usage bitmap page per table.
    struct Builder {
        var format: JetFormat
        var tables: [Table]
        var extraPages: [[UInt8]] = []
        var referenceMaps = false
        /// Realistic filler index entries in the first table's TDEF (pushes it onto a continuation page).
        var firstTableIndexEntries = 0

        static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        static func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (8 * UInt64($0))) & 0xFF) } }

        func text(_ s: String) -> [UInt8] {
            format.generation == .jet3 ? Array(s.utf8) : s.utf16.flatMap { Self.le16(Int($0)) }
        }

        var catalogColumns: [Column] {
            [Column(name: "Id", type: 0x04, number: 0, fixedOffset: 0, length: 4, fixed: true),
             Column(name: "Name", type: 0x0A, number: 1, variableIndex: 0, length: 255, fixed: false),
             Column(name: "Type", type: 0x03, number: 2, fixedOffset: 4, length: 2, fixed: true)]
        }

        /// Page numbers of table `t`'s definition and data pages.
        func pages(of t: Int) -> (definition: Int, data: [Int]) {
            var next = 5
            for (k, table) in tables.enumerated() {
                let definitionPages = (k == 0 && firstTableIndexEntries > 0) ? 2 : 1
                if k == t { return (next, Array((next + definitionPages)..<(next + definitionPages + table.dataPages.count))) }
                next += definitionPages + table.dataPages.count
            }
            return (next, [])
        }

        var firstExtraPage: Int { pages(of: tables.count).definition }

        /// One row: column count, fixed area, variable data, offset table, null mask.
        func row(columnCount: Int, fixed: [UInt8], variable: [[UInt8]], present: Set<Int>) -> [UInt8] {
            var body = format.generation == .jet3 ? [UInt8(columnCount)] : Self.le16(columnCount)
            body += fixed
            var offsets: [Int] = []
            for v in variable { offsets.append(body.count); body += v }
            offsets.append(body.count)  // end of the variable data
            var mask = [UInt8](repeating: 0, count: (columnCount + 7) / 8)
            for n in present { mask[n / 8] |= 1 << (n % 8) }
            switch format.generation {
            case .jet4:
                var trailer: [UInt8] = []
                for o in offsets.reversed() { trailer += Self.le16(o) }
                return body + trailer + Self.le16(variable.count) + mask
            case .jet3:
                // One jump entry per 256 bytes of row; the entry names the first offset past each boundary.
                var slots = 0
                while true {
                    let length = body.count + offsets.count + slots + 1 + mask.count
                    let needed = (length - 1) / 256
                    if needed == slots { break }
                    slots = needed
                }
                var jumps: [UInt8] = []
                for j in 0..<slots {
                    let first = offsets.firstIndex { $0 >= 256 * (j + 1) }
                    jumps.append(first.map { UInt8($0) } ?? 0xFF)
                }
                var trailer: [UInt8] = offsets.reversed().map { UInt8($0 & 0xFF) }
                trailer += jumps.reversed()
                return body + trailer + [UInt8(variable.count)] + mask
            }
        }

        func dataPage(definition: Int, slots: [Slot], marker: [UInt8]? = nil) -> [UInt8] {
            var page = [UInt8](repeating: 0, count: format.pageSize)
            page[0] = 0x01; page[1] = 0x01
            page.replaceSubrange(4..<8, with: marker ?? Self.le32(definition))
            let rco = format.dataRowCountOffset
            page.replaceSubrange(rco..<(rco + 2), with: Self.le16(slots.count))
            var end = format.pageSize
            for (k, slot) in slots.enumerated() {
                let start = end - slot.bytes.count
                page.replaceSubrange(start..<end, with: slot.bytes)
                page.replaceSubrange((rco + 2 + 2 * k)..<(rco + 4 + 2 * k), with: Self.le16(start | slot.flags))
                end = start
            }
            return page
        }

        func definitionPages(_ columns: [Column], mapRow: Int, indexEntries: Int, continuation: Int) -> [[UInt8]] {
            var tdef = [UInt8](repeating: 0, count: format.tdefColumnsStart)
            tdef[0] = 0x02; tdef[1] = 0x01
            func put(_ at: Int, _ v: [UInt8]) { tdef.replaceSubrange(at..<(at + v.count), with: v) }
            put(format.tdefVariableColumnCountOffset, Self.le16(columns.filter { !$0.fixed }.count))
            put(format.tdefColumnCountOffset, Self.le16(columns.count))
            put(format.tdefRealIndexCountOffset, Self.le32(indexEntries))
            put(format.tdefUsageMapOffset, Self.le32(3 << 8 | mapRow))
            tdef += [UInt8](repeating: 0xEE, count: indexEntries * format.tdefRealIndexEntrySize)
            for c in columns {
                var e = [UInt8](repeating: 0, count: format.columnEntrySize)
                e[0] = c.type
                e.replaceSubrange(format.columnNumberOffset..<(format.columnNumberOffset + 2), with: Self.le16(c.number))
                e.replaceSubrange(format.columnVariableIndexOffset..<(format.columnVariableIndexOffset + 2), with: Self.le16(c.variableIndex))
                e[format.columnFlagsOffset] = c.fixed ? 0x03 : 0x02
                e.replaceSubrange(format.columnFixedOffsetOffset..<(format.columnFixedOffsetOffset + 2), with: Self.le16(c.fixedOffset))
                e.replaceSubrange(format.columnLengthOffset..<(format.columnLengthOffset + 2), with: Self.le16(c.length))
                e[format.columnScaleOffset] = UInt8(c.scale)
                tdef += e
            }
            for c in columns {
                let name = text(c.name)
                tdef += format.generation == .jet3 ? [UInt8(name.count)] : Self.le16(name.count)
                tdef += name
            }
            precondition(tdef.count <= 2 * format.pageSize - 8, "test table definition too long")
            if tdef.count <= format.pageSize && indexEntries == 0 {
                return [tdef + [UInt8](repeating: 0, count: format.pageSize - tdef.count)]
            }
            var first = Array(tdef.prefix(format.pageSize))
            first += [UInt8](repeating: 0, count: format.pageSize - first.count)
            first.replaceSubrange(4..<8, with: Self.le32(continuation))
            var second: [UInt8] = [0x02, 0x01, 0, 0, 0, 0, 0, 0] + tdef.dropFirst(format.pageSize)
            second += [UInt8](repeating: 0, count: format.pageSize - second.count)
            return [first, second]
        }

        func usageMap(_ pages: [Int]) -> [UInt8] {
            let first = pages.min() ?? 0
            var bits = [UInt8](repeating: 0, count: 16)
            for p in pages { bits[(p - first) / 8] |= 1 << ((p - first) % 8) }
            return [0] + Self.le32(first) + bits
        }

        func build() -> [UInt8] {
            let pageSize = format.pageSize
            var header = [UInt8](repeating: 0, count: pageSize)
            header.replaceSubrange(4..<19, with: Array("Standard Jet DB".utf8))
            header[JetFormat.versionOffset] = format.generation == .jet3 ? 0 : 1
            var pages: [[UInt8]] = [header, [UInt8](repeating: 0, count: pageSize)]
            pages += definitionPages(catalogColumns, mapRow: 0, indexEntries: 0, continuation: 0)
            let bitmapBase = firstExtraPage + extraPages.count
            // Usage maps: row 0 the catalog's, row k+1 table k's.
            var maps = [Slot(bytes: usageMap([4]))]
            for t in tables.indices {
                if referenceMaps {
                    maps.append(Slot(bytes: [1] + Self.le32(bitmapBase + t)))
                } else {
                    maps.append(Slot(bytes: usageMap(self.pages(of: t).data)))
                }
            }
            pages.append(dataPage(definition: 0, slots: maps))
            let catalogRows = tables.indices.map { t in
                Slot(bytes: row(columnCount: 3, fixed: Self.le32(self.pages(of: t).definition) + Self.le16(1),
                                variable: [text(tables[t].name)], present: [0, 1, 2]))
            }
            pages.append(dataPage(definition: 2, slots: catalogRows))
            for (t, table) in tables.enumerated() {
                let (definition, data) = self.pages(of: t)
                precondition(pages.count == definition)
                pages += definitionPages(table.columns, mapRow: t + 1, indexEntries: t == 0 ? firstTableIndexEntries : 0, continuation: definition + 1)
                precondition(pages.count == data.first ?? pages.count)
                for slots in table.dataPages { pages.append(dataPage(definition: definition, slots: slots)) }
            }
            pages += extraPages
            if referenceMaps {
                for t in tables.indices {
                    var bitmap = [UInt8](repeating: 0, count: pageSize)
                    bitmap[0] = 0x05; bitmap[1] = 0x01
                    for p in self.pages(of: t).data { bitmap[4 + p / 8] |= 1 << (p % 8) }
                    pages.append(bitmap)
                }
            }
            return pages.flatMap { $0 }
        }
    }

    // MARK: a small "cells" table

    static let cellColumns: [Column] = [
        Column(name: "Id", type: 0x04, number: 0, fixedOffset: 0, length: 4, fixed: true),
        Column(name: "Voltage", type: 0x07, number: 1, fixedOffset: 4, length: 8, fixed: true),
        Column(name: "Ok", type: 0x01, number: 2, fixed: true),
        Column(name: "Label", type: 0x0A, number: 3, variableIndex: 0, length: 255, fixed: false),
        Column(name: "Note", type: 0x0C, number: 4, variableIndex: 1, fixed: false),
        Column(name: "Current", type: 0x06, number: 5, fixedOffset: 12, length: 4, fixed: true),
    ]

    static func cellRow(_ b: Builder, id: Int, voltage: Double?, ok: Bool, label: [UInt8]?, note: [UInt8]?, current: Float) -> [UInt8] {
        var present: Set<Int> = [0, 5]
        if voltage != nil { present.insert(1) }
        if ok { present.insert(2) }
        if label != nil { present.insert(3) }
        if note != nil { present.insert(4) }
        let fixed = Builder.le32(id) + Builder.le64((voltage ?? 0).bitPattern) + Builder.le32(Int(current.bitPattern))
        return b.row(columnCount: 6, fixed: fixed, variable: [label ?? [], note ?? []], present: present)
    }

    static func inlineMemo(_ b: Builder, _ s: String) -> [UInt8] {
        let t = b.text(s)
        return Builder.le32(t.count | 0x8000_0000) + [UInt8](repeating: 0, count: 8) + t
    }

    /// Cells on two data pages: a deleted row, a moved row, nulls, an LVAL memo, compressed text.
    static func cellsDatabase(_ format: JetFormat, referenceMaps: Bool = false, indexEntries: Int = 0) -> Builder {
        var b = Builder(format: format, tables: [], referenceMaps: referenceMaps, firstTableIndexEntries: indexEntries)
        b.tables = [Table(name: "Cells", columns: cellColumns, dataPages: [[], []])]
        let (_, data) = b.pages(of: 0)
        let lvalPage = b.firstExtraPage
        let compressedLabel: [UInt8] = format.generation == .jet4 ? [0xFF, 0xFE] + Array("ab".utf8) + [0, 0xB3, 0x03, 0] + Array("c".utf8) : Array("ab\u{B3}c".utf8.prefix(2)) + [0xB5, 0x80]
        b.tables[0].dataPages = [
            [Slot(bytes: cellRow(b, id: 1, voltage: 3.5, ok: true, label: b.text("alpha"), note: inlineMemo(b, "first"), current: 0.25)),
             Slot(flags: 0x8000, bytes: cellRow(b, id: 99, voltage: 9, ok: true, label: b.text("deleted"), note: nil, current: 9)),
             Slot(bytes: cellRow(b, id: 2, voltage: nil, ok: false, label: nil, note: nil, current: -1.5)),
             Slot(flags: 0x4000, bytes: [1] + Array(Builder.le32(data[1]).prefix(3)))],
            [Slot(bytes: cellRow(b, id: 3, voltage: 4.2, ok: true, label: compressedLabel,
                                 note: Builder.le32(5 | 0x4000_0000) + Builder.le32(lvalPage << 8) + [0, 0, 0, 0], current: 0.1)),
             Slot(flags: 0x8000, bytes: cellRow(b, id: 4, voltage: 3.9, ok: false, label: b.text("moved"), note: nil, current: 2))],
        ]
        b.extraPages = [b.dataPage(definition: 0, slots: [Slot(bytes: b.text("lval!"))], marker: Array("LVAL".utf8))]
        return b
    }

    static func read(_ bytes: [UInt8], table: String = "Cells") throws -> (JetTableDefinition, [[RawValue]]) {
        try jetTableRows(bytes, file: "built.mdb", table: table)
    }

    static func expectCells(_ format: JetFormat, _ rows: [[RawValue]]) {
        // Page order: row 1, row 2, the moved row (4) where its pointer stands, then row 3; the
        // deleted row and the moved row's target (flagged deleted) are not seen again.
        #expect(rows.map { $0[0] } == [.number(1), .number(2), .number(4), .number(3)])
        #expect(rows[0] == [.number(1), .number(3.5), .number(1), .text("alpha"), .text("first"), .number(0.25)])
        #expect(rows[1] == [.number(2), .missing, .number(0), .missing, .missing, .number(-1.5)])
        #expect(rows[2][3] == .text("moved") && rows[2][2] == .number(0))
        // Single-precision 0.1 reads as the decimal it was written as, not 0.10000000149011612.
        #expect(rows[3][5] == .number(0.1))
        #expect(rows[3][4] == .text("lval!"))
        #expect(rows[3][3] == .text(format.generation == .jet4 ? "abγc" : "ab\u{B5}\u{20AC}"))
    }

    // MARK: tests

    @Test("Jet 4: null mask, fixed and variable columns, bool in the mask, deleted and moved rows, memo")
    func jet4Rows() throws {
        let (definition, rows) = try Self.read(Self.cellsDatabase(.jet4).build())
        #expect(definition.columns.map(\.name) == ["Id", "Voltage", "Ok", "Label", "Note", "Current"])
        Self.expectCells(.jet4, rows)
    }

    @Test("Jet 3: 2048-byte pages, one-byte offsets, code page 1252 text")
    func jet3Rows() throws {
        let (_, rows) = try Self.read(Self.cellsDatabase(.jet3).build())
        Self.expectCells(.jet3, rows)
    }

    @Test("Jet 3: a row longer than 256 bytes uses the jump table")
    func jet3JumpTable() throws {
        var b = Builder(format: .jet3, tables: [])
        let columns = [Column(name: "Id", type: 0x04, number: 0, fixedOffset: 0, length: 4, fixed: true)]
            + (0..<4).map { Column(name: "T\($0)", type: 0x0A, number: $0 + 1, variableIndex: $0, length: 255, fixed: false) }
        let texts = ["a", String(repeating: "b", count: 250), String(repeating: "c", count: 250), String(repeating: "d", count: 40)]
        b.tables = [Table(name: "Long", columns: columns, dataPages: [[]])]
        let row = b.row(columnCount: 5, fixed: Builder.le32(7), variable: texts.map { Array($0.utf8) }, present: [0, 1, 2, 3, 4])
        #expect(row.count > 512)  // two 256-byte boundaries crossed
        // One value longer than 256 bytes: both jump entries name the same column.
        let wide = ["a", String(repeating: "w", count: 600), "", "c"]
        let wideRow = b.row(columnCount: 5, fixed: Builder.le32(8), variable: wide.map { Array($0.utf8) }, present: [0, 1, 2, 3, 4])
        b.tables[0].dataPages = [[Slot(bytes: row), Slot(bytes: wideRow)]]
        let (_, rows) = try Self.read(b.build(), table: "Long")
        #expect(rows == [[.number(7)] + texts.map { .text($0) }, [.number(8), .text("a"), .text(wide[1]), .missing, .text("c")]])
    }

    @Test("a table definition continued on a second page (index entries push the columns over)")
    func definitionContinuation() throws {
        for format in [JetFormat.jet4, .jet3] {
            let entries = (format.pageSize - format.tdefColumnsStart - 10) / format.tdefRealIndexEntrySize
            let b = Self.cellsDatabase(format, indexEntries: entries)
            let (definition, rows) = try Self.read(b.build())
            #expect(definition.columns.count == 6)
            Self.expectCells(format, rows)
        }
    }

    @Test("a reference usage map (type 1) through a usage bitmap page")
    func referenceUsageMap() throws {
        let (_, rows) = try Self.read(Self.cellsDatabase(.jet4, referenceMaps: true).build())
        Self.expectCells(.jet4, rows)
    }

    @Test("byte, int16, money, date/time, GUID and scaled decimal values")
    func otherTypes() throws {
        for format in [JetFormat.jet4, .jet3] {
            var b = Builder(format: format, tables: [])
            let columns = [Column(name: "B", type: 0x02, number: 0, fixedOffset: 0, length: 1, fixed: true),
                           Column(name: "S", type: 0x03, number: 1, fixedOffset: 1, length: 2, fixed: true),
                           Column(name: "M", type: 0x05, number: 2, fixedOffset: 3, length: 8, fixed: true),
                           Column(name: "D", type: 0x08, number: 3, fixedOffset: 11, length: 8, fixed: true),
                           Column(name: "G", type: 0x0F, number: 4, fixedOffset: 19, length: 16, fixed: true),
                           Column(name: "N", type: 0x10, number: 5, fixedOffset: 35, length: 17, fixed: true, scale: 2),
                           Column(name: "Bin", type: 0x09, number: 6, variableIndex: 0, length: 10, fixed: false),
                           Column(name: "D2", type: 0x08, number: 7, fixedOffset: 52, length: 8, fixed: true)]
            var fixed: [UInt8] = [200] + Builder.le16(-1234 & 0xFFFF) + Builder.le64(UInt64(bitPattern: -123_456_789))
            fixed += Builder.le64(45131.78472222222.bitPattern) + Array(0..<16)
            fixed += [0x80] + Builder.le32(0) + Builder.le32(0) + Builder.le32(0) + Builder.le32(12345)
            fixed += Builder.le64((-1e9).bitPattern)  // no calendar date: stays a number
            b.tables = [Table(name: "Types", columns: columns, dataPages: [[]])]
            b.tables[0].dataPages = [[Slot(bytes: b.row(columnCount: 8, fixed: fixed, variable: [[1, 2, 3]], present: Set(0..<8)))]]
            let (_, rows) = try Self.read(b.build(), table: "Types")
            #expect(rows == [[.number(200), .number(-1234), .number(-12345.6789), .text("2023-07-24T18:50:00"),
                              .text("{03020100-0504-0706-0809-0A0B0C0D0E0F}"), .number(-123.45), .missing, .number(-1e9)]])
        }
    }

    @Test("compressed unicode and UCS-2 text")
    func text() {
        #expect(JetText.ucs2([0x41, 0, 0x3B3, 0].map(UInt8.init(truncatingIfNeeded:))) == "A\u{B3}")
        #expect(JetText.ucs2([0xFF, 0xFE, 0x48, 0x69]) == "Hi")
        #expect(JetText.ucs2([0xFF, 0xFE, 0x61, 0x00, 0xB3, 0x03, 0x00, 0x62]) == "aγb")
        #expect(JetText.ucs2([0x41]) == "")  // a lone byte is no character
        #expect(JetText.windows1252([0x80, 0x41, 0xE9]) == "€Aé")
    }

    @Test("single-precision values read as their shortest decimal, the same as Float.description")
    func singlePrecision() {
        #expect(JetValue.decimal(4.300055) == 4.300055)
        #expect(JetValue.decimal(-2036941.25) == -2036941.2)  // a tie goes to the even digit
        #expect(JetValue.decimal(.greatestFiniteMagnitude) == 3.4028235e38)
        #expect(JetValue.decimal(.leastNonzeroMagnitude) == 1e-45)
        #expect(JetValue.decimal(-0.0) == 0 && JetValue.decimal(.infinity) == .infinity && JetValue.decimal(.nan).isNaN)
        var rng = SplitMix64(state: 11)
        var differing = 0
        for i in 0..<100_000 {
            let f = i % 2 == 0 ? Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) : Float(Double(rng.next() % 100_000_000) / 1e6 - 50)
            guard f.isFinite else { continue }
            if JetValue.decimal(f) != Double(f.description) { differing += 1 }
        }
        #expect(differing == 0)
    }

    // MARK: corruption refused

    static func expectRefused(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try read(bytes)
            Issue.record("accepted a corrupt database", sourceLocation: sourceLocation)
        } catch let e as CyclerReadError {
            #expect(e.description.contains(fragment), "\(e)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("foreign error \(error)", sourceLocation: sourceLocation)
        }
    }

    static func patch(_ bytes: inout [UInt8], at: Int, _ v: [UInt8]) { bytes.replaceSubrange(at..<(at + v.count), with: v) }

    @Test("a table definition chain that loops back is refused")
    func definitionLoop() {
        let format = JetFormat.jet4
        let b = Self.cellsDatabase(format, indexEntries: (format.pageSize - format.tdefColumnsStart - 10) / format.tdefRealIndexEntrySize)
        var bytes = b.build()
        let (definition, _) = b.pages(of: 0)
        // The continuation page names the first page as its successor.
        Self.patch(&bytes, at: (definition + 1) * format.pageSize + 4, Builder.le32(definition))
        Self.expectRefused(bytes, "loop")
    }

    @Test("a usage map listing pages past the end of the file is refused")
    func usageMapPastEnd() {
        let b = Self.cellsDatabase(.jet4)
        var bytes = b.build()
        // Map row 1 (the table's): first page field set far past the end.
        let mapPage = 3 * 4096
        let start = Int(bytes[mapPage + 12 + 4]) | Int(bytes[mapPage + 12 + 5]) << 8
        Self.patch(&bytes, at: mapPage + start + 1, Builder.le32(1_000_000))
        Self.expectRefused(bytes, "page 1000")
    }

    @Test("a reference usage map whose entries repeat visits each page once; a wrong page type is refused")
    func referenceMapRepeatsAndWrongType() throws {
        let b = Self.cellsDatabase(.jet4, referenceMaps: true)
        var bytes = b.build()
        let mapPage = 3 * 4096
        let start = Int(bytes[mapPage + 12 + 4]) | Int(bytes[mapPage + 12 + 5]) << 8
        let bitmapPage = Int(bytes[mapPage + start + 1])
        // Map row 1 is 5 bytes; it is the last row written, so widening it means moving its start back.
        var widened = bytes
        let entries: [UInt8] = [1] + Builder.le32(bitmapPage) + Builder.le32(bitmapPage)
        Self.patch(&widened, at: mapPage + start - 4, entries)
        Self.patch(&widened, at: mapPage + 12 + 4, Builder.le16(start - 4))
        // The usage-map row 0 (catalog) ends where row 1 started: keep it intact by leaving row 0 at the end.
        let (_, rows) = try Self.read(widened)
        #expect(rows.count == 4)
        Self.patch(&bytes, at: bitmapPage * 4096, [0x01])
        Self.expectRefused(bytes, "not a usage bitmap")
    }

    @Test("moved-row pointers that loop are refused")
    func movedRowLoop() {
        let b = Self.cellsDatabase(.jet4)
        var bytes = b.build()
        let (_, data) = b.pages(of: 0)
        // Page 2 row 1 (the move target) becomes a moved row pointing back at page 1 row 3.
        let page = data[1] * 4096
        let raw = Int(bytes[page + 14 + 2]) | Int(bytes[page + 14 + 3]) << 8
        Self.patch(&bytes, at: page + 14 + 2, Builder.le16((raw & 0x1FFF) | 0x4000))
        Self.patch(&bytes, at: page + (raw & 0x1FFF), [3] + Array(Builder.le32(data[0]).prefix(3)))
        Self.expectRefused(bytes, "loop")
    }

    @Test("row offsets outside the page and oversized row counts are refused with the page and row")
    func badRowOffsets() {
        let b = Self.cellsDatabase(.jet4)
        let (_, data) = b.pages(of: 0)
        var bytes = b.build()
        Self.patch(&bytes, at: data[0] * 4096 + 14 + 4, Builder.le16(5))  // row 2 starts inside the offset table
        Self.expectRefused(bytes, "page \(data[0]), row 2")
        bytes = b.build()
        Self.patch(&bytes, at: data[0] * 4096 + 12, Builder.le16(4000))
        Self.expectRefused(bytes, "declares 4000 rows")
    }

    @Test("a variable-offset table pointing outside the row is refused")
    func badVariableOffset() {
        let b = Self.cellsDatabase(.jet4)
        let (_, data) = b.pages(of: 0)
        var bytes = b.build()
        // Row 0 ends the page: its null mask is the last byte, its variable count the two before,
        // then offset entries 0, 1, 2 (end) going backwards. Make entry 2 (end of data) huge.
        let end = (data[0] + 1) * 4096
        Self.patch(&bytes, at: end - 1 - 2 - 6, Builder.le16(3000))
        Self.expectRefused(bytes, "outside the row's data")
    }

    @Test("a memo spread over a chain of long-value pages; a chain that loops reads as missing")
    func memoChain() throws {
        for loops in [false, true] {
            var b = Self.cellsDatabase(.jet4)
            let first = b.firstExtraPage + 1, second = first + 1
            let part1 = b.text("chained "), part2 = b.text("memo")
            let lval = { (next: Int, data: [UInt8]) in
                b.dataPage(definition: 0, slots: [Slot(bytes: Builder.le32(next << 8) + data)], marker: Array("LVAL".utf8))
            }
            b.extraPages += [lval(second, part1), lval(loops ? first : 0, part2)]
            let note = Builder.le32(part1.count + part2.count + (loops ? 100 : 0)) + Builder.le32(first << 8) + [0, 0, 0, 0]
            b.tables[0].dataPages[0][0] = Slot(bytes: Self.cellRow(b, id: 1, voltage: 3.5, ok: true, label: b.text("alpha"), note: note, current: 0.25))
            let (_, rows) = try Self.read(b.build())
            #expect(rows.count == 4)
            #expect(rows[0][4] == (loops ? .missing : .text("chained memo")))
            #expect(rows[0][3] == .text("alpha"))
        }
    }

    @Test("a memo pointing nowhere reads as missing and keeps the record")
    func brokenMemo() throws {
        let b = Self.cellsDatabase(.jet4)
        var bytes = b.build()
        let lval = b.firstExtraPage * 4096
        Self.patch(&bytes, at: lval + 4, Array("XXXX".utf8))  // no longer a long-value page
        let (_, rows) = try Self.read(bytes)
        #expect(rows.count == 4)
        #expect(rows[3][4] == .missing)
        #expect(rows[3][0] == .number(3))
    }

    @Test("Arbin tables in page order are put in (Test_ID, Data_Point) order")
    func arbinOrder() throws {
        var b = Builder(format: .jet4, tables: [])
        let columns = [Column(name: "Test_ID", type: 0x04, number: 0, fixedOffset: 0, length: 4, fixed: true),
                       Column(name: "Data_Point", type: 0x04, number: 1, fixedOffset: 4, length: 4, fixed: true),
                       Column(name: "Voltage", type: 0x06, number: 2, fixedOffset: 8, length: 4, fixed: true)]
        func rec(_ test: Int, _ point: Int) -> Slot {
            Slot(bytes: b.row(columnCount: 3, fixed: Builder.le32(test) + Builder.le32(point) + Builder.le32(Int(Float(point).bitPattern)), variable: [], present: [0, 1, 2]))
        }
        let global = [Column(name: "Test_ID", type: 0x04, number: 0, fixedOffset: 0, length: 4, fixed: true),
                      Column(name: "Start_DateTime", type: 0x07, number: 1, fixedOffset: 4, length: 8, fixed: true)]
        b.tables = [Table(name: "Channel_Normal_Table", columns: columns, dataPages: [[rec(1, 3), rec(1, 4)], [rec(1, 1), rec(1, 2), rec(2, 1)]]),
                    Table(name: "Global_Table", columns: global, dataPages: [[Slot(bytes: b.row(columnCount: 2, fixed: Builder.le32(1) + Builder.le64(45131.5.bitPattern), variable: [], present: [0, 1]))]])]
        var source = try ArbinResSource(bytes: b.build(), file: "order.res")
        let rows = try readAll(&source)
        #expect(source.reordered)
        #expect(rows.map { [$0[0], $0[1]] } == [[1, 1], [1, 2], [1, 3], [1, 4], [2, 1]].map { $0.map { .number(Double($0)) } })
        #expect(rows.map { $0[2] } == [1, 2, 3, 4, 1].map { .number(Double($0)) })
        #expect(source.metadata["Start_DateTime (ISO, tester local time)"] == "2023-07-24T12:00:00.000")
        #expect(source.position == 5)

        // Already in measurement order: records stream straight from the pages.
        b.tables[0].dataPages = [[rec(1, 1), rec(1, 2)], [rec(1, 3), rec(2, 1)]]
        var streamed = try ArbinResSource(bytes: b.build(), file: "ordered.res")
        #expect(!streamed.reordered)
        var row: [RawValue] = []
        #expect(try streamed.next(into: &row) && row[1] == .number(1) && streamed.position == 1)
        let rest = try readAll(&streamed)
        #expect(rest.map { $0[1] } == [2, 3, 1].map { .number(Double($0)) })
        #expect(streamed.position == 4)
        #expect(try !streamed.next(into: &row))
    }
}

/// Every row of `table` in page order (as mdb-export walks them), every column decoded.
func jetTableRows(_ bytes: [UInt8], file: String, table: String) throws -> (JetTableDefinition, [[RawValue]]) {
    let db = try JetDatabase(bytes: bytes, file: file)
    let definition = try JetCatalog(database: db).table(named: table, database: db)
    var cursor = try JetRowCursor(database: db, table: definition)
    var decoder = JetRowDecoder(database: db, table: definition)
    var rows: [[RawValue]] = []
    var row: [RawValue] = []
    while let at = try cursor.next() {
        try decoder.load(at)
        try decoder.values(into: &row)
        rows.append(row)
    }
    return (definition, rows)
}
