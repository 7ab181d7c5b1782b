/// A spreadsheet export (`.xlsx`) seen as named sheets of raw records. The container decoder
/// provides it; which sheets hold the records, and which hold the instrument's own summary,
/// is vendor knowledge kept here.
public protocol CyclerWorkbook {
    var sheetNames: [String] { get }
    /// The records of one sheet. `header` is given for a sheet continuing an earlier one (a long
    /// test split over several sheets): such a sheet may repeat that header or start with records.
    func records(sheet: String, continuing header: [String]?) throws -> any RawRecordSource
    /// Facts laid out as a row of names above a row of values (Arbin's `Global_Info`).
    func keyValueBlock(sheet: String) throws -> [String: String]
}

extension CyclerWorkbook {
    public func records(sheet: String) throws -> any RawRecordSource {
        try records(sheet: sheet, continuing: nil)
    }

    public func keyValueBlock(sheet: String) throws -> [String: String] { [:] }
}

/// Chains the record sheets of one export (Arbin splits long tests over `Channel_<n>_1`,
/// `Channel_<n>_2`, …; LAND over `Record`, `Record1`, …) into one source with one running position.
public struct ConcatenatedRecordSource: RawRecordSource {
    public let format: String
    public let columnNames: [String]
    public let metadata: [String: String]
    public private(set) var position = 0
    private var parts: [any RawRecordSource]
    private var current = 0

