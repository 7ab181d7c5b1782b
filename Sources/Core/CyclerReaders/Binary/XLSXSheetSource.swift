import Foundation

/// Records of one worksheet: its first non-empty row is the header; the rows below become
/// records, numbers as numbers (date-styled cells stay Excel serial days and are listed in the
/// `xlsx date columns` metadata), strings as text, gaps as missing.
///
/// A sheet that continues an earlier one (a long test split over several sheets) is opened with
/// that sheet's header: Arbin repeats the header row, possibly with the columns in another order
/// (mapped by name), while LAND's continuation sheets start straight with records.
public struct XLSXSheetSource: RawRecordSource {
    public let format: String
    public private(set) var columnNames: [String] = []
    public internal(set) var metadata: [String: String] = [:]
    public private(set) var position: Int = 0

    let file: String
    let sheet: String
    let strings: [String]
    let dateStyles: Set<Int>
    var scanner: XLSXSheetScanner
    /// Sheet column → output column.
    var columnMap: [Int] = []
    var cells: [(column: Int, value: XLSXCellValue, style: Int)] = []
    /// The first row of a headerless continuation sheet, still in `cells`, is the next record.
    var pendingFirstRecord = false

    init(workbook: XLSXWorkbook, sheet: String, format: String, continuing header: [String]? = nil) throws {
        self.file = workbook.file
        self.sheet = sheet
        self.format = format
        self.strings = try workbook.sharedStrings()
        self.dateStyles = workbook.dateStyles()
        self.scanner = XLSXSheetScanner(xml: try workbook.sheetXML(sheet), sheet: sheet, file: workbook.file)
        metadata["sheets"] = sheet
        guard try scanner.nextRow(into: &cells) else {
            guard let header else {
                throw CyclerReadError(file: file, location: "sheet '\(sheet)'", reason: "sheet is empty: no header row")
            }
            columnNames = header
            return
        }
        if let header { try continueHeader(header) } else { readHeader() }
        // Peek at the first record (the scanner is a value; its XML is shared, not copied) to
        // tell the profile which columns hold Excel dates.
        var firstCells = cells
        if !pendingFirstRecord {
            var peek = scanner
            if !(try peek.nextRow(into: &firstCells)) { firstCells = [] }
        }
        let dateColumns = firstCells.compactMap { cell -> String? in
            guard case .number = cell.value, dateStyles.contains(cell.style),
                  cell.column >= 0, cell.column < columnMap.count, columnMap[cell.column] >= 0 else { return nil }
            return columnNames[columnMap[cell.column]]
        }
        if !dateColumns.isEmpty { metadata["xlsx date columns"] = dateColumns.joined(separator: "\t") }
    }

    func text(of value: XLSXCellValue) -> String {
        switch value {
        case .sharedString(let k): k >= 0 && k < strings.count ? strings[k] : ""
        case .text(let s): s
        case .number(let x): XLSXWorkbook.plain(x)
        case .boolean(let b): b ? "TRUE" : "FALSE"
        case .error(let e): e
        }
    }

    /// The first row (in `cells`) names the columns.
    mutating func readHeader() {
        // Cell references need not be in order: size by the largest column seen.
        let width = (cells.map(\.column).max() ?? -1) + 1
        var names = [String](repeating: "", count: width)
        for cell in cells where cell.column >= 0 && cell.column < width { names[cell.column] = text(of: cell.value) }
        // Columns without a header name get Excel's letter-free placeholder.
        columnNames = names.enumerated().map { $0.element.isEmpty ? "Column \($0.offset + 1)" : $0.element }
        columnMap = Array(0..<width)
    }

    /// The first row (in `cells`) of a sheet continuing one with `header`: either the header
    /// repeated (text cells naming columns of `header`) or already a record.
    mutating func continueHeader(_ header: [String]) throws {
        columnNames = header
        let onlyText = cells.allSatisfy { cell in
            switch cell.value {
            case .sharedString, .text: true
            default: false
            }
        }
        guard onlyText, cells.contains(where: { header.contains(text(of: $0.value)) }) else {
            // Records straight away: columns by position.
            if let widest = cells.map(\.column).max(), widest >= header.count {
                throw CyclerReadError(file: file, location: "sheet '\(sheet)', first row",
                                      reason: "continuation sheet has \(widest + 1) columns, the first sheet's header \(header.count): sheets cannot be joined")
            }
            columnMap = Array(0..<header.count)
            pendingFirstRecord = true
            return
        }
        let width = (cells.map(\.column).max() ?? -1) + 1
        columnMap = Array(repeating: -1, count: width)
        for cell in cells where cell.column >= 0 && cell.column < width {
            let name = text(of: cell.value)
            if name.isEmpty { continue }
            guard let target = header.firstIndex(of: name) else {
                throw CyclerReadError(file: file, location: "sheet '\(sheet)'",
                                      reason: "column '\(name)' is not in the first sheet's header; sheets cannot be joined")
            }
            columnMap[cell.column] = target
        }
    }

    public mutating func next(into row: inout [RawValue]) throws -> Bool {
        if pendingFirstRecord {
            pendingFirstRecord = false
        } else if !(try scanner.nextRow(into: &cells)) {
            return false
        }
        if row.count != columnNames.count { row = Array(repeating: .missing, count: columnNames.count) }
        for k in 0..<row.count { row[k] = .missing }
        for cell in cells {
            guard cell.column >= 0, cell.column < columnMap.count else { continue }
            let target = columnMap[cell.column]
            guard target >= 0 else { continue }
            switch cell.value {
            case .number(let x):
                row[target] = .number(x)
            case .sharedString(let k):
                guard k >= 0 && k < strings.count else {
                    throw CyclerReadError(file: file, location: "sheet '\(sheet)', record \(position)",
                                          reason: "shared string \(k) does not exist (table has \(strings.count))")
                }
                row[target] = .text(strings[k])
            case .text(let s): row[target] = .text(s)
            case .boolean(let b): row[target] = .number(b ? 1 : 0)
            case .error(let e): row[target] = .text(e)
            }
        }
        position += 1
        return true
    }
}
