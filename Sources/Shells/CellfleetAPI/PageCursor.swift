import Foundation

/// Where the next page of a listing starts: the last row's sort key, opaque to clients
/// (base64url of a versioned text) so the key can change without breaking a client that only
/// passes `next_cursor` back. A keyset, not an offset: rows added while someone pages neither
/// repeat nor push older rows out of reach.
enum PageCursor {
    /// The newest-first key of a test: (started_at, test_id).
    struct TestKey: Equatable {
        var startedAt: String
        var testID: UUID
    }

    static func encode(_ key: TestKey) -> String {
        encode("t1|\(key.startedAt)|\(key.testID.uuidString.lowercased())")
    }

    static func testKey(_ cursor: String) throws -> TestKey {
        let parts = try decode(cursor).split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "t1", instantPattern(parts[1]), let id = UUID(uuidString: String(parts[2])) else {
            throw invalid
        }
        return TestKey(startedAt: String(parts[1]), testID: id)
    }

    /// The newest-first key of an alert: its id.
    static func encode(alertID: Int64) -> String { encode("a1|\(alertID)") }

    static func alertID(_ cursor: String) throws -> Int64 {
        let parts = try decode(cursor).split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "a1", let id = Int64(parts[1]) else { throw invalid }
        return id
    }

    static let invalid = APIProblem.badParameter("'cursor' is not one this API gave: pass back the next_cursor of the previous page unchanged")

    private static func encode(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    private static func decode(_ cursor: String) throws -> String {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard cursor.count <= 200, let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { throw invalid }
        return text
    }

    /// The API's instants: `2026-12-07T08:40:27.123456Z` (what PostgreSQL is then given back).
    private static func instantPattern(_ text: Substring) -> Bool {
        guard text.count == 27, text.last == "Z", text.allSatisfy({ $0.isASCII && ($0.isNumber || "-:T.Z".contains($0)) }) else {
            return false
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: String(text)) != nil
    }
}
