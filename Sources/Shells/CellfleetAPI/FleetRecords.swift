import CellModel
import Logging
import PostgresNIO

/// `GET /fleet`: the agents, every channel an agent announced with where it stands, and the
/// open alerts — what a fleet page draws, in one read.
enum FleetRecords {
    /// An agent heard from within this long is connected (the coordinators write `last_seen`
    /// every few seconds while it is).
    static let connectedWithinSeconds = 60.0

    static func fleet(connection: PostgresConnection, logger: Logger) async throws -> JSONText {
        func text(_ value: String?) -> JSONText { value.map(JSONText.string) ?? .null }
        var agents: [JSONText] = []
        for try await (agent, version, lastSeen, connected) in try await connection.query("""
            SELECT agent_id, software_version, \(unescaped: TokenRecords.instant("last_seen")),
                   last_seen > now() - make_interval(secs => \(connectedWithinSeconds))
            FROM agents ORDER BY agent_id
            """, logger: logger).decode((String, String, String, Bool).self) {
            agents.append(.object([
                ("agent_id", .string(agent)), ("software_version", .string(version)), ("last_seen", .string(lastSeen)),
                ("connected", .bool(connected)),
            ]))
        }
        // A channel's state is the scheduler's (channel_schedule) where it has a row; without
        // one (no scheduler ran), running while a test runs on it, else idle.
        var channels: [JSONText] = []
        for try await (agent, channel, make, model, state, since, held, cell, test, lastSample, openCount, worstRank)
            in try await connection.query("""
            WITH open_alerts AS (
                SELECT agent_id, channel_id, count(*) AS count,
                       min(CASE severity WHEN 'fail' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END) AS worst
                FROM alerts WHERE state <> 'resolved' AND channel_id IS NOT NULL
                GROUP BY agent_id, channel_id),
            -- Each channel's newest running test, in one pass (not a lookup per channel: a
            -- fleet of 10 000 channels answers in tens of milliseconds).
            running AS (
                SELECT DISTINCT ON (agent_id, channel_id) agent_id, channel_id, test_id, cell_id, started_at
                FROM tests WHERE ended_at IS NULL ORDER BY agent_id, channel_id, started_at DESC)
            SELECT c.agent_id, c.channel_id, c.cycler_make, c.cycler_model,
                   COALESCE(s.state, CASE WHEN t.test_id IS NOT NULL THEN 'running' ELSE 'idle' END),
                   \(unescaped: TokenRecords.instant("COALESCE(s.since, t.started_at)")), COALESCE(s.held, false),
                   COALESCE(s.cell_id, t.cell_id), t.test_id::text, \(unescaped: TokenRecords.instant("p.last_sample_at")),
                   COALESCE(o.count, 0), o.worst
            FROM channels c
            LEFT JOIN channel_schedule s ON s.agent_id = c.agent_id AND s.channel_id = c.channel_id
            LEFT JOIN running t ON t.agent_id = c.agent_id AND t.channel_id = c.channel_id
            LEFT JOIN test_progress p ON p.test_id = t.test_id
            LEFT JOIN open_alerts o ON o.agent_id = c.agent_id AND o.channel_id = c.channel_id
            ORDER BY c.agent_id, c.channel_id
            """, logger: logger).decode((String, String, String, String, String, String?, Bool, String?, String?, String?, Int64, Int32?).self) {
            let worst: JSONText = worstRank.map { .string(["fail", "warn", "info"][Int($0)]) } ?? .null
            channels.append(.object([
                ("channel", .string("\(agent)/\(channel)")), ("agent_id", .string(agent)), ("channel_id", .string(channel)),
                ("make", .string(make)), ("model", .string(model)), ("state", .string(state)), ("since", text(since)),
                ("held", .bool(held)), ("cell_id", text(cell)), ("test_id", text(test)), ("last_sample_at", text(lastSample)),
                ("open_alerts", .object([("count", .integer(Int(openCount))), ("worst_severity", worst)])),
            ]))
        }
        var openTotal = 0
        for try await count in try await connection.query("SELECT count(*) FROM alerts WHERE state <> 'resolved'", logger: logger)
            .decode(Int64.self) { openTotal = Int(count) }
        return .object([("agents", .array(agents)), ("channels", .array(channels)), ("open_alerts", .integer(openTotal))])
    }
}
