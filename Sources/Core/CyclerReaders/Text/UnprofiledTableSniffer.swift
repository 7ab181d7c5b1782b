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
        if let layered = findLayered(head, lineTable, lineCount: lineCount) { return layered }
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

    /// BTSDA's layered export: a record header that starts with two empty fields, below a step
    /// header that starts with one and a cycle header that starts with none. Its sample rows are
    /// the record rows with the ids of their parent rows, as `DelimitedTextSource` gives them.
    private static func findLayered(_ head: [UInt8], _ lineTable: [(start: Int, end: Int, next: Int)], lineCount: Int) -> Table? {
        guard lineCount > 2 else { return nil }
        for d in [UInt8(ascii: ","), UInt8(0x09), UInt8(ascii: ";")] {
            func split(_ n: Int) -> [String] {
                let line = lineTable[n]
                guard line.end > line.start, head[line.start..<line.end].contains(d) else { return [] }
                return TextLayoutSniffer.fields(head, line.start, line.end, delimiter: d, prefix: nil)
            }
            for n in 2..<lineCount {
                let record = split(n)
                guard record.count >= minimumFields + 2, record[0].isEmpty, record[1].isEmpty, !record[2].isEmpty else { continue }
                let step = split(n - 1)
                let cycle = split(n - 2)
                guard step.count >= 2, step[0].isEmpty, !step[1].isEmpty, let first = cycle.first, !first.isEmpty else { continue }
                let recordNames = TextLayoutSniffer.trimTrailingEmpty(Array(record.dropFirst(2)))
                guard recordNames.filter({ !looksLikeValue($0) && $0.contains(where: \.isLetter) }).count * 3 >= recordNames.count * 2 else { continue }
                let layered = LayeredLayout(
                    cycleColumns: TextLayoutSniffer.trimTrailingEmpty(cycle),
                    stepColumns: TextLayoutSniffer.trimTrailingEmpty(Array(step.dropFirst())),
                    recordColumns: recordNames)
                var match = TextLayoutSniffer.Match(
                    profile: placeholderProfile,
                    layout: TextLayout(delimiter: d, decimalSeparator: UInt8(ascii: "."), dataStartOffset: lineTable[n].next, headerLineNumber: n, columnNames: recordNames, layered: layered),
                    score: 0)
                TextLayoutSniffer.configureNumbers(&match, head: head, lineTable: lineTable)
                return Table(layout: match.layout, sampleRows: layeredSampleRows(head, lineTable, after: n, layout: match.layout, layered: layered))
            }
        }
        return nil
    }

    private static func layeredSampleRows(_ head: [UInt8], _ lineTable: [(start: Int, end: Int, next: Int)], after n: Int, layout: TextLayout, layered: LayeredLayout) -> [[RawValue]] {
        let recordCount = layered.recordColumns.count
        var parents = [RawValue](repeating: .missing, count: layered.cycleColumns.count + layered.stepColumns.count)
        var rows: [[RawValue]] = []
        for line in lineTable[(n + 1)...] where rows.count < sampleRowLimit {
            if line.end <= line.start { continue }
            if line.next >= head.count, head.count >= TextLayoutSniffer.headBytes { break }
            let fields = TextLayoutSniffer.fields(head, line.start, line.end, delimiter: layout.delimiter, prefix: nil)
            let leading = fields.prefix { $0.isEmpty }.count
            let values = fields.dropFirst(min(leading, 2)).map { value($0, layout) }
            switch leading {
            case 0:
                for k in parents.indices { parents[k] = k < values.count && k < layered.cycleColumns.count ? values[k] : .missing }
            case 1:
                for k in 0..<layered.stepColumns.count { parents[layered.cycleColumns.count + k] = k < values.count ? values[k] : .missing }
            default:
                var row = (0..<recordCount).map { $0 < values.count ? values[$0] : RawValue.missing }
                row += parents
                rows.append(row)
            }
        }
        return rows
    }

    /// A field as the records will hold it.
    private static func value(_ field: String, _ layout: TextLayout) -> RawValue {
        var text = field
        if text.isEmpty { return .missing }
        if let g = layout.groupingSeparator { text.removeAll { $0 == Character(Unicode.Scalar(g)) } }
        if layout.decimalSeparator == UInt8(ascii: ",") { text = text.replacingOccurrences(of: ",", with: ".") }
        return Double(text).map(RawValue.number) ?? .text(field)
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
            for k in 0..<min(count, fields.count) { row[k] = value(fields[k], layout) }
            rows.append(row)
        }
        return rows
    }
}
