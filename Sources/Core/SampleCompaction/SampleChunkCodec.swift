/// A compacted chunk of one test's samples: every column of `samples`, exactly, in a few bytes
/// a sample (docs/compaction.md). Layout: a format byte, the row count as a LEB128 varint, then
/// one bit stream of the columns in `StoredSampleColumns.columnNames` order — `seq` as integers, every
/// other column as its NULL runs (`PresenceCoding`) followed by its present values
/// (`DoubleColumnCoding`, `IntegerColumnCoding`).
public enum SampleChunkCodec {
    public static let format: UInt8 = 1
    /// A chunk holds at most this many rows; a header claiming more is damage, not a chunk.
    public static let maximumRows = 1 << 20

    public static func encode(_ columns: StoredSampleColumns) -> [UInt8] { encodeCountingBits(columns).bytes }

    /// The chunk, and the bits each column takes in it (`columnNames` order): where the bytes go.
    public static func encodeCountingBits(_ columns: StoredSampleColumns) -> (bytes: [UInt8], columnBits: [Int]) {
        precondition(columns.isRectangular, "a chunk's columns must all have one value a row")
        precondition(columns.count <= maximumRows, "a chunk holds at most \(maximumRows) rows")
        var header: [UInt8] = [format]
        var count = UInt64(columns.count)
        while count >= 0x80 {
            header.append(UInt8(count & 0x7F) | 0x80)
            count >>= 7
        }
        header.append(UInt8(count))
        // Each column into a writer of its own, then one stream of them all.
        var encoded: [BitWriter] = []
        var seq = BitWriter(reservingBits: columns.count)
        IntegerColumnCoding.encode(columns.seq, into: &seq)
        encoded.append(seq)
        for path in StoredSampleColumns.doubleColumns {
            let column = columns[keyPath: path]
            var writer = BitWriter(reservingBits: columns.count * 8)
            PresenceCoding.encode(column.map { $0 != nil }, into: &writer)
            DoubleColumnCoding.encode(column.compactMap { $0 }, into: &writer)
            encoded.append(writer)
        }
        for column in [columns.stepIndex.map { $0.map(Int64.init) }, columns.stepType.map { $0.map(Int64.init) }, columns.cycleIndex.map { $0.map(Int64.init) }] {
            var writer = BitWriter(reservingBits: columns.count)
            PresenceCoding.encode(column.map { $0 != nil }, into: &writer)
            IntegerColumnCoding.encode(column.compactMap { $0 }, into: &writer)
            encoded.append(writer)
        }
        var stream = BitWriter(reservingBits: encoded.reduce(0) { $0 + $1.bitCount })
        for writer in encoded { stream.append(writer) }
        return (header + stream.finish(), encoded.map(\.bitCount))
    }

    public static func decode(_ bytes: [UInt8]) throws(SampleChunkError) -> StoredSampleColumns {
        guard let version = bytes.first else { throw .truncated }
        guard version == format else { throw .unknownFormat(version) }
        var index = 1
        var count: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < bytes.count else { throw .truncated }
            let byte = bytes[index]
            index += 1
            guard shift < 28 else { throw .inconsistent("a row count longer than \(maximumRows)") }
            count |= UInt64(byte & 0x7F) << shift
            shift += 7
            if byte < 0x80 { break }
        }
        guard count <= UInt64(maximumRows) else { throw .inconsistent("\(count) rows, more than a chunk holds") }
        let rows = Int(count)
        var reader = BitReader(bytes[index...])
        var columns = StoredSampleColumns()
        columns.seq = try IntegerColumnCoding.decode(count: rows, from: &reader)
        for (offset, path) in StoredSampleColumns.doubleColumns.enumerated() {
            let name = StoredSampleColumns.columnNames[1 + offset]
            let present = try PresenceCoding.decode(count: rows, column: name, from: &reader)
            let values = try DoubleColumnCoding.decode(count: present.count { $0 }, column: name, from: &reader)
            columns[keyPath: path] = spread(values, over: present)
        }
        var integers: [[Int64?]] = []
        for name in StoredSampleColumns.columnNames.suffix(3) {
            let present = try PresenceCoding.decode(count: rows, column: name, from: &reader)
            integers.append(spread(try IntegerColumnCoding.decode(count: present.count { $0 }, from: &reader), over: present))
        }
        columns.stepIndex = try narrow(integers[0], "step_index")
        columns.stepType = try narrow(integers[1], "step_type")
        columns.cycleIndex = try narrow(integers[2], "cycle_index")
        // Only the last byte's padding may be left: more is not this chunk.
        guard reader.bitsLeft < 8 else { throw .inconsistent("\(reader.bitsLeft / 8) bytes follow the last column") }
        return columns
    }

    private static func spread<T>(_ values: [T], over present: [Bool]) -> [T?] {
        var next = values.makeIterator()
        return present.map { $0 ? next.next() : nil }
    }

    private static func narrow<T: FixedWidthInteger>(_ values: [Int64?], _ column: String) throws(SampleChunkError) -> [T?] {
        var narrowed: [T?] = []
        narrowed.reserveCapacity(values.count)
        for value in values {
            guard let value else { narrowed.append(nil); continue }
            guard let exact = T(exactly: value) else { throw .inconsistent("column \(column) holds \(value), out of its range") }
            narrowed.append(exact)
        }
        return narrowed
    }
}
