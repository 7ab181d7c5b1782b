import CellModel
import Foundation

/// The stored evidence (jsonb text) as a `JSONText` value, so it is embedded in a payload as
/// JSON rather than as a string of JSON. Object keys come out sorted (jsonb keeps no order).
/// Text that is not JSON is kept as a string: a payload is never refused for its evidence.
public enum EvidenceJSON {
    public static func value(_ text: String) -> JSONText {
        guard let data = text.data(using: .utf8),
              let decoded = try? JSONDecoder().decode(DecodedJSON.self, from: data) else { return .string(text) }
        return decoded.value
    }

    struct DecodedJSON: Decodable {
        var value: JSONText

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                value = .null
            } else if let bool = try? container.decode(Bool.self) {
                value = .bool(bool)
            } else if let integer = try? container.decode(Int.self) {
                value = .integer(integer)
            } else if let number = try? container.decode(Double.self) {
                value = .number(number)
            } else if let string = try? container.decode(String.self) {
                value = .string(string)
            } else if let array = try? container.decode([DecodedJSON].self) {
                value = .array(array.map(\.value))
            } else {
                let object = try container.decode([String: DecodedJSON].self)
                value = .object(object.sorted { $0.key < $1.key }.map { ($0.key, $0.value.value) })
            }
        }
    }
}
