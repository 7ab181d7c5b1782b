import CellModel
import Foundation
import Logging
import PostgresNIO
import Scheduling

/// The channels as the scheduler sees them, and what people do at the bench: `cellfleet
/// channels list`, `channels load` (a person put the awaited cell on a real channel, or found it
/// damaged), `channels hold` / `release` (maintenance). Each change is one transaction under the
/// scheduler's round lock, so a round never decides from rows a person changed under it.
public enum ChannelScheduleRecords {
    public struct Channel: Sendable, Equatable {
        public var agentID: String
        public var channelID: String
        public var make: String
        public var model: String
        /// `channel_schedule.state`, `idle` for a channel the scheduler has no row for.
        public var state: String
        public var since: String?
        public var held: Bool
        public var holdReason: String?
        public var heldBy: String?
        public var cellID: String?
        /// The test running on it (not ended).
        public var testID: String?
        public var pendingLoad: PendingLoad?

        public var address: String { "\(agentID)/\(channelID)" }
    }

    /// A load request waiting for a person: an assigned request with an L1 alert.
    public struct PendingLoad: Sendable, Equatable {
        public var requestID: String
        public var cellID: String
        public var protocolText: String
        public var requestedAt: String
        public var alertID: Int64
    }

    public static func list(client: PostgresClient, logger: Logger) async throws -> [Channel] {
        try await client.withConnection { connection in
            var channels: [Channel] = []
            let rows = try await connection.query("""
                SELECT c.agent_id, c.channel_id, c.cycler_make, c.cycler_model, COALESCE(s.state, 'idle'),
                       \(unescaped: SchedulerRecords.instant("s.since")), COALESCE(s.held, false), s.hold_reason, s.held_by,
                       COALESCE(s.cell_id, t.cell_id), t.test_id::text,
                       p.request_id, p.cell_id, p.protocol, \(unescaped: SchedulerRecords.instant("COALESCE(a.raised_at, p.assigned_at)")),
                       p.load_alert_id
                FROM channels c
                LEFT JOIN channel_schedule s ON s.agent_id = c.agent_id AND s.channel_id = c.channel_id
                LEFT JOIN LATERAL (
                    SELECT test_id, cell_id FROM tests
                    WHERE agent_id = c.agent_id AND channel_id = c.channel_id AND ended_at IS NULL
                    ORDER BY started_at DESC LIMIT 1) t ON true
                LEFT JOIN cell_requests p ON p.agent_id = c.agent_id AND p.channel_id = c.channel_id AND p.state = 'assigned'
                                         AND p.load_alert_id IS NOT NULL
                LEFT JOIN alerts a ON a.alert_id = p.load_alert_id
                ORDER BY c.agent_id, c.channel_id
                """, logger: logger)
            for try await (agent, channel, make, model, state, since, held, reason, heldBy, cell, test,
                           loadRequest, loadCell, loadProtocol, requestedAt, alertID)
                in rows.decode((String, String, String, String, String, String?, Bool, String?, String?, String?, String?,
                                String?, String?, String?, String?, Int64?).self) {
                var pending: PendingLoad?
                if let loadRequest, let loadCell, let loadProtocol, let requestedAt, let alertID {
                    pending = PendingLoad(requestID: loadRequest, cellID: loadCell, protocolText: loadProtocol, requestedAt: requestedAt, alertID: alertID)
                }
                channels.append(Channel(
                    agentID: agent, channelID: channel, make: make, model: model, state: state, since: since, held: held, holdReason: reason,
                    heldBy: heldBy, cellID: cell, testID: test, pendingLoad: pending))
            }
            return channels
        }
    }

    // MARK: loading

    public enum Load: Sendable, Equatable {
        /// The cell is on the channel; its test binds when the channel's next file appears.
        case loaded(requestID: String)
        /// The cell was found damaged: its request finished as damaged, the cell retired, the
        /// channel free again (the round queues the group's next stock cell).
        case damaged(requestID: String)
    }

