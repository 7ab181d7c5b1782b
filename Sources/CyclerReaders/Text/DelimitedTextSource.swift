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

    private let path: String
    private let layout: TextLayout
    /// Columns worth parsing; the others come back `.missing` (skipping them is most of the speed).
    private let wanted: [Bool]
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
        ResumePoint(byteOffset: reader.offsetOfNextLine, recordIndex: position, lineNumber: lineNumber)
    }

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
        let start = resumeFrom?.byteOffset ?? layout.dataStartOffset
        self.reader = try ChunkedLineReader(path: path, startOffset: start)
        self.position = resumeFrom?.recordIndex ?? 0
        self.lineNumber = resumeFrom?.lineNumber ?? (layout.headerLineNumber + 1)
        self.parentValues = Array(repeating: .missing, count: (layout.layered?.cycleColumns.count ?? 0) + (layout.layered?.stepColumns.count ?? 0))
    }

    public mutating func next(into row: inout [RawValue]) throws -> Bool {
        if row.count != columnNames.count { row = Array(repeating: .missing, count: columnNames.count) }
        while true {
            guard let line = try reader.nextLine(allowUnterminated: !followGrowingFile) else { return false }
            lineNumber += 1
            if line.isBlank { continue }
            let parsed: Bool
            if layout.layered != nil {
                parsed = try parseLayeredLine(line, into: &row)
            } else {
                try parseFields(line, columnOffset: 0, columnCount: layout.columnNames.count, wantedOffset: 0, into: &row, isFinal: line.isFinal)
                parsed = true
            }
            if parsed {
                position += 1
                return true
            }
        }
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
