import Foundation

/// Finds the table of a delimited text export that no profile's header rule recognises: the
/// line of names (most fields, mostly words) that data lines (mostly numbers) follow, below
/// however many lines of metadata a vendor writes above it. Role inference then reads the names
/// and the first rows.
enum UnprofiledTableSniffer {
    struct Table {
        var layout: TextLayout
        /// The first data rows, parsed as the records will be (numbers, texts, missing).
        var sampleRows: [[RawValue]]
    }

    static let sampleRowLimit = 400
    /// A header needs this many fields: time, voltage and current at least.
    static let minimumFields = 3

    static func find(head: [UInt8]) -> Table? {
        let lineTable = TextLayoutSniffer.lines(head)
        let lineCount = min(lineTable.count, TextLayoutSniffer.maximumHeaderLine)
        var best: (line: Int, delimiter: UInt8, names: [String])? = nil
        for d in [UInt8(0x09), UInt8(ascii: ","), UInt8(ascii: ";")] {
            for n in 0..<lineCount {
                let line = lineTable[n]
                guard line.end > line.start, head[line.start..<line.end].contains(d) else { continue }
                let names = TextLayoutSniffer.trimTrailingEmpty(TextLayoutSniffer.fields(head, line.start, line.end, delimiter: d, prefix: nil))
                guard names.count >= minimumFields, names.count > (best?.names.count ?? 0) else { continue }
                let named = names.filter { !$0.isEmpty && $0.contains(where: \.isLetter) && !looksLikeValue($0) }
                guard named.count * 3 >= names.count * 2 else { continue }
                guard followedByData(head, lineTable, after: n, delimiter: d, fieldCount: names.count) else { continue }
                best = (n, d, names)
                break  // the first such line for this delimiter; a later one is data
            }
        }
        guard let best else { return nil }
        let line = lineTable[best.line]
        let metadata = TextLayoutSniffer.parseMetadata(head, lineTable.prefix(best.line), prefix: nil)
        var match = TextLayoutSniffer.Match(
            profile: placeholderProfile,
            layout: TextLayout(delimiter: best.delimiter, decimalSeparator: UInt8(ascii: "."), dataStartOffset: line.next, headerLineNumber: best.line, columnNames: best.names, metadata: metadata),
            score: 0)
        TextLayoutSniffer.configureNumbers(&match, head: head, lineTable: lineTable)
        let rows = sampleRows(head, lineTable, after: best.line, layout: match.layout)
        return Table(layout: match.layout, sampleRows: rows)
    }

    /// Only its decimal setting (`auto`) is read, while sniffing numbers.
    private static let placeholderProfile: CyclerProfile = {
        var p = CyclerProfile(name: "inferred", vendor: "unknown", containers: ["text"], columns: [:], currentSign: .positiveIsCharge, capacityCounter: .perStep, cycleNumbering: .column)
        p.text = .init(delimiters: nil, decimal: "auto", thousandsSeparators: nil, headerPrefix: nil, layered: nil)
        return p
    }()

    /// Whether the next non-blank lines split into about as many fields, mostly values.
    private static func followedByData(_ head: [UInt8], _ lineTable: [(start: Int, end: Int, next: Int)], after n: Int, delimiter: UInt8, fieldCount: Int) -> Bool {
        var checked = 0
        var k = n + 1
        while k < lineTable.count, checked < 3 {
            let line = lineTable[k]
            k += 1
            if line.end <= line.start { continue }
            let fields = TextLayoutSniffer.fields(head, line.start, line.end, delimiter: delimiter, prefix: nil)
            guard abs(TextLayoutSniffer.trimTrailingEmpty(fields).count - fieldCount) <= 1 || fields.count == fieldCount else { return false }
            let values = fields.filter(looksLikeValue).count
            guard values * 2 >= fieldCount else { return false }
            checked += 1
        }
        return checked > 0
    }

    /// A number (either decimal separator), a duration or a date-time text.
    static func looksLikeValue(_ field: String) -> Bool {
        let t = field.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return false }
        if Double(t) != nil || Double(t.replacingOccurrences(of: ",", with: ".")) != nil { return true }
        if TimeParsing.durationSeconds(t) != nil { return true }
        return TimeParsing.naiveEpochSeconds(t, order: nil) != nil
    }

    private static func sampleRows(_ head: [UInt8], _ lineTable: [(start: Int, end: Int, next: Int)], after n: Int, layout: TextLayout) -> [[RawValue]] {
        var rows: [[RawValue]] = []
        let count = layout.columnNames.count
        for line in lineTable[(n + 1)...] where rows.count < sampleRowLimit {
            if line.end <= line.start { continue }
            // A line cut by the end of the head is not a record.
            if line.next >= head.count, head.count >= TextLayoutSniffer.headBytes { break }
            let fields = TextLayoutSniffer.fields(head, line.start, line.end, delimiter: layout.delimiter, prefix: nil)
            var row = [RawValue](repeating: .missing, count: count)
            for k in 0..<min(count, fields.count) {
                var text = fields[k]
                if text.isEmpty { continue }
                if let g = layout.groupingSeparator { text.removeAll { $0 == Character(Unicode.Scalar(g)) } }
                if layout.decimalSeparator == UInt8(ascii: ",") { text = text.replacingOccurrences(of: ",", with: ".") }
                row[k] = Double(text).map(RawValue.number) ?? .text(fields[k])
            }
            rows.append(row)
        }
        return rows
    }
}
