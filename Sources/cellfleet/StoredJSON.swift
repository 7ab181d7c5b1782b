import CellModel
import Foundation

/// A stored `jsonb` value (attributes, outcomes) as JSON to print: keys in name order, numbers
/// by `JSONNumber`'s rule. Read with `JSONDecoder`, whose numbers are exact.
enum StoredJSON {
    static func text(_ json: String?) -> JSONText {
        json.flatMap(JSONText.parsing) ?? .null
    }
}