    /// Opens the first sheet, then each further one continuing its header.
    public init(format: String, workbook: any CyclerWorkbook, sheets: [String], metadata extra: [String: String] = [:], file: String) throws {
        guard let firstSheet = sheets.first else { throw CyclerReadError(file: file, reason: "the workbook has no record sheet") }
        let first = try workbook.records(sheet: firstSheet)
        var parts = [first]
        for sheet in sheets.dropFirst() {
            let part = try workbook.records(sheet: sheet, continuing: first.columnNames)
            guard part.columnNames == first.columnNames else {
                throw CyclerReadError(file: file, location: "sheet '\(sheet)'", reason: "record sheets have different columns (\(first.columnNames.count) vs \(part.columnNames.count)): not one export")
            }
            parts.append(part)
        }
        self.format = format
        self.columnNames = first.columnNames
        var metadata = first.metadata
        metadata["sheets"] = sheets.joined(separator: ",")
        for (key, value) in extra { metadata[key] = value }
        self.metadata = metadata
        self.parts = parts
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

    /// LAND (`Record` and its continuation sheets, `Cycle`), Arbin (`Channel_<n>_<k>`, else the
    /// `RawData_<n>_<k>` copies; one channel), else the first sheet as a generic table.
    public static func open(_ workbook: any CyclerWorkbook, file: String) throws -> Opened {
        let names = workbook.sheetNames
        if names.contains("Record") {
            var summary: [Int: (charge: Double, discharge: Double)]?
            var metadata: [String: String] = [:]
            if names.contains("Cycle") {
                summary = try landCycleSummary(workbook.records(sheet: "Cycle"))
                // The summary is a cross-check of the records, not their source: a Cycle sheet
                // laid out differently is noted, and the records are still read.
                if summary == nil { metadata["cycle sheet"] = "not understood (no Index / Charge-Cap / Discharge-Cap columns): per-cycle figures not checked against it" }
            }
            let source = try ConcatenatedRecordSource(format: "land_xlsx", workbook: workbook, sheets: ["Record"] + landContinuationSheets(names), metadata: metadata, file: file)
            return Opened(source: source, instrumentSummary: summary)
        }
        // RawData_<n>_<k> sheets repeat the Channel records in some exports: never count both.
        var channels = channelSheets(names, prefix: "Channel")
        if channels.isEmpty { channels = channelSheets(names, prefix: "RawData") }
        if let (channel, sheets) = channels.first {
            var metadata = ["channel": channel]
            if names.contains("Global_Info") {
                for (key, value) in try workbook.keyValueBlock(sheet: "Global_Info") { metadata[key] = value }
            }
            if channels.count > 1 {
                metadata["channels not read"] = channels.dropFirst().map(\.channel).joined(separator: ",")
            }
            return Opened(source: try ConcatenatedRecordSource(format: "arbin_xlsx", workbook: workbook, sheets: sheets, metadata: metadata, file: file), instrumentSummary: nil)
        }
        guard let first = names.first else { throw CyclerReadError(file: file, reason: "the workbook has no sheets") }
        return Opened(source: try ConcatenatedRecordSource(format: "xlsx", workbook: workbook, sheets: [first], file: file), instrumentSummary: nil)
    }

    /// LAND splits a long `Record` sheet over `Record1`, `Record2`, … (also seen as `Record(2)`,
    /// `Record_2`): in numeric order.
    static func landContinuationSheets(_ names: [String]) -> [String] {
        let numbered = names.compactMap { name -> (String, Int)? in
            guard name.hasPrefix("Record"), name != "Record" else { return nil }
            let rest = name.dropFirst("Record".count).filter { !" _-()".contains($0) }
            guard !rest.isEmpty, rest.allSatisfy(\.isASCII), rest.allSatisfy(\.isNumber), let k = Int(rest) else { return nil }
            return (name, k)
        }
        return numbered.sorted { $0.1 < $1.1 }.map(\.0)
    }

    /// Arbin record sheets per channel, channels and parts in numeric order: `Channel_11_1`,
    /// `Channel_11_2` (channel `11`), `Channel_1-009` (channel `1-009`, one part), `Channel3_1`.
    static func channelSheets(_ names: [String], prefix: String) -> [(channel: String, sheets: [String])] {
        func numbers(_ text: Substring) -> [Int] { text.split { !$0.isNumber }.compactMap { Int($0) } }
        var parts: [String: [(sheet: String, part: Int)]] = [:]
        for name in names where name.hasPrefix(prefix) {
            var rest = name.dropFirst(prefix.count)
            if rest.first == "_" || rest.first == " " { rest = rest.dropFirst() }
            guard let first = rest.first, first.isNumber else { continue }
            let pieces = rest.split(separator: "_")
            let channel: Substring
            let part: Int
            if pieces.count >= 2, let k = Int(pieces.last!) {
                channel = rest[..<rest.index(rest.endIndex, offsetBy: -(pieces.last!.count + 1))]
                part = k
            } else {
                channel = rest
                part = 0
            }
            parts[String(channel), default: []].append((name, part))
        }
        let channels = parts.keys.sorted { a, b in
            let (na, nb) = (numbers(a[...]), numbers(b[...]))
            return na != nb ? na.lexicographicallyPrecedes(nb) : a < b
        }
        return channels.map { ($0, parts[$0]!.sorted { $0.part < $1.part }.map(\.sheet)) }
    }

    /// LAND's `Cycle` sheet: one row per cycle (`Index` 1, 2, …) after an all-zero `Index` 0 row;
    /// capacities in the unit their header names (`Charge-Cap/mAh`, `…/Ah`, `…/uAh`). Nil when
    /// the sheet lacks those columns.
    static func landCycleSummary(_ sheet: any RawRecordSource) throws -> [Int: (charge: Double, discharge: Double)]? {
        var sheet = sheet
        /// Column and its scale to Ah, for a header `<name>/<unit>` whose name matches once
        /// separators and case are ignored.
        func capacityColumn(_ name: String) -> (index: Int, scale: Double)? {
            for (i, header) in sheet.columnNames.enumerated() {
                let parts = header.split(separator: "/", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased().filter({ $0.isLetter }) == name else { continue }
                switch parts[1].trimmingCharacters(in: .whitespaces).lowercased() {
                case "ah": return (i, 1)
                case "mah": return (i, 1e-3)
                case "uah", "µah", "μah": return (i, 1e-6)
                default: continue
                }
            }
            return nil
        }
        guard let index = sheet.columnNames.firstIndex(of: "Index") ?? sheet.columnNames.firstIndex(of: "Cycle"),
              let charge = capacityColumn("chargecap"), let discharge = capacityColumn("dischargecap") else { return nil }
        var summary: [Int: (Double, Double)] = [:]
        var row: [RawValue] = []
        while try sheet.next(into: &row) {
            guard case .number(let i) = row[index], i >= 1, i < 1e9 else { continue }
            var c = 0.0, d = 0.0
            if case .number(let v) = row[charge.index] { c = v * charge.scale }
            if case .number(let v) = row[discharge.index] { d = v * discharge.scale }
            summary[Int(i)] = (c, d)
        }
        return summary
    }
}
