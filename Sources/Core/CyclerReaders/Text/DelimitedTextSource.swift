import Foundation

/// Streams the records of a delimited text export (CSV, TSV) with bounded memory: the file is read
/// in chunks and each line is split and parsed in place, byte by byte. Resumable from a
/// `TextResumePoint` so that a growing file can be followed.
public struct DelimitedTextSource: RawRecordSource {
    public let format: String
    public let columnNames: [String]
    public let metadata: [String: String]
    public private(set) var position: Int
    /// True when the last record of the file was cut short (fewer fields than the header).
    public private(set) var finalRecordTruncated = false
    /// Layered exports: the index of the first column a record inherits from its cycle and step rows.
    public var inheritedColumnsStart: Int? { layout.layered?.recordColumns.count }

    private let path: String
    private let layout: TextLayout
    /// Columns worth parsing; the others come back `.missing` (skipping them is most of the speed).
    private let wanted: [Bool]
    /// Field byte ranges of the current record, for `CyclerRecordReader`'s allocation-free path.
    let spans: FieldSpans
    private let followGrowingFile: Bool
    private var reader: ChunkedLineReader
    private var lineNumber: Int
    // Layered exports: the columns each record row inherits from its cycle and step rows.
    private var parentValues: [RawValue]

    /// Where to pick up a file again: the byte offset of the next line and the record index.
    public struct ResumePoint: Sendable, Hashable, Codable {
        public var byteOffset: Int
        public var recordIndex: Int
        public var lineNumber: Int
    }

    public var resumePoint: ResumePoint {
        heldBack ?? ResumePoint(byteOffset: reader.offsetOfNextLine, recordIndex: position, lineNumber: lineNumber)
    }

    /// Where a short last line left for later starts (following a growing file).
    private var heldBack: ResumePoint?

    /// - Parameters:
    ///   - wantedColumns: names of the columns to parse; nil parses all.
    ///   - followGrowingFile: an unterminated final line is left for later instead of read as
    ///     a (possibly truncated) record.
    public init(
        path: String, format: String, layout: TextLayout, wantedColumns: Set<String>? = nil,
        resumeFrom: ResumePoint? = nil, followGrowingFile: Bool = false
    ) throws {
        self.path = path
        self.format = format
        self.layout = layout
        self.metadata = layout.metadata
        self.followGrowingFile = followGrowingFile
        var names = layout.columnNames
        if let layered = layout.layered {
            names = layered.recordColumns + layered.cycleColumns + layered.stepColumns
        }
        self.columnNames = names
        self.wanted = names.map { wantedColumns?.contains($0) ?? true }
        self.spans = FieldSpans(wanted: wanted, decimalSeparator: layout.decimalSeparator, groupingSeparator: layout.groupingSeparator)
        let start = resumeFrom?.byteOffset ?? layout.dataStartOffset
        self.reader = try ChunkedLineReader(path: path, startOffset: start)
        self.position = resumeFrom?.recordIndex ?? 0
        self.lineNumber = resumeFrom?.lineNumber ?? (layout.headerLineNumber + 1)
        self.parentValues = Array(repeating: .missing, count: (layout.layered?.cycleColumns.count ?? 0) + (layout.layered?.stepColumns.count ?? 0))
    }

    public mutating func next(into row: inout [RawValue]) throws -> Bool {
        switch try nextRecord(values: &row) {
        case .end: return false
        case .values: return true
        case .spans:
            materialise(into: &row)
            return true
        }
    }

    /// How `nextRecord` handed out a record.
    enum RecordForm {
        /// No more records.
        case end
        /// In `spans` (valid until the next read).
        case spans
        /// Written to the `values` row: layered exports, and a cut-short last record whose line
        /// had to be released to look past it.
        case values
    }

