import Foundation

/// The cell inventory as a lab keeps it in a spreadsheet (`cellfleet cells add --csv FILE`): a
/// header row, a `cell_id` column, the optional `cell_type` (symmetric, half, full),
/// `electrode_area_m2`, `active_mass_kg` and `nominal_capacity_ah` (positive, SI), and any other
/// column as a string attribute. RFC 4180: a quoted field may hold commas, quotes ("") and line
/// breaks. A bad line is an error naming its line, so nothing of a half-read file is stored.
public struct CellInventoryFile: Sendable, Equatable {
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    public struct Cell: Sendable, Equatable {
        /// The line the cell's record starts on (1 is the header).
        public var line: Int
        public var cellID: String
        public var cellType: String?
        public var electrodeAreaSquareMeters: Double?
        public var activeMassKilograms: Double?
        public var nominalCapacityAmpHours: Double?
        /// Only the non-empty attribute fields.
        public var attributes: [String: String]
    }

    public static let cellTypes = ["symmetric", "half", "full"]
    public static let numberColumns = ["electrode_area_m2", "active_mass_kg", "nominal_capacity_ah"]

    /// The header's columns: an update changes only the metadata the file has columns for.
    public var columns: [String]
    /// The columns that are attributes (every column not named above).
    public var attributeColumns: [String]
    public var cells: [Cell]

    public static func parse(_ text: String, file: String) throws(Invalid) -> CellInventoryFile {
        func fail(_ message: String) -> Invalid { Invalid(description: "\(file): \(message)") }
        let records = try Self.records(text, fail: fail)
        guard let header = records.first else { throw fail("empty: a header row with a cell_id column is required") }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        for (index, name) in columns.enumerated() {
            if name.isEmpty { throw fail("line \(header.line): column \(index + 1) of the header has no name") }
            if columns[..<index].contains(name) { throw fail("line \(header.line): column \(name) is named twice") }
        }
        guard let idColumn = columns.firstIndex(of: "cell_id") else {
            throw fail("line \(header.line): the header has no cell_id column (it has \(columns.joined(separator: ", ")))")
        }
        let known = Set(["cell_id", "cell_type"] + numberColumns)
        let attributeColumns = columns.filter { !known.contains($0) }
        var cells: [Cell] = []
        var lineOfCell: [String: Int] = [:]
        for record in records.dropFirst() {
            let at = "line \(record.line): "
            guard record.fields.count == columns.count else {
                throw fail("\(at)\(record.fields.count) fields, the header has \(columns.count)")
            }
            func field(_ name: String) -> String? {
                columns.firstIndex(of: name).map { record.fields[$0] }
            }
            let cellID = record.fields[idColumn].trimmingCharacters(in: .whitespaces)
            guard !cellID.isEmpty else { throw fail("\(at)cell_id is empty") }
            guard !cellID.contains("/") else { throw fail("\(at)cell id \(cellID) contains '/' (request ids are STUDY/GROUP/CELL)") }
            if let earlier = lineOfCell[cellID] { throw fail("\(at)cell \(cellID) is listed twice (also on line \(earlier))") }
            lineOfCell[cellID] = record.line
            var cellType = field("cell_type")?.trimmingCharacters(in: .whitespaces)
            if cellType?.isEmpty == true { cellType = nil }
            if let cellType, !cellTypes.contains(cellType) {
                throw fail("\(at)cell_type '\(cellType)' is not one of \(cellTypes.joined(separator: ", "))")
            }
            func number(_ name: String) throws(Invalid) -> Double? {
                guard let text = field(name)?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
                guard let value = Double(text), value.isFinite, value > 0 else { throw fail("\(at)\(name) '\(text)' is not a positive number") }
                return value
            }
            var attributes: [String: String] = [:]
            for name in attributeColumns {
                if let value = field(name), !value.isEmpty { attributes[name] = value }
            }
            cells.append(Cell(
                line: record.line, cellID: cellID, cellType: cellType, electrodeAreaSquareMeters: try number("electrode_area_m2"),
                activeMassKilograms: try number("active_mass_kg"), nominalCapacityAmpHours: try number("nominal_capacity_ah"),
                attributes: attributes))
        }
        return CellInventoryFile(columns: columns, attributeColumns: attributeColumns, cells: cells)
    }

    struct Record {
        var line: Int
        var fields: [String]
    }

    /// RFC 4180 records with the line each starts on. Line breaks are LF, CRLF or CR; a blank
    /// line is no record; a spreadsheet's byte-order mark is dropped.
    static func records(_ text: String, fail: (String) -> Invalid) throws(Invalid) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var line = 1
        var recordLine = 1
        var quoted = false
        /// After a closing quote: only a comma or a line break may follow.
        var closed = false
        var recordHasContent = false
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var index = 0
        func endRecord() {
            fields.append(String(field))
            if recordHasContent || fields.count > 1 { records.append(Record(line: recordLine, fields: fields)) }
            fields = []
            field = String.UnicodeScalarView()
            recordHasContent = false
            closed = false
        }
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            if quoted {
                if scalar == "\"" {
                    if index < scalars.count, scalars[index] == "\"" {
                        field.append("\"")
                        index += 1
                    } else {
                        quoted = false
                        closed = true
                    }
                } else {
                    if scalar == "\n" || (scalar == "\r" && (index >= scalars.count || scalars[index] != "\n")) { line += 1 }
                    field.append(scalar)
                }
                continue
            }
            switch scalar {
            case ",":
                fields.append(String(field))
                field = String.UnicodeScalarView()
                closed = false
                recordHasContent = true
            case "\r", "\n":
                if scalar == "\r", index < scalars.count, scalars[index] == "\n" { index += 1 }
                endRecord()
                line += 1
                recordLine = line
            case "\"" where field.isEmpty && !closed:
                quoted = true
                recordHasContent = true
            default:
                if closed { throw fail("line \(line): a quoted field must end at its closing quote (a comma or the line's end follows it)") }
                field.append(scalar)
                recordHasContent = true
            }
        }
        if quoted { throw fail("line \(recordLine): a quoted field is not closed") }
        endRecord()
        return records
    }
}
