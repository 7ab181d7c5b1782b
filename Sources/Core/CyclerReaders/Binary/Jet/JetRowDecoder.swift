import Foundation

/// Turns a stored row into values. A row is: its column count; the fixed-length values at
/// their TDEF offsets; the variable-length values; then, read backwards from the end, the
/// null mask (one bit per column number, 1 = present; for booleans the bit is the value), the
/// number of variable columns and their offset table (Jet 4: two-byte offsets; Jet 3: one-byte
/// offsets plus a "jump table" of the entries that cross each 256-byte boundary). A row may
/// hold fewer columns than the table has (columns added later): those read as missing.
struct JetRowDecoder {
    let database: JetDatabase
    let table: JetTableDefinition
    /// For each column (table order), its ordinal among fixed-length columns, or -1.
    private let fixedOrdinal: [Int]

    // The row being decoded (set by `load`).
    private var location = JetRowLocation(page: 0, row: 0, start: 0, end: 0)
    private var nullMaskStart = 0
    private var nullMaskSize = 0
    private var dataEnd = 0
    private var fixedPresent = 0
    private var variableCount = 0
    private var variableOffsets: [Int] = []

    init(database: JetDatabase, table: JetTableDefinition) {
        self.database = database
        self.table = table
        var ordinal = 0
        fixedOrdinal = table.columns.map { c in
            guard c.isFixed else { return -1 }
            defer { ordinal += 1 }
            return ordinal
        }
    }

    private func error(_ reason: String) -> CyclerReadError {
        database.error(page: Int(location.page), row: Int(location.row), table: table.name, reason)
    }

    /// Reads the row's layout (column count, null mask, variable-offset table).
    mutating func load(_ at: JetRowLocation) throws {
        location = at
        let storage = database.bytes.storage
        let format = database.format
        let countSize = format.rowCountFieldSize
        let length = at.end - at.start
        guard length >= countSize else { throw error("row of \(length) bytes has no column count") }
        let columnCount = format.generation == .jet3 ? Int(storage[at.start]) : Int(storage[at.start]) | Int(storage[at.start + 1]) << 8
        nullMaskSize = (columnCount + 7) / 8
        guard nullMaskSize <= length - countSize else {
            throw error("row of \(length) bytes cannot hold the null mask of its \(columnCount) columns")
        }
        nullMaskStart = at.end - nullMaskSize
        variableCount = 0
        variableOffsets.removeAll(keepingCapacity: true)
        let bodyStart = at.start + countSize
        var trailer = nullMaskStart
        if table.variableColumnCount > 0 {
            switch format.generation {
            case .jet4:
                guard trailer - 2 >= bodyStart else { throw error("row too short for its variable-column count") }
                variableCount = Int(storage[trailer - 2]) | Int(storage[trailer - 1]) << 8
                let tableStart = trailer - 2 - 2 * (variableCount + 1)
                guard tableStart >= bodyStart else {
                    throw error("row declares \(variableCount) variable columns; their offset table does not fit in its \(length) bytes")
                }
                for i in 0...variableCount {
                    let p = trailer - 4 - 2 * i
                    variableOffsets.append(Int(storage[p]) | Int(storage[p + 1]) << 8)
                }
                trailer = tableStart
            case .jet3:
                guard trailer - 1 >= bodyStart else { throw error("row too short for its variable-column count") }
                variableCount = Int(storage[trailer - 1])
                // One jump entry per 256 bytes of row; the last may be a filler that is not used.
                let jumpSlots = (length - 1) / 256
                let firstEntry = trailer - 2 - jumpSlots
                let tableStart = firstEntry - variableCount
                guard tableStart >= bodyStart else {
                    throw error("row declares \(variableCount) variable columns; their offset table does not fit in its \(length) bytes")
                }
                var jumps = jumpSlots
                if (firstEntry - at.start - variableCount) / 256 < jumps { jumps -= 1 }
                var used = 0
                for i in 0...variableCount {
                    while used < jumps && Int(storage[trailer - 2 - used]) == i { used += 1 }
                    variableOffsets.append(Int(storage[firstEntry - i]) + 256 * used)
                }
                trailer = tableStart
            }
        }
        dataEnd = trailer
        fixedPresent = max(0, columnCount - variableCount)
    }

    /// Whether the null-mask bit of column number `number` is set (absent bits read as unset).
    @inline(__always)
    private func bit(_ number: Int) -> Bool {
        let byte = number / 8
        guard number >= 0, byte < nullMaskSize else { return false }
        return database.bytes.storage[nullMaskStart + byte] & (1 << (number % 8)) != 0
    }

    /// The value of column `k` (an index into `table.columns`) of the loaded row.
    func value(_ k: Int) throws -> RawValue {
        let c = table.columns[k]
        let present = bit(c.number)
        if c.type == .bool { return .number(present ? 1 : 0) }
        guard present else { return .missing }
        let start: Int, end: Int
        if c.isFixed {
            guard fixedOrdinal[k] < fixedPresent else { return .missing }
            start = location.start + database.format.rowCountFieldSize + c.fixedOffset
            end = start + (c.type.fixedWidth ?? c.length)
            guard end <= dataEnd else {
                throw error("column \(c.name) (fixed, offset \(c.fixedOffset)) runs past the row's data, which ends at byte \(dataEnd - location.start)")
            }
        } else {
            guard c.variableIndex < variableCount else { return .missing }
            start = location.start + variableOffsets[c.variableIndex]
            end = location.start + variableOffsets[c.variableIndex + 1]
            guard start >= location.start + database.format.rowCountFieldSize, start <= end, end <= dataEnd else {
                throw error("column \(c.name) spans row bytes \(start - location.start)..<\(end - location.start), outside the row's data (\(database.format.rowCountFieldSize)..<\(dataEnd - location.start))")
            }
        }
        return try JetValue.decode(c, start: start, end: end, database: database, at: location, table: table.name)
    }

    /// Every column of the loaded row, in table order.
    func values(into row: inout [RawValue]) throws {
        if row.count != table.columns.count { row = Array(repeating: .missing, count: table.columns.count) }
        for k in 0..<table.columns.count { row[k] = try value(k) }
    }
}
