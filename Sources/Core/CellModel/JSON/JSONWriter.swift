/// A JSON document written straight into UTF-8 bytes, member by member, for answers too large to
/// build as a `JSONText` tree first: the API's 10 000-channel fleet is 150 000 values, and the
/// tree's allocations cost as much as the database's query. The caller writes the punctuation and
/// the quoted keys as literals (`#","state":"#`); values are escaped here.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []

    public init(reservingCapacity capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// Punctuation and keys, exactly as given: the caller's literal is already JSON.
    public mutating func literal(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func string(_ value: String) {
        JSONString.appendQuoted(value, to: &bytes)
    }

    /// A string, or `null` for none.
    public mutating func string(_ value: String?) {
        if let value { string(value) } else { literal("null") }
    }

    public mutating func integer(_ value: Int) {
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func bool(_ value: Bool) {
        literal(value ? "true" : "false")
    }

    /// A value already built as a tree, compact.
    public mutating func value(_ value: JSONText) {
        value.appendCompact(to: &bytes)
    }
}