    /// The next record as field byte ranges where possible, so that a reader can parse only the
    /// fields it uses, straight from the buffer, without a `String` or `RawValue` per field.
    mutating func nextRecord(values row: inout [RawValue]) throws -> RecordForm {
        if layout.layered != nil, row.count != columnNames.count { row = Array(repeating: .missing, count: columnNames.count) }
        while true {
            let lineStart = reader.offsetOfNextLine
            guard let line = try reader.nextLine(allowUnterminated: !followGrowingFile) else { return .end }
            lineNumber += 1
            if line.isBlank { continue }
            if layout.layered != nil {
                if try parseLayeredLine(line, into: &row) {
                    position += 1
                    return .values
                }
                continue
            }
            let columnCount = spans.count
            let found = try split(line)
            var form = RecordForm.spans
            if found < columnCount {
                for k in found..<columnCount { spans.starts[k] = 0; spans.ends[k] = 0; spans.isNumber[k] = false }
                if !Self.trailingColumnsOptional(layout.columnNames, from: found) {
                    if followGrowingFile, try reader.restIsBlank() {
                        // A short last line of a file still being written: the instrument's cut
                        // last record, or one being written. Left for later (read as a cut record
                        // once the file is read without following, as a whole read does).
                        heldBack = ResumePoint(byteOffset: lineStart, recordIndex: position, lineNumber: lineNumber - 1)
                        return .end
                    }
                    // Looking past this line may move the buffer it points into: copy the record out first.
                    if row.count != columnCount { row = Array(repeating: .missing, count: columnCount) }
                    materialise(into: &row)
                    form = .values
                    if try line.isFinal || (!followGrowingFile && reader.restIsBlank()) {
                        finalRecordTruncated = true
                    } else {
                        throw CyclerReadError(file: path, location: location(), reason: "record has \(found) fields where the header has \(columnCount): the file is cut or corrupt")
                    }
                }
            }
            position += 1
            return form
        }
    }

    /// The current spans as `RawValue`s (unwanted and absent fields `.missing`).
    func materialise(into row: inout [RawValue]) {
        if row.count != spans.count { row = Array(repeating: .missing, count: spans.count) }
        for k in 0..<spans.count {
            row[k] = spans.wanted[k] ? spans.view.value(k) : .missing
        }
    }

    /// Splits a (non-layered) line into `spans`: wanted columns get their field's byte range,
    /// the others an empty one. Returns the number of fields, at most the header's column
    /// count; more non-blank fields than that is an error.
    private mutating func split(_ line: LineBytes) throws -> Int {
        let delimiter = layout.delimiter
        let quote = UInt8(ascii: "\"")
        let base = line.base
        spans.base = base
        let starts = spans.starts
        let ends = spans.ends
        let wanted = spans.wanted
        let columnCount = spans.count
        let lastWanted = spans.lastWanted
        let numbers = spans.numbers
        let isNumber = spans.isNumber
        let decimal = spans.decimalSeparator
        let grouping = spans.groupingSeparator
        var fieldStart = line.start
        var end = line.end
        // Older Novonix exports wrap each whole line in quotes: `"a,b,c"`.
        if end - fieldStart >= 2, base[fieldStart] == quote, base[end - 1] == quote,
           memchr(base + fieldStart + 1, Int32(quote), end - fieldStart - 2) == nil {
            fieldStart += 1
            end -= 1
        }
        let nextWanted = spans.nextWanted
        var column = 0
        var i = fieldStart
        while true {
            // A run of unwanted columns before a wanted one: jump over their delimiters word by
            // word (their spans stay empty) unless a quote could hide one or the line ends first.
            if column < columnCount, !wanted[column], nextWanted[column] > column,
               let after = Self.skipDelimiters(base, i, end, count: nextWanted[column] - column, delimiter: delimiter, quote: quote) {
                column = nextWanted[column]
                i = after
                fieldStart = after
            }
            var fieldEnd: Int
            if i < end, base[i] == quote {
                var k = i + 1
                while k < end, base[k] != quote { k += 1 }
                fieldStart = i + 1
                fieldEnd = k
                i = k < end ? k + 1 : k
                while i < end, base[i] != delimiter { i += 1 }
            } else {
                i = Self.nextDelimiter(base, i, end, delimiter: delimiter)
                fieldEnd = i
            }
            if column < columnCount {
                if wanted[column] {
                    starts[column] = fieldStart
                    ends[column] = fieldEnd
                    // Every field a reader asks for is tried as a number first: do it now, while
                    // its bytes are at hand, and once.
                    if let v = FastNumberParser.parse(base, fieldStart, fieldEnd, decimalSeparator: decimal, groupingSeparator: grouping) {
                        numbers[column] = v
                        isNumber[column] = true
                    } else {
                        isNumber[column] = false
                    }
                } else {
                    starts[column] = 0
                    ends[column] = 0
                }
                // Past the last wanted column only the count of fields matters: count delimiters
                // word by word unless a quote could hide one.
                if column == lastWanted, i < end {
                    let (delimiters, sawQuote) = Self.countDelimiters(base, i, end, delimiter: delimiter, quote: quote)
                    let total = column + 1 + delimiters
                    if !sawQuote, total <= columnCount {
                        for k in (column + 1)..<total { starts[k] = 0; ends[k] = 0 }
                        return total
                    }
                }
            } else if fieldEnd > fieldStart, !Self.isBlank(base, fieldStart, fieldEnd) {
                throw CyclerReadError(file: path, location: location(), reason: "record has more fields than the \(columnCount) column names of the header")
            }
            column += 1
            if i >= end { break }
            i += 1
            fieldStart = i
        }
        return min(column, columnCount)
    }

