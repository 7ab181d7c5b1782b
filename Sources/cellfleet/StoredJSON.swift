import CellModel
import Foundation

/// A stored `jsonb` value (attributes, outcomes) as JSON to print: keys in name order, numbers
/// by `JSONNumber`'s rule. Read with `JSONDecoder`, whose numbers are exact.
enum StoredJSON {
    static func text(_ json: String?) -> JSONText {
        guard let json else { return .null }
        return (try? JSONDecoder().decode(Value.self, from: Data(json.utf8)))?.text ?? .null
    }

    private enum Value: Decodable {
        case number(Double), string(String), bool(Bool), null, array([Value]), object([String: Value])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .null }
            else if let value = try? container.decode(Bool.self) { self = .bool(value) }
            else if let value = try? container.decode(Double.self) { self = .number(value) }
            else if let value = try? container.decode(String.self) { self = .string(value) }
            else if let value = try? container.decode([Value].self) { self = .array(value) }
            else { self = .object(try container.decode([String: Value].self)) }
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
