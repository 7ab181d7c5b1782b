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
        var out = ""
        write(into: &out, indent: indent, pretty: pretty)
        return out
    }

    private func write(into out: inout String, indent: Int, pretty: Bool) {
        let newline = pretty ? "\n" : ""
        let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
        let closePad = pretty ? String(repeating: "  ", count: indent) : ""
        switch self {
        case .number(let value):
            out += JSONNumber.text(value)
        case .integer(let value): out += String(value)
        case .string(let value): out += Self.quoted(value)
        case .bool(let value): out += value ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            // Rows of scalars (KM table rows) stay on one line each to keep the output readable.
            out += "[" + newline
            for (i, item) in items.enumerated() {
                out += pad
                item.write(into: &out, indent: indent + 1, pretty: pretty && !item.isFlat)
                out += i < items.count - 1 ? "," + newline : newline
            }
            out += closePad + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{" + newline
            for (i, (key, value)) in members.enumerated() {
                out += pad + Self.quoted(key) + (pretty ? ": " : ":")
                value.write(into: &out, indent: indent + 1, pretty: pretty)
                out += i < members.count - 1 ? "," + newline : newline
            }
            out += closePad + "}"
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
