import Foundation

/// The string-valued members of a test's `attributes` (jsonb text): the wire's cell attributes
/// are strings; an object (such as `thresholds`) or a number is configuration, not a group.
public enum TestAttributes {
    public static func strings(fromJSON text: String) -> [String: String] {
        guard let data = text.data(using: .utf8),
              let object = try? JSONDecoder().decode([String: StringOrOther].self, from: data) else { return [:] }
        return object.compactMapValues(\.string)
    }

    struct StringOrOther: Decodable {
        var string: String?
        init(from decoder: any Decoder) throws {
            string = try? decoder.singleValueContainer().decode(String.self)
        }
    }
}
