/// A spreadsheet export (`.xlsx`) seen as named sheets of raw records. The container decoder
/// provides it; which sheets hold the records, and which hold the instrument's own summary,
/// is vendor knowledge kept here.
public protocol CyclerWorkbook {
    var sheetNames: [String] { get }
    func records(sheet: String) throws -> any RawRecordSource
}

/// Chains the record sheets of one export (Arbin splits long tests over `Channel_<n>_1`,
/// `Channel_<n>_2`, …) into one source with one running position.
public struct ConcatenatedRecordSource: RawRecordSource {
    public let format: String
    public let columnNames: [String]
    public let metadata: [String: String]
    public private(set) var position = 0
    private var parts: [any RawRecordSource]
    private var current = 0
    private let file: String

    public init(format: String, parts: [any RawRecordSource], file: String) throws {
        guard let first = parts.first else { throw CyclerReadError(file: file, reason: "the workbook has no record sheet") }
        for part in parts.dropFirst() where part.columnNames != first.columnNames {
            throw CyclerReadError(file: file, reason: "record sheets have different columns (\(first.columnNames.count) vs \(part.columnNames.count)): not one export")
        }
        self.format = format
        self.columnNames = first.columnNames
        self.metadata = first.metadata
        self.parts = parts
        self.file = file
    }

    public mutating func next(into row: inout [RawValue]) throws -> Bool {
        while current < parts.count {
            if try parts[current].next(into: &row) {
                position += 1
                return true
            }
            current += 1
        }
        return false
    }
}

/// Vendor rules for spreadsheet exports.
public enum WorkbookRecords {
    /// What a workbook yields: the record stream and, where the instrument writes one, its own
    /// per-cycle summary in Ah (LAND's `Cycle` sheet).
    public struct Opened {
        public var source: any RawRecordSource
        public var instrumentSummary: [Int: (charge: Double, discharge: Double)]?
    }

    public static func open(_ workbook: any CyclerWorkbook, file: String) throws -> Opened {
        let names = workbook.sheetNames
        if names.contains("Record") {
            let records = try workbook.records(sheet: "Record")
            let summary = names.contains("Cycle") ? try landCycleSummary(workbook.records(sheet: "Cycle"), file: file) : nil
            return Opened(source: try ConcatenatedRecordSource(format: "land_xlsx", parts: [records], file: file), instrumentSummary: summary)
        }
        let channelSheets = orderedSheets(names, prefix: "Channel_")
        // RawData_<n>_<k> sheets repeat the Channel records in some exports: never count both.
        let sheets = channelSheets.isEmpty ? orderedSheets(names, prefix: "RawData_") : channelSheets
        guard !sheets.isEmpty else {
            throw CyclerReadError(file: file, reason: "workbook with sheets \(names.joined(separator: ", ")): neither LAND (Record) nor Arbin (Channel_<n>_<k>) records")
        }
        return Opened(source: try ConcatenatedRecordSource(format: "arbin_xlsx", parts: sheets.map { try workbook.records(sheet: $0) }, file: file), instrumentSummary: nil)
    }

    /// `Channel_11_1`, `Channel_11_2`, … in numeric order of channel then part.
    static func orderedSheets(_ names: [String], prefix: String) -> [String] {
        func key(_ name: String) -> (Int, Int)? {
            let parts = name.dropFirst(prefix.count).split(separator: "_")
            guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]) else { return nil }
            return (a, b)
        }
        return names.filter { $0.hasPrefix(prefix) && key($0) != nil }.sorted { key($0)! < key($1)! }
    }

    /// LAND's `Cycle` sheet: one row per cycle (`Index` 1, 2, …) after an all-zero `Index` 0 row.
    static func landCycleSummary(_ sheet: any RawRecordSource, file: String) throws -> [Int: (charge: Double, discharge: Double)] {
        var sheet = sheet
        func column(_ candidates: [String]) -> Int? {
            for c in candidates { if let i = sheet.columnNames.firstIndex(of: c) { return i } }
            return nil
        }
        guard let index = column(["Index", "Cycle"]),
              let charge = column(["Charge-Cap/mAh", "Charge_Cap/mAh", "ChargeCap/mAh"]),
              let discharge = column(["Discharge-Cap/mAh", "Discharge_Cap/mAh", "DischargeCap/mAh"]) else {
            throw CyclerReadError(file: file, reason: "LAND Cycle sheet without Index / Charge-Cap/mAh / Discharge-Cap/mAh columns (has \(sheet.columnNames.joined(separator: ", ")))")
        }
        var summary: [Int: (Double, Double)] = [:]
        var row: [RawValue] = []
        while try sheet.next(into: &row) {
            guard case .number(let i) = row[index], i >= 1 else { continue }
            var c = 0.0, d = 0.0
            if case .number(let v) = row[charge] { c = v / 1000 }
            if case .number(let v) = row[discharge] { d = v / 1000 }
            summary[Int(i)] = (c, d)
        }
        return summary
    }
}
