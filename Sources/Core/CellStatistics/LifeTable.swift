/// The `stats` input: a CSV with one row per cell, `cell,group,life,failed` in any order plus
/// optional `channel`, `cycler` and `kind` columns.
///
/// Reading is all or nothing: the first bad row stops it with its line number and the reason,
/// because statistics computed from half a file look just as confident as from a whole one.
public enum LifeTable {
    public static let requiredColumns = ["cell", "group", "life", "failed"]
    public static let optionalColumns = ["channel", "cycler", "kind"]

    public struct ReadError: Error, Equatable, CustomStringConvertible {
        /// 1-based line in the file (the header is line 1; 0 when the file has no lines).
        public var line: Int
        public var reason: String

        public var description: String { line > 0 ? "line \(line): \(reason)" : reason }
    }

    public static func read(csv text: String) throws(ReadError) -> [CellLife] {
        let records: [CSVRecords.Record]
        do {
            records = try CSVRecords.parse(text)
        } catch {
            throw ReadError(line: error.line, reason: "a quoted field is never closed")
        }
        guard let header = records.first else {
            throw ReadError(line: 0, reason: "the file is empty: expected a header \(requiredColumns.joined(separator: ","))")
        }
        var column: [String: Int] = [:]
        for (index, rawName) in header.fields.enumerated() {
            let name = rawName.lowercased()
            if name.isEmpty { continue }
            if column[name] != nil {
                throw ReadError(line: header.line, reason: "column '\(name)' appears twice in the header")
            }
            column[name] = index
        }
        for name in requiredColumns where column[name] == nil {
            throw ReadError(line: header.line, reason: "missing column '\(name)' (the header needs \(requiredColumns.joined(separator: ",")))")
        }
        guard records.count > 1 else {
            throw ReadError(line: header.line, reason: "no cells: the file has a header but no rows")
        }

        var cells: [CellLife] = []
        cells.reserveCapacity(records.count - 1)
        for record in records.dropFirst() {
            let line = record.line
            guard record.fields.count == header.fields.count else {
                throw ReadError(line: line, reason: "expected \(header.fields.count) fields as in the header, found \(record.fields.count)")
            }
            func value(_ name: String) -> String? { column[name].map { record.fields[$0] } }
            let cell = value("cell")!
            let group = value("group")!
            guard !cell.isEmpty else { throw ReadError(line: line, reason: "the cell id is empty") }
            guard !group.isEmpty else { throw ReadError(line: line, reason: "cell '\(cell)' has no group") }
            let lifeText = value("life")!
            guard let life = parseNumber(lifeText) else {
                throw ReadError(line: line, reason: "life '\(lifeText)' is not a number")
            }
            guard life >= 0 else { throw ReadError(line: line, reason: "life \(lifeText) is negative") }
            let failedText = value("failed")!
            guard let failed = parseFlag(failedText) else {
                throw ReadError(line: line, reason: "failed '\(failedText)' must be 1 (failed) or 0 (running or stopped)")
            }
            func optional(_ name: String) -> String? {
                guard let text = value(name), !text.isEmpty else { return nil }
                return text
            }
            cells.append(CellLife(cell: cell, group: group, life: life, failed: failed,
                                  channel: optional("channel"), cycler: optional("cycler"), kind: optional("kind")))
        }
        return cells
    }

    /// A finite decimal number; rejects what Double(String) would otherwise let through
    /// ("nan", "inf", hexadecimal).
    static func parseNumber(_ text: String) -> Double? {
        guard !text.isEmpty,
              text.unicodeScalars.allSatisfy({ "0123456789.+-eE".unicodeScalars.contains($0) }),
              let value = Double(text), value.isFinite else { return nil }
        return value
    }

    static func parseFlag(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "1", "1.0", "true", "yes": return true
        case "0", "0.0", "false", "no": return false
        default: return nil
        }
    }
}

extension LifeTable {
    /// The lives as the CSV `read(csv:)` reads back to the same lives: `stats --database
    /// --lives-csv` writes what it computed, so `stats --input` on the file gives the same
    /// report and a lab can check it with its own tools. Lives print in Swift's shortest
    /// round-trip spelling; the optional columns are written when any life has them.
    public static func csv(_ cells: [CellLife]) -> String {
        let hasChannel = cells.contains { $0.channel != nil }
        let hasCycler = cells.contains { $0.cycler != nil }
        let hasKind = cells.contains { $0.kind != nil }
        var header = requiredColumns
        if hasChannel { header.append("channel") }
        if hasCycler { header.append("cycler") }
        if hasKind { header.append("kind") }
        var out = header.joined(separator: ",") + "\n"
        for cell in cells {
            var fields = [field(cell.cell), field(cell.group), "\(cell.life)", cell.failed ? "1" : "0"]
            if hasChannel { fields.append(field(cell.channel ?? "")) }
            if hasCycler { fields.append(field(cell.cycler ?? "")) }
            if hasKind { fields.append(field(cell.kind ?? "")) }
            out += fields.joined(separator: ",") + "\n"
        }
        return out
    }

    /// Quoted when it holds a separator, a quote or a line break, or starts or ends with
    /// whitespace (which the reader trims from unquoted fields).
    static func field(_ text: String) -> String {
        let needsQuotes = text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            || text.first?.isWhitespace == true || text.last?.isWhitespace == true
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