    /// Index of the first `delimiter` in `[from, end)`, or `end`; eight bytes at a time.
    @inline(__always)
    static func nextDelimiter(_ base: UnsafePointer<UInt8>, _ from: Int, _ end: Int, delimiter: UInt8) -> Int {
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let spread = UInt64(delimiter) &* 0x0101_0101_0101_0101
        let raw = UnsafeRawPointer(base)
        var k = from
        while k + 8 <= end {
            let v = raw.loadUnaligned(fromByteOffset: k, as: UInt64.self) ^ spread
            let zero = ~((((v & low7) &+ low7) | v) | low7)
            if zero != 0 { return k + (UInt64(littleEndian: zero).trailingZeroBitCount >> 3) }
            k += 8
        }
        while k < end, base[k] != delimiter { k += 1 }
        return k
    }

    /// The index just past the `count`-th delimiter from `from`, or nil when the line ends first
    /// or a quote comes up on the way (then the fields must be walked one by one).
    @inline(__always)
    static func skipDelimiters(_ base: UnsafePointer<UInt8>, _ from: Int, _ end: Int, count: Int, delimiter: UInt8, quote: UInt8) -> Int? {
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let spreadDelimiter = UInt64(delimiter) &* 0x0101_0101_0101_0101
        let spreadQuote = UInt64(quote) &* 0x0101_0101_0101_0101
        @inline(__always) func zeroBytes(_ v: UInt64) -> UInt64 { ~((((v & low7) &+ low7) | v) | low7) }
        let raw = UnsafeRawPointer(base)
        var remaining = count
        var k = from
        while k + 8 <= end {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: k, as: UInt64.self))
            if zeroBytes(word ^ spreadQuote) != 0 { return nil }
            var hits = zeroBytes(word ^ spreadDelimiter)
            let n = hits.nonzeroBitCount
            if n >= remaining {
                for _ in 1..<remaining { hits &= hits &- 1 }
                return k + (hits.trailingZeroBitCount >> 3) + 1
            }
            remaining -= n
            k += 8
        }
        while k < end {
            let c = base[k]
            if c == quote { return nil }
            if c == delimiter {
                remaining -= 1
                if remaining == 0 { return k + 1 }
            }
            k += 1
        }
        return nil
    }

    /// Delimiters in `[from, end)`, eight bytes at a time, and whether a quote occurs there.
    @inline(__always)
    static func countDelimiters(_ base: UnsafePointer<UInt8>, _ from: Int, _ end: Int, delimiter: UInt8, quote: UInt8) -> (Int, Bool) {
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let spreadDelimiter = UInt64(delimiter) &* 0x0101_0101_0101_0101
        let spreadQuote = UInt64(quote) &* 0x0101_0101_0101_0101
        // High bit set exactly in the zero bytes of `v` (no borrow between bytes).
        @inline(__always) func zeroBytes(_ v: UInt64) -> UInt64 { ~((((v & low7) &+ low7) | v) | low7) }
        var count = 0
        var quotes: UInt64 = 0
        var k = from
        let raw = UnsafeRawPointer(base)
        while k + 8 <= end {
            let word = raw.loadUnaligned(fromByteOffset: k, as: UInt64.self)
            count += zeroBytes(word ^ spreadDelimiter).nonzeroBitCount
            quotes |= zeroBytes(word ^ spreadQuote)
            k += 8
        }
        var sawQuote = quotes != 0
        while k < end {
            let c = base[k]
            if c == delimiter { count += 1 } else if c == quote { sawQuote = true }
            k += 1
        }
        return (count, sawQuote)
    }

    private func location() -> String { "line \(lineNumber)" }

    private mutating func parseLayeredLine(_ line: LineBytes, into row: inout [RawValue]) throws -> Bool {
        guard let layered = layout.layered else { return false }
        let leadingEmpty = line.leadingEmptyFields(delimiter: layout.delimiter)
        let recordCount = layered.recordColumns.count
        let cycleCount = layered.cycleColumns.count
        switch leadingEmpty {
        case 0:
            var values = Array(repeating: RawValue.missing, count: cycleCount)
            try parseFields(line, columnOffset: 0, columnCount: cycleCount, wantedOffset: recordCount, into: &values, isFinal: false, forceAll: true)
            for k in 0..<cycleCount { parentValues[k] = values[k] }
            for k in cycleCount..<parentValues.count { parentValues[k] = .missing }
            return false
        case 1:
            let stepCount = layered.stepColumns.count
            var values = Array(repeating: RawValue.missing, count: stepCount + 1)
            try parseFields(line, columnOffset: 0, columnCount: stepCount + 1, wantedOffset: recordCount + cycleCount - 1, into: &values, isFinal: false, forceAll: true)
            for k in 0..<stepCount { parentValues[cycleCount + k] = values[k + 1] }
            return false
        default:
            var values = Array(repeating: RawValue.missing, count: recordCount + 2)
            try parseFields(line, columnOffset: 0, columnCount: recordCount + 2, wantedOffset: -2, into: &values, isFinal: line.isFinal, forceAll: true)
            for k in 0..<recordCount { row[k] = values[k + 2] }
            for k in 0..<parentValues.count { row[recordCount + k] = parentValues[k] }
            return true
        }
    }

    /// Splits one line into `columnCount` fields written to `row[columnOffset...]`.
    private mutating func parseFields(
        _ line: LineBytes, columnOffset: Int, columnCount: Int, wantedOffset: Int,
        into row: inout [RawValue], isFinal: Bool, forceAll: Bool = false
    ) throws {
        let delimiter = layout.delimiter
        let decimal = layout.decimalSeparator
        let grouping = layout.groupingSeparator
        let base = line.base
        var fieldStart = line.start
        var end = line.end
        // Older Novonix exports wrap each whole line in quotes: `"a,b,c"`.
        if end - fieldStart >= 2, base[fieldStart] == UInt8(ascii: "\""), base[end - 1] == UInt8(ascii: "\""),
           memchr(base + fieldStart + 1, Int32(UInt8(ascii: "\"")), end - fieldStart - 2) == nil {
            fieldStart += 1
            end -= 1
        }
        var column = 0
        var i = fieldStart
        while true {
            var fieldEnd = i
            var quoted = false
            if i < end, base[i] == UInt8(ascii: "\"") {
                quoted = true
                var k = i + 1
                while k < end, base[k] != UInt8(ascii: "\"") { k += 1 }
                fieldStart = i + 1
                fieldEnd = k
                i = k < end ? k + 1 : k
                while i < end, base[i] != delimiter { i += 1 }
            } else {
                if let hit = memchr(base + i, Int32(delimiter), end - i) {
                    i = (base + i).distance(to: hit.assumingMemoryBound(to: UInt8.self)) + i
                } else {
                    i = end
                }
                fieldEnd = i
            }
            if column < columnCount {
                let wantedIndex = column + wantedOffset
                let isWanted = forceAll || (wantedIndex >= 0 && wantedIndex < wanted.count ? wanted[wantedIndex] : true)
                if isWanted {
                    row[columnOffset + column] = Self.value(base, fieldStart, fieldEnd, decimal: decimal, grouping: grouping, quoted: quoted)
                } else {
                    row[columnOffset + column] = .missing
                }
            } else if fieldEnd > fieldStart, !Self.isBlank(base, fieldStart, fieldEnd) {
                throw CyclerReadError(file: path, location: location(), reason: "record has more fields than the \(columnCount) column names of the header")
            }
            column += 1
            if i >= end { break }
            i += 1
            fieldStart = i
        }
        if column < columnCount {
            if Self.trailingColumnsOptional(layout.columnNames, from: column) {
                for k in column..<columnCount { row[columnOffset + k] = .missing }
            } else if try isFinal || (!followGrowingFile && reader.restIsBlank()) {
                finalRecordTruncated = true
                for k in column..<columnCount { row[columnOffset + k] = .missing }
            } else {
                throw CyclerReadError(file: path, location: location(), reason: "record has \(column) fields where the header has \(columnCount): the file is cut or corrupt")
            }
        }
    }

    /// Some exports end their header with an empty name (a trailing delimiter) that data rows omit.
    private static func trailingColumnsOptional(_ names: [String], from index: Int) -> Bool {
        guard index < names.count else { return true }
        return names[index...].allSatisfy { $0.isEmpty }
    }

    @inline(__always)
    private static func isBlank(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        for k in start..<end where base[k] != 0x20 && base[k] != 0x09 { return false }
        return true
    }

    @inline(__always)
    static func value(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, decimal: UInt8, grouping: UInt8?, quoted: Bool) -> RawValue {
        if start >= end { return .missing }
        if let number = FastNumberParser.parse(base, start, end, decimalSeparator: decimal, groupingSeparator: grouping) {
            return .number(number)
        }
        var s = start
        var e = end
        while s < e, base[s] == 0x20 || base[s] == 0x09 { s += 1 }
        while e > s, base[e - 1] == 0x20 || base[e - 1] == 0x09 { e -= 1 }
        if s == e { return .missing }
        return .text(decodeText(UnsafeBufferPointer(start: base + s, count: e - s)))
    }
}

