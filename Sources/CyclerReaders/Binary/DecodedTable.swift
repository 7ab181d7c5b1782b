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
    public let rowCount: Int
    public private(set) var position: Int = 0

    /// Numeric columns stored row-major, so serving a record reads one contiguous run.
    let numbers: [Double]
    let numericWidth: Int
    /// Per output column: index into the numeric row, or -1 - k for `others[k]`.
    let slots: [Int]
    let others: [DecodedColumn]

    init(format: String, columnNames: [String], columns: [DecodedColumn], metadata: [String: String]) {
        self.format = format
        self.columnNames = Array(columnNames.prefix(columns.count))
        self.metadata = metadata
        let rows = columns.map(\.count).min() ?? 0
        self.rowCount = rows
        var numericColumns: [[Double]] = []
        var slots: [Int] = []
        var others: [DecodedColumn] = []
        for column in columns.prefix(self.columnNames.count) {
            if case .numbers(let v) = column {
                slots.append(numericColumns.count)
                numericColumns.append(v)
            } else {
                slots.append(-1 - others.count)
                others.append(column)
            }
        }
        let width = numericColumns.count
        var flat = [Double](repeating: 0, count: rows * width)
        for (c, v) in numericColumns.enumerated() {
            for r in 0..<rows { flat[r * width + c] = v[r] }
        }
        self.numbers = flat
        self.numericWidth = width
        self.slots = slots
        self.others = others
    }

    public mutating func next(into row: inout [RawValue]) throws -> Bool {
        guard position < rowCount else { return false }
        let width = slots.count
        if row.count != width { row = Array(repeating: .missing, count: width) }
        let base = position * numericWidth
        numbers.withUnsafeBufferPointer { n in
            for c in 0..<width {
                let s = slots[c]
                if s >= 0 {
                    let x = n[base + s]
                    row[c] = x.isNaN ? .missing : .number(x)
                } else {
                    row[c] = others[-1 - s].value(at: position)
                }
            }
        }
        position += 1
        return true
    }

    /// Skips to record `index` (0-based), for resuming a file that was partly read before.
    public mutating func seek(to index: Int) {
        position = min(max(0, index), rowCount)
    }
}
