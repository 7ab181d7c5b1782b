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

    /// Numeric columns, each `rowCount` long, as decoded: the normaliser copies blocks of
    /// them (`ColumnBlockSource`) without a `RawValue` per field.
    let numberColumns: [[Double]]
    /// The same column after column in one buffer (concatenation, no transpose), for
    /// `next(into:)`; built on its first call, so that reading through blocks never pays for it.
    private var numbers: [Double] = []
    /// Per output column: numeric column number, or -1 - k for the k-th label/text column.
    let slots: [Int]
    let labelCodes: [[UInt8]]
    let labelNames: [[String]]
    let texts: [[String?]]
    /// For each non-numeric column k: index into labelCodes (≥ 0) or -1 - index into texts.
    let otherKinds: [Int]

    init(format: String, columnNames: [String], columns: [DecodedColumn], metadata: [String: String]) {
        self.format = format
        self.columnNames = Array(columnNames.prefix(columns.count))
        self.metadata = metadata
        let rows = columns.map(\.count).min() ?? 0
        self.rowCount = rows
        var numberColumns: [[Double]] = []
        var numeric = 0
        var slots: [Int] = []
        var codes: [[UInt8]] = [], names: [[String]] = [], texts: [[String?]] = [], kinds: [Int] = []
        for column in columns.prefix(self.columnNames.count) {
            switch column {
            case .numbers(let v):
                numberColumns.append(v.count == rows ? v : Array(v.prefix(rows)))
                slots.append(numeric)
                numeric += 1
            case .labels(let c, let n):
                slots.append(-1 - kinds.count)
                kinds.append(codes.count)
                codes.append(c); names.append(n)
            case .texts(let t):
                slots.append(-1 - kinds.count)
                kinds.append(-1 - texts.count)
                texts.append(t)
            }
        }
        self.numberColumns = numberColumns
        self.slots = slots
        self.labelCodes = codes
        self.labelNames = names
        self.texts = texts
        self.otherKinds = kinds
    }

    public mutating func next(into row: inout [RawValue]) throws -> Bool {
        guard position < rowCount else { return false }
        if numbers.isEmpty, !numberColumns.isEmpty {
            numbers.reserveCapacity(rowCount * numberColumns.count)
            for column in numberColumns { numbers.append(contentsOf: column) }
        }
        let width = slots.count
        if row.count != width { row = Array(repeating: .missing, count: width) }
        let r = position
        let rows = rowCount
        numbers.withUnsafeBufferPointer { n in
            slots.withUnsafeBufferPointer { s in
                row.withUnsafeMutableBufferPointer { out in
                    for c in 0..<min(width, out.count) {
                        let slot = s[c]
                        if slot >= 0 {
                            let x = n[slot * rows + r]
                            out[c] = x.isNaN ? .missing : .number(x)
                        } else {
                            out[c] = otherValue(slot: slot, row: r)
                        }
                    }
                }
            }
        }
        position += 1
        return true
    }

    @inline(never)
    func otherValue(slot: Int, row r: Int) -> RawValue {
        let kind = otherKinds[-1 - slot]
        if kind >= 0 {
            let code = Int(labelCodes[kind][r])
            let table = labelNames[kind]
            return code < table.count ? .text(table[code]) : .missing
        }
        if let t = texts[-1 - kind][r] { return .text(t) }
        return .missing
    }

    /// Skips to record `index` (0-based), for resuming a file that was partly read before.
    public mutating func seek(to index: Int) {
        position = min(max(0, index), rowCount)
    }
}

extension DecodedTableSource: ColumnBlockSource {
    var recordCount: Int { rowCount }

    func blockKind(ofColumn index: Int) -> ColumnBlockKind? {
        guard index >= 0, index < slots.count else { return nil }
        let slot = slots[index]
        if slot >= 0 { return .numbers(nanIsMissing: true) }
        let kind = otherKinds[-1 - slot]
        return kind >= 0 ? .labels(names: labelNames[kind]) : nil
    }

    func copyColumn(_ index: Int, from start: Int, count: Int, into out: UnsafeMutablePointer<Double>) throws {
        precondition(start >= 0 && count >= 0 && start + count <= rowCount, "block outside the table")
        if count == 0 { return }
        let slot = slots[index]
        if slot >= 0 {
            numberColumns[slot].withUnsafeBufferPointer { n in
                out.initialize(from: n.baseAddress! + start, count: count)
            }
            return
        }
        let kind = otherKinds[-1 - slot]
        precondition(kind >= 0, "text column has no block form")
        labelCodes[kind].withUnsafeBufferPointer { codes in
            for k in 0..<count { (out + k).initialize(to: Double(codes[start + k])) }
        }
    }
}