/// Byte ranges of one record's fields inside the line buffer. A class because it owns manually
/// allocated storage that the source and its reader share.
final class FieldSpans {
    let count: Int
    var base: UnsafePointer<UInt8>
    let starts: UnsafeMutablePointer<Int>
    let ends: UnsafeMutablePointer<Int>
    let wanted: UnsafeMutablePointer<Bool>
    /// For each column, the first wanted column at or after it, or -1.
    let nextWanted: UnsafeMutablePointer<Int>
    /// Each wanted field read as a number in the file's locale, where it is one (`isNumber`).
    let numbers: UnsafeMutablePointer<Double>
    let isNumber: UnsafeMutablePointer<Bool>
    /// Index of the last wanted column, or -1.
    let lastWanted: Int
    let decimalSeparator: UInt8
    let groupingSeparator: UInt8?
    /// Where `base` points before the first record.
    private let placeholder: UnsafeMutablePointer<UInt8>

    init(wanted: [Bool], decimalSeparator: UInt8, groupingSeparator: UInt8?) {
        count = wanted.count
        /// One slot per column (at least one), every slot set to `value`.
        func slots<T>(_ value: T) -> UnsafeMutablePointer<T> {
            let pointer = UnsafeMutablePointer<T>.allocate(capacity: max(1, wanted.count))
            pointer.initialize(repeating: value, count: max(1, wanted.count))
            return pointer
        }
        starts = slots(0)
        ends = slots(0)
        self.wanted = slots(false)
        numbers = slots(0)
        isNumber = slots(false)
        for (k, w) in wanted.enumerated() { self.wanted[k] = w }
        nextWanted = slots(-1)
        var following = -1
        for k in stride(from: count - 1, through: 0, by: -1) {
            if wanted[k] { following = k }
            nextWanted[k] = following
        }
        lastWanted = wanted.lastIndex(of: true) ?? -1
        self.decimalSeparator = decimalSeparator
        self.groupingSeparator = groupingSeparator
        placeholder = .allocate(capacity: 1)
        placeholder.initialize(to: 0)
        base = UnsafePointer(placeholder)
    }