    /// A person's answer to a channel's load request, checked against the request the channel
    /// awaits (locked, so a round releasing it at the same moment either wins or waits).
    public static func load(_ address: ChannelAddress, cellID: String, by person: String, damaged: Bool, note: String?,
                            client: PostgresClient, logger: Logger) async throws -> Load {
        try await client.withTransaction(logger: logger) { connection in
            try await SchedulerRecords.waitForRound(connection, logger: logger)
            try await requireChannel(address, connection: connection, logger: logger)
            var awaited: (requestID: String, cellID: String, commandID: Int64?, alertID: Int64?)?
            for try await row in try await connection.query("""
                SELECT request_id, cell_id, command_id, load_alert_id FROM cell_requests
                WHERE agent_id = \(address.agentID) AND channel_id = \(address.channelID) AND state = 'assigned'
                FOR UPDATE
                """, logger: logger).decode((String, String, Int64?, Int64?).self) { awaited = row }
            guard let awaited else { throw SchedulerRecordError("channel \(address) has no pending load request") }
            if let commandID = awaited.commandID {
                throw SchedulerRecordError("""
                    channel \(address) is a simulated channel: the coordinator starts request \(awaited.requestID) itself \
                    (start_test command \(commandID)); there is nothing to load
                    """)
            }
            guard awaited.cellID == cellID else {
                throw SchedulerRecordError("channel \(address) awaits cell \(awaited.cellID) (request \(awaited.requestID)), not cell \(cellID)")
            }
            _ = try await connection.query("""
                INSERT INTO channel_loads (agent_id, channel_id, cell_id, request_id, how, loaded_by, damaged, note)
                VALUES (\(address.agentID), \(address.channelID), \(cellID), \(awaited.requestID), 'confirmed', \(person), \(damaged), \(note))
                """, logger: logger).collect()
            // The people's audit trail (migration 0007), committed with the load it records.
            _ = try await connection.query("""
                INSERT INTO audit_log (actor, action, target, detail)
                VALUES (\(person), 'load', \(address.description),
                        jsonb_build_object('cell_id', \(cellID)::text, 'request_id', \(awaited.requestID)::text,
                                           'damaged', \(damaged)::boolean, 'note', \(note)::text))
                """, logger: logger).collect()
            let alertNote = damaged ? "damaged at loading" : "loaded"
            if let alertID = awaited.alertID {
                _ = try await connection.query("""
                    UPDATE alerts SET state = 'resolved', resolved_at = now(), resolved_by = \(person),
                           note = COALESCE(note || E'\\n', '') || \(alertNote)
                    WHERE alert_id = \(alertID) AND state <> 'resolved'
                    """, logger: logger).collect()
            }
            if damaged {
                let outcome = JSONText.object([("damaged", .bool(true)), ("note", note.map(JSONText.string) ?? .null)]).render(pretty: false)
                _ = try await connection.query("""
                    UPDATE cell_requests SET state = 'finished', verdict = 'damaged', finished_at = now(), reserved_until = NULL,
                           outcome = \(outcome)::jsonb
                    WHERE request_id = \(awaited.requestID)
                    """, logger: logger).collect()
                _ = try await connection.query("""
                    UPDATE cells SET state = 'retired', note = \(note), updated_at = now() WHERE cell_id = \(cellID)
                    """, logger: logger).collect()
                _ = try await connection.query("""
                    INSERT INTO channel_schedule AS s (agent_id, channel_id, state, request_id, cell_id, test_id, since)
                    VALUES (\(address.agentID), \(address.channelID), 'idle', NULL, NULL, NULL, now())
                    ON CONFLICT (agent_id, channel_id) DO UPDATE SET
                        state = 'idle', request_id = NULL, cell_id = NULL, test_id = NULL, since = now(), updated_at = now()
                    """, logger: logger).collect()
                return .damaged(requestID: awaited.requestID)
            }
            // test_id stays NULL: the channel's next file names the test and binds it.
            _ = try await connection.query("""
                UPDATE cell_requests SET state = 'running', started_at = now(), reserved_until = NULL WHERE request_id = \(awaited.requestID)
                """, logger: logger).collect()
            _ = try await connection.query("""
                UPDATE cells SET state = 'on_test', updated_at = now() WHERE cell_id = \(cellID)
                """, logger: logger).collect()
            _ = try await connection.query("""
                INSERT INTO channel_schedule AS s (agent_id, channel_id, state, request_id, cell_id, test_id, since)
                VALUES (\(address.agentID), \(address.channelID), 'running', \(awaited.requestID), \(cellID), NULL, now())
                ON CONFLICT (agent_id, channel_id) DO UPDATE SET
                    state = 'running', request_id = EXCLUDED.request_id, cell_id = EXCLUDED.cell_id, test_id = NULL, since = now(),
                    updated_at = now()
                """, logger: logger).collect()
            return .loaded(requestID: awaited.requestID)
        }
    }

