/// Where the table of a text export starts and how its fields are written. Found by sniffing the
/// first bytes of the file (`TextLayoutSniffer`), never assumed from the file extension.
public struct TextLayout: Sendable, Hashable {
    public var delimiter: UInt8
    public var decimalSeparator: UInt8
    /// Thousands separator that may appear inside numbers (`1,234.5`), or nil.
    public var groupingSeparator: UInt8?
    /// Byte offset of the first line after the column-name line.
    public var dataStartOffset: Int
    /// 0-based line number of the column-name line, for error messages.
    public var headerLineNumber: Int
    public var columnNames: [String]
    /// `key: value` facts from the lines above the table.
    public var metadata: [String: String]
    /// BTSDA's layered export: cycle rows, step rows (one leading empty field) and record rows
    /// (two leading empty fields) interleaved; record rows inherit the ids of their parents.
    public var layered: LayeredLayout?

    public init(
        delimiter: UInt8, decimalSeparator: UInt8, groupingSeparator: UInt8? = nil,
        dataStartOffset: Int, headerLineNumber: Int, columnNames: [String],
        metadata: [String: String] = [:], layered: LayeredLayout? = nil
    ) {
        self.delimiter = delimiter
        self.decimalSeparator = decimalSeparator
        self.groupingSeparator = groupingSeparator
        self.dataStartOffset = dataStartOffset
        self.headerLineNumber = headerLineNumber
        self.columnNames = columnNames
        self.metadata = metadata
        self.layered = layered
    }
}

/// Column names of the three levels of a layered BTSDA export.
public struct LayeredLayout: Sendable, Hashable {
    public var cycleColumns: [String]
    public var stepColumns: [String]
    public var recordColumns: [String]
}
