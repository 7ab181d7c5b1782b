/// The one JSON writer of everything the CLI prints (`detect`, `inspect --json`, `stats --json`):
/// a value written with keys in the order given, because labs' scripts and diffs read fields in
/// a fixed order that `JSONEncoder` does not promise, and with every number by `JSONNumber`'s
/// rule.
public enum JSONText: Sendable {
    case number(Double)
    case integer(Int)
    case string(String)
    case bool(Bool)
    case null
    case array([JSONText])
    case object([(String, JSONText)])

    /// Non-finite numbers have no JSON spelling; they become null.
    public static func finite(_ value: Double?) -> JSONText {
        guard let value, value.isFinite else { return .null }
        return .number(value)
    }

    /// Pretty: two-space indents, rows of scalars on one line. Otherwise one line, no spaces.
    public func render(indent: Int = 0, pretty: Bool = true) -> String {
        String(decoding: renderBytes(indent: indent, pretty: pretty), as: UTF8.self)
    }

    /// `render`'s UTF-8 bytes, written straight into one buffer: the API's 10 000-channel fleet
    /// is megabytes of JSON, and building it as `String` pieces cost ten times as much.
    public func renderBytes(indent: Int = 0, pretty: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out, indent: indent, pretty: pretty)
        return out
    }

    /// The compact rendering appended to `out` (for `JSONWriter`).
    public func appendCompact(to out: inout [UInt8]) {
        write(into: &out, indent: 0, pretty: false)
    }

    private static func pad(_ out: inout [UInt8], _ level: Int) {
        for _ in 0..<level { out.append(0x20); out.append(0x20) }
    }

    private func write(into out: inout [UInt8], indent: Int, pretty: Bool) {
        switch self {
        case .number(let value):
            out.append(contentsOf: JSONNumber.text(value).utf8)
        case .integer(let value): out.append(contentsOf: String(value).utf8)
        case .string(let value): JSONString.appendQuoted(value, to: &out)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case .array(let items):
            if items.isEmpty { out.append(contentsOf: "[]".utf8); return }
            // Rows of scalars (KM table rows) stay on one line each to keep the output readable.
            out.append(UInt8(ascii: "["))
            if pretty { out.append(0x0A) }
            for (i, item) in items.enumerated() {
                if pretty { Self.pad(&out, indent + 1) }
                item.write(into: &out, indent: indent + 1, pretty: pretty && !item.isFlat)
                if i < items.count - 1 { out.append(UInt8(ascii: ",")) }
                if pretty { out.append(0x0A) }
            }
            if pretty { Self.pad(&out, indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            if members.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            if pretty { out.append(0x0A) }
            for (i, (key, value)) in members.enumerated() {
                if pretty { Self.pad(&out, indent + 1) }
                JSONString.appendQuoted(key, to: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(0x20) }
                value.write(into: &out, indent: indent + 1, pretty: pretty)
                if i < members.count - 1 { out.append(UInt8(ascii: ",")) }
                if pretty { out.append(0x0A) }
            }
            if pretty { Self.pad(&out, indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    private var isFlat: Bool {
        if case .object(let members) = self {
            return members.allSatisfy { if case .object = $0.1 { return false }; if case .array = $0.1 { return false }; return true }
        }
        return false
    }

    public static func quoted(_ text: String) -> String { JSONString.quoted(text) }
}
