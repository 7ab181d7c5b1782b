import Foundation

/// One decoded column. Formats whose records must be joined, de-duplicated or re-numbered
/// before the first row is known (Neware) are decoded whole into columns, then served row by row.
enum DecodedColumn: Sendable {
    /// NaN stands for "no value" (e.g. an aux channel that has no sample at this index).
    case numbers([Double])
    /// Vendor labels stored once and referenced by code (Neware `Status`).
    case labels(codes: [UInt8], names: [String])
    case texts([String?])

    var count: Int {
        switch self {
        case .numbers(let v): v.count
        case .labels(let c, _): c.count
        case .texts(let t): t.count
        }
    }

    @inline(__always)
    func value(at row: Int) -> RawValue {
        switch self {
        case .numbers(let v):
            let x = v[row]
            return x.isNaN ? .missing : .number(x)
        case .labels(let codes, let names):
            let c = Int(codes[row])
            return c < names.count ? .text(names[c]) : .missing
        case .texts(let t):
            if let s = t[row] { return .text(s) }
            return .missing
        }
    }
}

/// A fully decoded table served through the `RawRecordSource` seam.
public struct DecodedTableSource: RawRecordSource {
    public let format: String
    public let columnNames: [String]
    public let metadata: [String: String]
    let columns: [DecodedColumn]
    public let rowCount: Int
    public private(set) var position: Int = 0

    init(format: String, columnNames: [String], columns: [DecodedColumn], metadata: [String: String]) {
        precondition(columnNames.count == columns.count, "one name per column")
        self.format = format
        self.columnNames = columnNames
        self.columns = columns
        self.metadata = metadata
        self.rowCount = columns.map(\.count).min() ?? 0
    }

    public mutating func next(into row: inout [RawValue]) throws -> Bool {
        guard position < rowCount else { return false }
        if row.count != columns.count { row = Array(repeating: .missing, count: columns.count) }
        for c in 0..<columns.count { row[c] = columns[c].value(at: position) }
        position += 1
        return true
    }

    /// Skips to record `index` (0-based), for resuming a file that was partly read before.
    public mutating func seek(to index: Int) {
        position = min(max(0, index), rowCount)
    }
}
