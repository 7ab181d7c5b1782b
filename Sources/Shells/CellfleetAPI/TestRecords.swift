import CellModel
import Foundation
import Logging
import PostgresNIO

/// `GET /tests` and `GET /tests/{id}`: the `tests` rows with their committed high-water mark,
/// newest first, filtered by where they ran, their cell and their study attributes. `cellfleet
/// tests list` reads the same pages, so the CLI and the API list the same tests.
public enum TestRecords {
    public struct Filter: Sendable {
        /// `running` (not ended) or `ended`.
        var state: String?
        var agentID: String?
        var channelID: String?
        var cellID: String?
        /// `attr.KEY=VALUE`: the attribute's value as text (`attributes ->> KEY`), so a number
        /// attribute matches its digits; every pair must match.
        var attributes: [(key: String, value: String)] = []

        public init(state: String? = nil, agentID: String? = nil, channelID: String? = nil, cellID: String? = nil,
                    attributes: [(key: String, value: String)] = []) {
            self.state = state
            self.agentID = agentID
            self.channelID = channelID
            self.cellID = cellID
            self.attributes = attributes
        }
    }

    static let columns = """
        t.test_id::text, t.agent_id, t.channel_id, t.cell_id, t.cell_type, t.electrode_area_m2, t.active_mass_kg,
        t.nominal_capacity_ah, t.working_electrode, t.voltage_min_v, t.voltage_max_v, t.attributes::text,
        \(TokenRecords.instant("t.started_at")), \(TokenRecords.instant("t.ended_at")), t.end_reason, t.last_seq, p.committed_seq
        """

    /// A page of at most `limit` tests after `cursor`, and the cursor of the next page (nil on the last).
    static func page(_ filter: Filter, after cursor: PageCursor.TestKey?, limit: Int, connection: PostgresConnection,
                     logger: Logger) async throws -> (tests: [JSONText], next: PageCursor.TestKey?) {
        let keys = filter.attributes.map(\.key)
        let values = filter.attributes.map(\.value)
        let rows = try await connection.query("""
            SELECT \(unescaped: columns) FROM tests t
            LEFT JOIN test_progress p ON p.test_id = t.test_id
            WHERE (\(filter.state)::text IS NULL OR (\(filter.state) = 'running') = (t.ended_at IS NULL))
              AND (\(filter.agentID)::text IS NULL OR t.agent_id = \(filter.agentID))
              AND (\(filter.channelID)::text IS NULL OR t.channel_id = \(filter.channelID))
              AND (\(filter.cellID)::text IS NULL OR t.cell_id = \(filter.cellID))
              AND NOT EXISTS (SELECT 1 FROM unnest(\(keys)::text[], \(values)::text[]) AS f(k, v)
                              WHERE (t.attributes ->> f.k) IS DISTINCT FROM f.v)
              AND (\(cursor?.startedAt)::timestamptz IS NULL
                   OR (t.started_at, t.test_id) < (\(cursor?.startedAt)::timestamptz, \(cursor?.testID)::uuid))
            ORDER BY t.started_at DESC, t.test_id DESC
            LIMIT \(limit + 1)
            """, logger: logger)
        // One row past the page says whether there is a next page (read to the end, not
        // abandoned mid-stream).
        var decoded: [(json: JSONText, key: PageCursor.TestKey)] = []
        for try await row in rows { decoded.append(try decode(row)) }
        guard decoded.count > limit else { return (decoded.map(\.json), nil) }
        return (decoded.prefix(limit).map(\.json), decoded[limit - 1].key)
    }

    /// Every matching test, newest first, a page at a time through the API's own cursor, so a
    /// long listing neither holds all rows in one result nor misses or repeats a test.
    public static func forEach(_ filter: Filter, pageSize: Int = 500, connection: PostgresConnection, logger: Logger,
                               _ body: ([JSONText]) throws -> Void) async throws {
        var cursor: PageCursor.TestKey?
        repeat {
            let page = try await page(filter, after: cursor, limit: max(1, pageSize), connection: connection, logger: logger)
            try body(page.tests)
            cursor = page.next
        } while cursor != nil
    }

    static func test(_ id: UUID, connection: PostgresConnection, logger: Logger) async throws -> JSONText? {
        let rows = try await connection.query("""
            SELECT \(unescaped: columns) FROM tests t LEFT JOIN test_progress p ON p.test_id = t.test_id WHERE t.test_id = \(id)
            """, logger: logger)
        for try await row in rows { return try decode(row).json }
        return nil
    }

    static func decode(_ row: PostgresRow) throws -> (json: JSONText, key: PageCursor.TestKey) {
        let r = row.makeRandomAccess()
        func text(_ index: Int) throws -> JSONText { try r[index].decode(String?.self).map(JSONText.string) ?? .null }
        func number(_ index: Int) throws -> JSONText { .finite(try r[index].decode(Double?.self)) }
        func integer(_ index: Int) throws -> JSONText { try r[index].decode(Int64?.self).map { .integer(Int($0)) } ?? .null }
        let testID = try r[0].decode(String.self)
        let startedAt = try r[12].decode(String.self)
        let ended = try r[13].decode(String?.self)
        let json = JSONText.object([
            ("test_id", .string(testID)), ("agent_id", try text(1)), ("channel_id", try text(2)), ("cell_id", try text(3)),
            ("state", .string(ended == nil ? "running" : "ended")),
            ("cell_type", try text(4)), ("electrode_area_m2", try number(5)), ("active_mass_kg", try number(6)),
            ("nominal_capacity_ah", try number(7)), ("working_electrode", try text(8)), ("voltage_min_v", try number(9)),
            ("voltage_max_v", try number(10)), ("attributes", JSONText.parsing(try r[11].decode(String.self)) ?? .object([])),
            ("started_at", .string(startedAt)), ("ended_at", ended.map(JSONText.string) ?? .null), ("end_reason", try text(14)),
            ("last_seq", try integer(15)), ("committed_seq", try integer(16)),
        ])
        return (json, PageCursor.TestKey(startedAt: startedAt, testID: UUID(uuidString: testID) ?? UUID()))
    }
}
