/// The seam between decoding a container (text, `.xlsx`, `.nda`, `.ndax`, `.mpr`, `.res`) and
/// understanding a vendor's columns. A decoder only turns bytes into named columns, row by row;
/// what a column means (units, sign, counter rules) is decided once, by the cycler profile, for
/// text and binary files alike. That is what lets a lab add a vendor variant as a data file.
public protocol RawRecordSource {
    /// Short identifier of the container format, e.g. `neware_ndax`, `biologic_mpr`.
    var format: String { get }
    /// Column names exactly as the instrument (or its export) names them, units included,
    /// e.g. `Ewe/V`, `Current(mA)`, `Charge_Capacity(Ah)`.
    var columnNames: [String] { get }
    /// Header facts the instrument wrote outside the table: acquisition start, channel,
    /// active mass, software version… Keys are the instrument's own.
    var metadata: [String: String] { get }
    /// Reads the next record into `row` (one value per column, in `columnNames` order), or returns
    /// false at the end of the data. Throws `CyclerReadError` on corrupt input; never traps.
    mutating func next(into row: inout [RawValue]) throws -> Bool
    /// Index of the next record to be returned (0-based), for resuming a growing file.
    var position: Int { get }
    /// In a layered export, the index of the first column a record inherits from its parent
    /// (cycle, step) rows; nil for flat tables. Those columns may only say which cycle and step
    /// a record is in: their counters are the parents' totals.
    var inheritedColumnsStart: Int? { get }
}

extension RawRecordSource {
    public var inheritedColumnsStart: Int? { nil }
}

/// One cell of a raw record. Numbers stay numbers; vendor labels (`C_CC`, `CC_Chg`) and
/// date-time strings stay text until the profile interprets them.
public enum RawValue: Sendable, Hashable {
    case number(Double)
    case text(String)
    case missing
}

/// Why a file was refused. Always says where and why, so a lab can act on it.
public struct CyclerReadError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// Byte offset or record index where the problem was found, when known.
    public var location: String?
    public var reason: String

    public init(file: String, location: String? = nil, reason: String) {
        self.file = file
        self.location = location
        self.reason = reason
    }

    public var description: String {
        if let location { return "\(file): \(location): \(reason)" }
        return "\(file): \(reason)"
    }
}

/// A source whose records are columns of numbers (vendor labels as codes into a name table),
/// which the normaliser can take a block of records at a time, column by column. It then reads
/// each field as `block[column][record]` instead of through a `RawValue` per field per record,
/// which (enum payloads, reference counting) cost more than all the rest of reading a binary file.
/// Internal: only the decoders in this module are known to give exactly what `next(into:)` gives.
protocol ColumnBlockSource: RawRecordSource {
    /// Records the source holds (the last one `next(into:)` returns is `recordCount - 1`).
    var recordCount: Int { get }
    /// How column `index` is held, or nil when it has no block form (the reader then takes
    /// the `RawValue` path for the whole file).
    func blockKind(ofColumn index: Int) -> ColumnBlockKind?
    /// Writes column `index` of records `start..<start + count` into `out`: numbers as
    /// `next(into:)` would give them, label columns as their codes. Throws where `next(into:)`
    /// would have thrown for one of these records.
    func copyColumn(_ index: Int, from start: Int, count: Int, into out: UnsafeMutablePointer<Double>) throws
}

/// How a column of a `ColumnBlockSource` is held.
enum ColumnBlockKind: Sendable, Equatable {
    /// Numbers; NaN is "no value" (`RawValue.missing`) where `nanIsMissing`, else the number NaN.
    case numbers(nanIsMissing: Bool)
    /// Codes into `names`; a code past the end is "no value".
    case labels(names: [String])
}
