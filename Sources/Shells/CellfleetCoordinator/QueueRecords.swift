import Foundation
import Logging
import PostgresNIO

/// The cell queue as people read it (`cellfleet queue list`): the requests with a reserved
/// channel, then those waiting, in the order the scheduler takes them (priority, then first
/// submitted: `FleetScheduler`'s order).
public enum QueueRecords {
    public struct Request: Sendable, Equatable {
        /// 1 is the next to run, counted over the whole queue (a study's filter keeps its places).
        public var position: Int
        public var requestID: String
        public var cellID: String
        public var study: String
        public var group: String
        public var protocolText: String
        public var priority: Int
        public var state: String
        public var channel: String?
        public var queuedAt: String
        public var assignedAt: String?
    }

    public static func list(study: String?, client: PostgresClient, logger: Logger) async throws -> [Request] {
        try await client.withConnection { connection in
            if let study {
                let known = try await connection.query("SELECT 1 FROM studies WHERE study_name = \(study)", logger: logger).collect()
                if known.isEmpty { throw SchedulerRecordError("no study named \(study)") }
            }
            var requests: [Request] = []
            for try await (position, id, cell, requestStudy, group, protocolText, priority, state, agent, channel, queuedAt, assignedAt)
                in try await connection.query("""
                WITH ordered AS (
                    SELECT r.*, row_number() OVER (
                        ORDER BY r.state = 'assigned' DESC, r.priority DESC, r.submitted, r.request_id) AS position
                    FROM cell_requests r WHERE r.state IN ('queued', 'assigned'))
                SELECT position, request_id, cell_id, study_name, group_name, protocol, priority, state, agent_id, channel_id,
                       \(unescaped: SchedulerRecords.instant("queued_at")), \(unescaped: SchedulerRecords.instant("assigned_at"))
                FROM ordered WHERE (\(study)::text IS NULL OR study_name = \(study))
                ORDER BY position
                """, logger: logger).decode((Int, String, String, String, String, String, Int, String, String?, String?, String, String?).self) {
                requests.append(Request(
                    position: position, requestID: id, cellID: cell, study: requestStudy, group: group, protocolText: protocolText,
                    priority: priority, state: state, channel: SchedulerRecords.channel(agent, channel), queuedAt: queuedAt,
                    assignedAt: assignedAt))
            }
            return requests
        }
    }
}