    deinit {
        starts.deallocate()
        ends.deallocate()
        wanted.deallocate()
        nextWanted.deallocate()
        numbers.deallocate()
        isNumber.deallocate()
        placeholder.deallocate()
    }

    /// The current record's ranges as plain values: reading through it costs no reference counting.
    var view: View {
        View(base: base, starts: starts, ends: ends, numbers: numbers, isNumber: isNumber, decimalSeparator: decimalSeparator, groupingSeparator: groupingSeparator)
    }

    struct View {
        var base: UnsafePointer<UInt8>
        var starts: UnsafeMutablePointer<Int>
        var ends: UnsafeMutablePointer<Int>
        var numbers: UnsafeMutablePointer<Double>
        var isNumber: UnsafeMutablePointer<Bool>
        var decimalSeparator: UInt8
        var groupingSeparator: UInt8?

        /// Empty until a record is read (`starts`/`ends` are never read then).
        init() {
            base = UnsafePointer(bitPattern: 1)!
            starts = UnsafeMutablePointer(bitPattern: 8)!
            ends = UnsafeMutablePointer(bitPattern: 8)!
            numbers = UnsafeMutablePointer(bitPattern: 8)!
            isNumber = UnsafeMutablePointer(bitPattern: 1)!
            decimalSeparator = UInt8(ascii: ".")
            groupingSeparator = nil
        }

