import CellModel
import Logging
import PostgresNIO

/// `GET /fleet`: the agents, every channel an agent announced with where it stands, and the
/// open alerts — what a fleet page draws, in one read.
enum FleetRecords {
    /// An agent heard from within this long is connected (the coordinators write `last_seen`
    /// every few seconds while it is).
    static let connectedWithinSeconds = 60.0

    /// The document's UTF-8 bytes (compact JSON): written row by row as the channels arrive.
    static func fleet(connection: PostgresConnection, logger: Logger) async throws -> [UInt8] {
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
        var document = JSONWriter(reservingCapacity: 1 << 16)
        document.literal(#"{"agents":"#)
        document.value(.array(agents))
        document.literal(#","channels":["#)
        var first = true
        let rows = try await connection.query("""
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
            """, logger: logger)
        // Column by column with concrete types: the twelve-element tuple `decode` is generic over
        // a parameter pack that is not specialised here, and looked up type metadata for every
        // row (a third of the route's time at 10 000 channels).
        for try await row in rows {
            let r = row.makeRandomAccess()
            let agent = try r[0].decode(String.self), channel = try r[1].decode(String.self)
            if !first { document.literal(",") }
            first = false
            document.literal(#"{"channel":"#); document.string("\(agent)/\(channel)")
            document.literal(#","agent_id":"#); document.string(agent)
            document.literal(#","channel_id":"#); document.string(channel)
            document.literal(#","make":"#); document.string(try r[2].decode(String.self))
            document.literal(#","model":"#); document.string(try r[3].decode(String.self))
            document.literal(#","state":"#); document.string(try r[4].decode(String.self))
            document.literal(#","since":"#); document.string(try r[5].decode(String?.self))
            document.literal(#","held":"#); document.bool(try r[6].decode(Bool.self))
            document.literal(#","cell_id":"#); document.string(try r[7].decode(String?.self))
            document.literal(#","test_id":"#); document.string(try r[8].decode(String?.self))
            document.literal(#","last_sample_at":"#); document.string(try r[9].decode(String?.self))
            document.literal(#","open_alerts":{"count":"#); document.integer(Int(try r[10].decode(Int64.self)))
            document.literal(#","worst_severity":"#); document.string(try r[11].decode(Int32?.self).map { ["fail", "warn", "info"][Int($0)] })
            document.literal("}}")
        }
        var openTotal = 0
        for try await count in try await connection.query("SELECT count(*) FROM alerts WHERE state <> 'resolved'", logger: logger)
            .decode(Int64.self) { openTotal = Int(count) }
        document.literal(#"],"open_alerts":"#)
        document.integer(openTotal)
        document.literal("}")
        return document.bytes
    }
}
