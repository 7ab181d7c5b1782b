import Foundation

/// An `.xlsx` workbook opened for reading cycler exports (Arbin "Data Pro", LAND): sheet names
/// from `workbook.xml` and its relationships, shared strings, and which cell styles are dates.
/// Sheets are inflated one at a time, under the byte budget of `BinaryReadLimits`.
public final class XLSXWorkbook {
    public let file: String
    /// Sheet names in workbook order.
    public let sheetNames: [String]
    let zip: ZipContainer
    let sheetPaths: [String: String]
    private var cachedSharedStrings: [String]?
    private var cachedDateStyles: Set<Int>?

    public convenience init(url: URL, limits: BinaryReadLimits = .default) throws {
        try self.init(zip: ZipContainer(url: url, limits: limits))
    }

    public convenience init(data: Data, file: String, limits: BinaryReadLimits = .default) throws {
        try self.init(zip: ZipContainer(data: data, file: file, limits: limits))
    }

    init(zip: ZipContainer) throws {
        self.zip = zip
        self.file = zip.file
        guard zip.contains("xl/workbook.xml") else {
            throw CyclerReadError(file: zip.file, reason: "not an .xlsx workbook: xl/workbook.xml is missing")
        }
        let workbook = try zip.read("xl/workbook.xml", limit: 16 << 20)
        var targets: [String: String] = [:]
        if zip.contains("xl/_rels/workbook.xml.rels") {
            let rels = try zip.read("xl/_rels/workbook.xml.rels", limit: 16 << 20)
            XMLAttributes.scan(rels) { name, attributes in
                if name.hasSuffix("Relationship"), let id = attributes["Id"], let target = attributes["Target"] {
                    targets[id] = target
                }
                return true
            }
        }
        var names: [String] = []
        var paths: [String: String] = [:]
        var ordinal = 0
        XMLAttributes.scan(workbook) { name, attributes in
            guard name == "sheet" || name.hasSuffix(":sheet"), let sheetName = attributes["name"] else { return true }
            ordinal += 1
            let rid = attributes.first { $0.key == "r:id" || $0.key.hasSuffix(":id") }?.value
            var path = rid.flatMap { targets[$0] } ?? "worksheets/sheet\(ordinal).xml"
            if path.hasPrefix("/") { path.removeFirst() } else if !path.hasPrefix("xl/") { path = "xl/" + path }
            names.append(sheetName)
            paths[sheetName] = path
            return true
        }
        guard !names.isEmpty else {
            throw CyclerReadError(file: zip.file, location: "xl/workbook.xml", reason: "workbook lists no sheets")
        }
        self.sheetNames = names
        self.sheetPaths = paths
    }

    /// The workbook's shared string table (`t="s"` cells index into it).
    func sharedStrings() throws -> [String] {
        if let cachedSharedStrings { return cachedSharedStrings }
        var strings: [String] = []
        if zip.contains("xl/sharedStrings.xml") {
            let xml = try zip.read("xl/sharedStrings.xml")
            strings = try Self.parseSharedStrings(xml, file: file)
        }
        cachedSharedStrings = strings
        return strings
    }

    static func parseSharedStrings(_ xml: [UInt8], file: String) throws -> [String] {
        var strings: [String] = []
        do {
            try scanSharedStrings(xml, into: &strings)
        } catch let failure as XLSXSheetScanner.ScanFailure {
            throw CyclerReadError(file: file, location: "xl/sharedStrings.xml", reason: failure.reason)
        }
        return strings
    }

    private static func scanSharedStrings(_ xml: [UInt8], into strings: inout [String]) throws {
        try xml.withUnsafeBufferPointer { p in
            let n = p.count
            var i = 0
            var current = ""
            var inItem = false
            var phoneticDepth = 0
            while i < n {
                while i < n && p[i] != UInt8(ascii: "<") { i += 1 }
                guard i < n else { break }
                i += 1
                let closing = i < n && p[i] == UInt8(ascii: "/")
                if closing { i += 1 }
                if i < n && (p[i] == UInt8(ascii: "?") || p[i] == UInt8(ascii: "!")) {
                    while i < n && p[i] != UInt8(ascii: ">") { i += 1 }
                    continue
                }
                let (name, after) = XLSXSheetScanner.localName(p, i)
                i = after
                if closing {
                    if XLSXSheetScanner.equals(p, name, "si") { strings.append(current); current = ""; inItem = false }
                    if XLSXSheetScanner.equals(p, name, "rPh") { phoneticDepth = max(0, phoneticDepth - 1) }
                    while i < n && p[i] != UInt8(ascii: ">") { i += 1 }
                    i += 1
                    continue
                }
                let tag = try XLSXSheetScanner.attributes(p, i)
                i = tag.end
                if tag.selfClosing {
                    if XLSXSheetScanner.equals(p, name, "si") { strings.append("") }
                    continue
                }
                if XLSXSheetScanner.equals(p, name, "si") { inItem = true; current = "" }
                else if XLSXSheetScanner.equals(p, name, "rPh") { phoneticDepth += 1 }
                else if XLSXSheetScanner.equals(p, name, "t"), inItem, phoneticDepth == 0 {
                    let start = i
                    while i < n && p[i] != UInt8(ascii: "<") { i += 1 }
                    current += XLSXSheetScanner.decodeText(p, start..<i)
                }
            }
        }
    }