    // MARK: holds

    public enum Hold: Sendable, Equatable {
        case held(reason: String, by: String)
        /// Held already: the reason and who are replaced by these.
        case reheld(previousReason: String?, previousBy: String?)
        case released(reason: String?, by: String?)
        case notHeld
    }

    /// A hold for maintenance: the round assigns the channel nothing until it is released (a
    /// running test runs on).
    public static func hold(_ address: ChannelAddress, reason: String, by person: String, client: PostgresClient, logger: Logger) async throws -> Hold {
        try await client.withTransaction(logger: logger) { connection in
            try await SchedulerRecords.waitForRound(connection, logger: logger)
            try await requireChannel(address, connection: connection, logger: logger)
            let previous = try await currentHold(address, connection: connection, logger: logger)
            _ = try await connection.query("""
                INSERT INTO channel_schedule AS s (agent_id, channel_id, held, hold_reason, held_by, held_at)
                VALUES (\(address.agentID), \(address.channelID), true, \(reason), \(person), now())
                ON CONFLICT (agent_id, channel_id) DO UPDATE SET
                    held = true, hold_reason = EXCLUDED.hold_reason, held_by = EXCLUDED.held_by, held_at = now(), updated_at = now()
                """, logger: logger).collect()
            if let previous { return .reheld(previousReason: previous.reason, previousBy: previous.by) }
            return .held(reason: reason, by: person)
        }
    }

    public static func release(_ address: ChannelAddress, client: PostgresClient, logger: Logger) async throws -> Hold {
        try await client.withTransaction(logger: logger) { connection in
            try await SchedulerRecords.waitForRound(connection, logger: logger)
            try await requireChannel(address, connection: connection, logger: logger)
            guard let previous = try await currentHold(address, connection: connection, logger: logger) else { return .notHeld }
            _ = try await connection.query("""
                UPDATE channel_schedule SET held = false, hold_reason = NULL, held_by = NULL, held_at = NULL, updated_at = now()
                WHERE agent_id = \(address.agentID) AND channel_id = \(address.channelID)
                """, logger: logger).collect()
            return .released(reason: previous.reason, by: previous.by)
        }
    }

    private static func currentHold(_ address: ChannelAddress, connection: PostgresConnection, logger: Logger) async throws -> (reason: String?, by: String?)? {
        var hold: (reason: String?, by: String?)?
        for try await (reason, by) in try await connection.query("""
            SELECT hold_reason, held_by FROM channel_schedule
            WHERE agent_id = \(address.agentID) AND channel_id = \(address.channelID) AND held
            FOR UPDATE
            """, logger: logger).decode((String?, String?).self) { hold = (reason, by) }
        return hold
    }

    /// A channel some agent announced; any other name is a typo a person should hear about.
    static func requireChannel(_ address: ChannelAddress, connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query("""
            SELECT 1 FROM channels WHERE agent_id = \(address.agentID) AND channel_id = \(address.channelID)
            """, logger: logger).collect()
        guard rows.isEmpty else { return }
        throw SchedulerRecordError("no channel \(address): no agent has announced it (`cellfleet channels list` shows the fleet's channels)")
    }
}
