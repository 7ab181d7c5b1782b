import Foundation

/// Reads an Arbin `.res` (a Microsoft Jet/ACE database) natively: records from
/// `Channel_Normal_Table`, test facts from `Global_Table`. No external tool runs, so a corrupt
/// file costs no process and cannot make one loop; the Jet reader bounds every walk.
///
/// Jet keeps rows in page order, which after page splits is not the order they were measured.
/// Opening indexes the table — each live row's location plus its (Test_ID, Data_Point) key, a
/// few dozen bytes a row — and records are decoded one at a time as they are asked for. When
/// the keys are already ascending (the usual case) the index is used as walked; otherwise it
/// is put in (Test_ID, Data_Point) order, ties kept in page order.
public struct ArbinResSource: RawRecordSource {
    public let format = "arbin_res"
    public let columnNames: [String]
    public let metadata: [String: String]
    public var position: Int { nextIndex }
    /// True when the rows had to be reordered (page order was not measurement order).
    let reordered: Bool
    private var decoder: JetRowDecoder
    private let order: [JetRowLocation]
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
        (order, reordered) = try Self.measurementOrder(database: database, table: records, decoder: &decoder)
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

    /// Every live row's location, in (Test_ID, Data_Point) order.
    static func measurementOrder(database: JetDatabase, table: JetTableDefinition, decoder: inout JetRowDecoder) throws -> ([JetRowLocation], Bool) {
        let test = table.columns.firstIndex { $0.name == "Test_ID" }
        let point = table.columns.firstIndex { $0.name == "Data_Point" }
        func key(_ k: Int?) throws -> Double {
            guard let k, case .number(let x) = try decoder.value(k), !x.isNaN else { return -.infinity }
            return x
        }
        var cursor = try JetRowCursor(database: database, table: table)
        var locations: [JetRowLocation] = []
        var keys: [(test: Double, point: Double)] = []
        var ascending = true
        while let at = try cursor.next() {
            try decoder.load(at)
            let k = (test: try key(test), point: try key(point))
            if let last = keys.last, k < last { ascending = false }
            locations.append(at)
            keys.append(k)
        }
        if ascending || point == nil { return (locations, false) }
        let sorted = locations.indices.sorted { a, b in keys[a] != keys[b] ? keys[a] < keys[b] : a < b }
        return (sorted.map { locations[$0] }, true)
    }

    public mutating func next(into row: inout [RawValue]) throws -> Bool {
        guard nextIndex < order.count else { return false }
        try decoder.load(order[nextIndex])
        try decoder.values(into: &row)
        nextIndex += 1
        return true
    }
}
