import Foundation

/// Records of one or more worksheets: the first non-empty row of each sheet is its header; the
/// rows below become records, numbers as numbers (date-styled cells stay Excel serial days and
/// are listed in the `xlsx date columns` metadata), strings as text, gaps as missing.
public struct XLSXSheetSource: RawRecordSource {
    public let format: String
    public private(set) var columnNames: [String] = []
    public internal(set) var metadata: [String: String] = [:]
    public private(set) var position: Int = 0

    let workbook: XLSXWorkbook
    let sheets: [String]
    let strings: [String]
    let dateStyles: Set<Int>
    var sheetIndex = 0
    var scanner: XLSXSheetScanner
    /// Sheet column → output column, for the current sheet.
    var columnMap: [Int] = []
    var cells: [(column: Int, value: XLSXCellValue, style: Int)] = []

    init(workbook: XLSXWorkbook, sheets: [String], format: String) throws {
        guard !sheets.isEmpty else { throw CyclerReadError(file: workbook.file, reason: "no sheets selected") }
        self.workbook = workbook
        self.sheets = sheets
        self.format = format
        self.strings = try workbook.sharedStrings()
        self.dateStyles = workbook.dateStyles()
        self.scanner = XLSXSheetScanner(xml: try workbook.sheetXML(sheets[0]), sheet: sheets[0], file: workbook.file)
        metadata["sheets"] = sheets.joined(separator: ",")
        guard try readHeader(first: true) else {
            throw CyclerReadError(file: workbook.file, location: "sheet '\(sheets[0])'", reason: "sheet is empty: no header row")
        }
        // Peek at the first record (the scanner is a value; its XML is shared, not copied) to
        // tell the profile which columns hold Excel dates.
        var peek = scanner
        var firstCells: [(column: Int, value: XLSXCellValue, style: Int)] = []
        if try peek.nextRow(into: &firstCells) {
            let dateColumns = firstCells.compactMap { cell -> String? in
                guard case .number = cell.value, dateStyles.contains(cell.style), cell.column < columnNames.count else { return nil }
                return columnNames[cell.column]
            }
            if !dateColumns.isEmpty { metadata["xlsx date columns"] = dateColumns.joined(separator: "\t") }
        }
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

    /// Reads the current sheet's header row and maps its columns onto the output columns.
    mutating func readHeader(first: Bool) throws -> Bool {
        guard try scanner.nextRow(into: &cells) else { return false }
        // Cell references need not be in order: size by the largest column seen.
        let width = (cells.map(\.column).max() ?? -1) + 1
        var names = [String](repeating: "", count: width)
        for cell in cells where cell.column >= 0 && cell.column < width { names[cell.column] = text(of: cell.value) }
        if first {
            // Columns without a header name get Excel's letter-free placeholder.
            columnNames = names.enumerated().map { $0.element.isEmpty ? "Column \($0.offset + 1)" : $0.element }
            columnMap = Array(0..<width)
            return true
        }
        columnMap = try names.enumerated().map { k, name in
            if name.isEmpty { return -1 }
            guard let target = columnNames.firstIndex(of: name) else {
                throw CyclerReadError(file: workbook.file, location: "sheet '\(sheets[sheetIndex])'",
                                      reason: "column '\(name)' is not in the first sheet's header; sheets cannot be joined")
            }
            return target
        }
        return true
    }

    public mutating func next(into row: inout [RawValue]) throws -> Bool {
        while true {
            if try scanner.nextRow(into: &cells) {
                if row.count != columnNames.count { row = Array(repeating: .missing, count: columnNames.count) }
                for k in 0..<row.count { row[k] = .missing }
                for cell in cells {
                    guard cell.column < columnMap.count else { continue }
                    let target = columnMap[cell.column]
                    guard target >= 0 else { continue }
                    switch cell.value {
                    case .number(let x):
                        row[target] = .number(x)
                    case .sharedString(let k):
                        guard k >= 0 && k < strings.count else {
                            throw CyclerReadError(file: workbook.file, location: "sheet '\(sheets[sheetIndex])', record \(position)",
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
            // Next sheet.
            sheetIndex += 1
            guard sheetIndex < sheets.count else { return false }
            scanner = XLSXSheetScanner(xml: try workbook.sheetXML(sheets[sheetIndex]), sheet: sheets[sheetIndex], file: workbook.file)
            _ = try readHeader(first: false)
        }
    }
}
