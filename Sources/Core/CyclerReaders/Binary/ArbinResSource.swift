import Foundation

/// Reads an Arbin `.res` (a Microsoft Jet/ACE database) natively: records from
/// `Channel_Normal_Table`, test facts from `Global_Table`. No external tool runs, so a corrupt
/// file costs no process and cannot make one loop; the Jet reader bounds every walk.
///
/// Jet keeps rows in page order, which after page splits is not the order they were measured.
/// Opening walks the table once, reading only each row's (Test_ID, Data_Point) key: that finds
/// structural damage before the first record is handed out, and tells whether page order is
/// already measurement order. If it is, records are decoded straight from the pages as they are
/// asked for (memory: one page of row locations). If not, a second walk builds an index — each
/// row's location and key, 32 bytes a row, bounded by the file size — sorted by
/// (Test_ID, Data_Point) with ties in page order, and records are decoded in that order.
public struct ArbinResSource: RawRecordSource {
    public let format = "arbin_res"
    public let columnNames: [String]
    public let metadata: [String: String]
    public var position: Int { nextIndex }
    /// True when the rows had to be reordered (page order was not measurement order).
    var reordered: Bool { sorted != nil }
    private var decoder: JetRowDecoder
    /// Page order: the walk that hands out records when no reordering is needed.
    private var cursor: JetRowCursor
    /// Measurement order, when page order is not.
    private let sorted: [JetRowLocation]?
    private var nextIndex = 0

    /// - Parameters:
    ///   - table: the records table (`Channel_Normal_Table` for Arbin).
    ///   - readGlobalTable: also read `Global_Table` into metadata.
    public init(url: URL, table: String = "Channel_Normal_Table", readGlobalTable: Bool = true, limits: BinaryReadLimits = .default) throws {
        let bytes = try readWholeFile(url, limits: limits)
        try self.init(bytes: bytes, file: url.lastPathComponent, table: table, readGlobalTable: readGlobalTable)
    }

    init(bytes: [UInt8], file: String, table: String = "Channel_Normal_Table", readGlobalTable: Bool = true) throws {
        let database: JetDatabase
        do { database = try JetDatabase(bytes: bytes, file: file) } catch let e as CyclerReadError {
            throw CyclerReadError(file: e.file, location: e.location, reason: "not a readable Arbin .res: \(e.reason)")
        }
        let catalog = try JetCatalog(database: database)
        var meta: [String: String] = [:]
        if readGlobalTable {
            meta = try Self.globalFacts(database: database, table: catalog.table(named: "Global_Table", database: database))
        }
        let records = try catalog.table(named: table, database: database)
        columnNames = records.columns.map(\.name)
        metadata = meta
        decoder = JetRowDecoder(database: database, table: records)
        cursor = try JetRowCursor(database: database, table: records)
        sorted = try Self.measurementOrder(database: database, table: records, decoder: &decoder)
    }

    /// Global_Table's first row as text facts; Start_DateTime (an OLE date) also in ISO form.
    static func globalFacts(database: JetDatabase, table: JetTableDefinition) throws -> [String: String] {
        var cursor = try JetRowCursor(database: database, table: table)
        guard let first = try cursor.next() else { return [:] }
        var decoder = JetRowDecoder(database: database, table: table)
        try decoder.load(first)
        var row: [RawValue] = []
        try decoder.values(into: &row)
        var meta: [String: String] = [:]
        for (column, value) in zip(table.columns, row) {
            switch value {
            case .number(let x): meta[column.name] = XLSXWorkbook.plain(x)
            case .text(let s): meta[column.name] = s
            case .missing: break
            }
        }
        if let start = meta["Start_DateTime"].flatMap(Double.init), let iso = XLSXWorkbook.isoDate(excelSerial: start) {
            meta["Start_DateTime (ISO, tester local time)"] = iso
        }
        return meta
    }

    /// Row locations in (Test_ID, Data_Point) order, or nil when page order already is that order.
    static func measurementOrder(database: JetDatabase, table: JetTableDefinition, decoder: inout JetRowDecoder) throws -> [JetRowLocation]? {
        guard let point = table.columns.firstIndex(where: { $0.name == "Data_Point" }) else { return nil }
        let test = table.columns.firstIndex { $0.name == "Test_ID" }
        func key(_ at: JetRowLocation) throws -> Key {
            try decoder.load(at)
            func number(_ k: Int?) throws -> Double {
                guard let k, case .number(let x) = try decoder.value(k), !x.isNaN else { return -.infinity }
                return x
            }
            return Key(test: try number(test), point: try number(point))
        }
        var cursor = try JetRowCursor(database: database, table: table)
        var last: Key?
        var ascending = true
        while let at = try cursor.next() {
            let k = try key(at)
            if let last, k < last { ascending = false }
            last = k
        }
        if ascending { return nil }
        cursor = try JetRowCursor(database: database, table: table)
        var index: [(at: JetRowLocation, key: Key)] = []
        while let at = try cursor.next() { index.append((at, try key(at))) }
        return index.indices.sorted { a, b in
            index[a].key != index[b].key ? index[a].key < index[b].key : a < b
        }.map { index[$0].at }
    }

    struct Key: Comparable {
        var test: Double
        var point: Double
        static func < (a: Key, b: Key) -> Bool { (a.test, a.point) < (b.test, b.point) }
    }

    public mutating func next(into row: inout [RawValue]) throws -> Bool {
        let at: JetRowLocation
        if let sorted {
            guard nextIndex < sorted.count else { return false }
            at = sorted[nextIndex]
        } else {
            guard let next = try cursor.next() else { return false }
            at = next
        }
        try decoder.load(at)
        try decoder.values(into: &row)
        nextIndex += 1
        return true
    }
}
