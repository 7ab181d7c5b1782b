import Foundation

extension JSONText {
    /// JSON text read back as a value to print: object keys in name order, numbers by
    /// `JSONNumber`'s rule. Read with `JSONDecoder`, whose numbers are exact (Foundation's
    /// JSONSerialization rounds some, e.g. 0.30000000000000004). Nil if it is not JSON.
    public static func parsing(_ text: String) -> JSONText? {
        (try? JSONDecoder().decode(Parsed.self, from: Data(text.utf8)))?.text
    }

    private enum Parsed: Decodable {
        case number(Double), string(String), bool(Bool), null, array([Parsed]), object([String: Parsed])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .null }
            else if let value = try? container.decode(Bool.self) { self = .bool(value) }
            else if let value = try? container.decode(Double.self) { self = .number(value) }
            else if let value = try? container.decode(String.self) { self = .string(value) }
            else if let value = try? container.decode([Parsed].self) { self = .array(value) }
            else { self = .object(try container.decode([String: Parsed].self)) }
        }

        var text: JSONText {
            switch self {
            case .number(let value): .finite(value)
            case .string(let value): .string(value)
            case .bool(let value): .bool(value)
            case .null: .null
            case .array(let values): .array(values.map(\.text))
            case .object(let members): .object(members.keys.sorted().map { ($0, members[$0]!.text) })
            }
        }
    }
}