    /// Cell style indices whose number format is a date or time (the cell then holds an Excel
    /// serial day number, days since 1899-12-30).
    func dateStyles() -> Set<Int> {
        if let cachedDateStyles { return cachedDateStyles }
        var result: Set<Int> = []
        if zip.contains("xl/styles.xml"), let xml = try? zip.read("xl/styles.xml", limit: 16 << 20) {
            var customDateFormats: Set<Int> = []
            var inCellXfs = false
            var xfIndex = 0
            var formats: [Int] = []
            // numFmt elements come first, then cellXfs/xf.
            XMLAttributes.scan(xml) { name, attributes in
                if name == "numFmt", let id = attributes["numFmtId"].flatMap(Int.init), let code = attributes["formatCode"],
                   Self.isDateFormat(code) {
                    customDateFormats.insert(id)
                }
                if name == "cellXfs" { inCellXfs = true }
                if name == "cellStyles" || name == "dxfs" { inCellXfs = false }
                if inCellXfs, name == "xf" {
                    formats.append(attributes["numFmtId"].flatMap(Int.init) ?? 0)
                    xfIndex += 1
                }
                return true
            }
            for (k, id) in formats.enumerated() where (14...22).contains(id) || (45...47).contains(id) || customDateFormats.contains(id) {
                result.insert(k)
            }
        }
        cachedDateStyles = result
        return result
    }

    static func isDateFormat(_ code: String) -> Bool {
        var inQuote = false
        var inBracket = false
        for c in code.lowercased() {
            if c == "\"" { inQuote.toggle(); continue }
            if inQuote { continue }
            if c == "[" { inBracket = true; continue }
            if c == "]" { inBracket = false; continue }
            if inBracket { continue }
            if "dmyhs".contains(c) { return true }
        }
        return false
    }

    /// Inflated XML of one sheet.
    func sheetXML(_ name: String) throws -> [UInt8] {
        guard let path = sheetPaths[name] else {
            throw CyclerReadError(file: file, reason: "no sheet named '\(name)' (sheets: \(sheetNames.joined(separator: ", ")))")
        }
        return try zip.read(path)
    }

    /// Header facts laid out as a row of names above a row of values (Arbin's Global_Info).
    public func keyValueBlock(sheet: String) throws -> [String: String] {
        var scanner = XLSXSheetScanner(xml: try sheetXML(sheet), sheet: sheet, file: file)
        let strings = try sharedStrings()
        let dates = dateStyles()
        var rows: [[Int: String]] = []
        var cells: [(column: Int, value: XLSXCellValue, style: Int)] = []
        var allText: [Bool] = []
        while try scanner.nextRow(into: &cells), rows.count < 1000 {
            var row: [Int: String] = [:]
            var onlyText = true
            for cell in cells {
                switch cell.value {
                case .sharedString(let k): row[cell.column] = k < strings.count ? strings[k] : ""
                case .text(let s): row[cell.column] = s
                case .number(let x):
                    onlyText = false
                    row[cell.column] = dates.contains(cell.style) ? (Self.isoDate(excelSerial: x) ?? String(x)) : Self.plain(x)
                case .boolean(let b): onlyText = false; row[cell.column] = b ? "TRUE" : "FALSE"
                case .error(let e): onlyText = false; row[cell.column] = e
                }
            }
            rows.append(row)
            allText.append(onlyText && row.count >= 2)
        }
        var out: [String: String] = [:]
        for r in 0..<max(0, rows.count - 1) where allText[r] {
            for (column, key) in rows[r] where !key.isEmpty {
                if let value = rows[r + 1][column], !value.isEmpty { out[key] = value }
            }
        }
        return out
    }

    static func plain(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return String(x)
    }

    /// ISO 8601 text for an Excel serial date (1900 date system), to the millisecond.
    public static func isoDate(excelSerial x: Double) -> String? {
        guard x.isFinite, x > -1e6, x < 1e7 else { return nil }
        return CivilDate.iso8601(epochSeconds: (x - 25569) * 86400, milliseconds: true, utc: false)
    }
}