        init(
            base: UnsafePointer<UInt8>, starts: UnsafeMutablePointer<Int>, ends: UnsafeMutablePointer<Int>,
            numbers: UnsafeMutablePointer<Double>, isNumber: UnsafeMutablePointer<Bool>,
            decimalSeparator: UInt8, groupingSeparator: UInt8?
        ) {
            self.base = base
            self.starts = starts
            self.ends = ends
            self.numbers = numbers
            self.isNumber = isNumber
            self.decimalSeparator = decimalSeparator
            self.groupingSeparator = groupingSeparator
        }

        /// The field as the text source's `RawValue` (number, trimmed text or missing).
        func value(_ column: Int) -> RawValue {
            DelimitedTextSource.value(base, starts[column], ends[column], decimal: decimalSeparator, grouping: groupingSeparator, quoted: false)
        }

        /// The field as a number in the file's locale, or nil (not a number, empty, not wanted).
        @inline(__always)
        func number(_ column: Int) -> Double? {
            isNumber[column] ? numbers[column] : nil
        }

        /// The field without surrounding spaces and tabs.
        @inline(__always)
        func trimmed(_ column: Int) -> (start: Int, end: Int) {
            var s = starts[column]
            var e = ends[column]
            while s < e, base[s] == 0x20 || base[s] == 0x09 { s += 1 }
            while e > s, base[e - 1] == 0x20 || base[e - 1] == 0x09 { e -= 1 }
            return (s, e)
        }
    }
}

/// Text from instrument files is UTF-8 or, for older Windows software (EC-Lab, BaSyTec),
/// Windows-1252; the latter maps `µ` and `°` the same way as Latin-1.
func decodeText(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    var ascii = true
    for b in bytes where b >= 0x80 { ascii = false; break }
    if ascii { return String(decoding: bytes, as: UTF8.self) }
    if let s = String(validating: bytes, as: UTF8.self) { return s }
    return String(bytes.map { Character(Unicode.Scalar($0)) })
}

func decodeText(_ bytes: ArraySlice<UInt8>) -> String {
    bytes.withUnsafeBufferPointer { decodeText($0) }
}
