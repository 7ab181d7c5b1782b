import Foundation

/// Where the next page of a listing starts: the last row's sort key, which clients pass back
/// unchanged as `cursor`. A keyset, not an offset: rows added while someone pages neither
/// repeat nor push older rows out of reach. The format is strict and total — every text
/// schemas/openapi.yaml's pattern admits is a key — so a cursor is refused only when it is not
/// one at all.
enum PageCursor {
    /// The newest-first key of a test: (started_at, test_id).
    struct TestKey: Equatable {
        /// ISO 8601, UTC, microseconds, as the API writes instants (what PostgreSQL is given back).
        var startedAt: String
        var testID: UUID
    }

    /// `MICROSECONDS.UUIDHEX`: started_at in microseconds since 1970, then the test id's 32
    /// hex digits.
    static let testPattern = #"^[0-9]{1,16}\.[0-9a-f]{32}$"#
    /// The id below which the next page of alerts starts.
    static let alertPattern = #"^[1-9][0-9]{0,17}$"#

    static func encode(_ key: TestKey) -> String {
        let micros = microseconds(key.startedAt) ?? 0
        return "\(micros)." + key.testID.uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    static func testKey(_ cursor: String) throws -> TestKey {
        let parts = cursor.split(separator: ".", omittingEmptySubsequences: false)
        guard cursor.range(of: testPattern, options: .regularExpression) != nil, parts.count == 2,
              let micros = Int64(parts[0]), let id = uuid(fromHex: parts[1])
        else { throw invalid }
        return TestKey(startedAt: instant(microseconds: micros), testID: id)
    }

    static func encode(alertID: Int64) -> String { String(alertID) }

    static func alertID(_ cursor: String) throws -> Int64 {
        guard cursor.range(of: alertPattern, options: .regularExpression) != nil, let id = Int64(cursor) else { throw invalid }
        return id
    }

    static let invalid = APIProblem.badParameter("'cursor' is not one this API gives: pass back the next_cursor of the previous page unchanged")

    static func uuid(fromHex hex: Substring) -> UUID? {
        guard hex.count == 32 else { return nil }
        let h = Array(hex)
        return UUID(uuidString: "\(String(h[0..<8]))-\(String(h[8..<12]))-\(String(h[12..<16]))-\(String(h[16..<20]))-\(String(h[20..<32]))")
    }

    /// `2026-12-07T08:40:27.123456Z` → microseconds since 1970 (exact: no floating point).
    static func microseconds(_ instant: String) -> Int64? {
        guard instant.count == 27, instant.hasSuffix("Z") else { return nil }
        let whole = String(instant.prefix(19)) + "Z"
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: whole), let fraction = Int64(instant.dropFirst(20).prefix(6)) else { return nil }
        return Int64(date.timeIntervalSince1970.rounded()) * 1_000_000 + fraction
    }

    static func instant(microseconds micros: Int64) -> String {
        let seconds = micros / 1_000_000, fraction = micros % 1_000_000
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        let whole = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        return String(whole.dropLast()) + "." + String(format: "%06lld", fraction) + "Z"
    }
}
