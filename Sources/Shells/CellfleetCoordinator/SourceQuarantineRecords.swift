import FleetHealth
import Foundation
import Logging
import PostgresNIO
import WireProtocol

/// A source quarantine an agent reported, written in the ingest transaction that acknowledges
/// it (schemas/migrations/0005_file_sources.sql): the report in `source_quarantines`, once per
/// delivery, and the F4 alert people are told of, once per open episode of (agent, file). The
/// alert row's `alerts_changed` trigger puts it in the receivers' outbox in the same
/// transaction, so an acknowledged quarantine always reaches Alertmanager and the webhooks.
enum SourceQuarantineRecords {
    /// What recording one quarantine did.
    enum Outcome: Equatable {
        /// Recorded before (a re-sent delivery): nothing changed.
        case alreadyRecorded
        /// Recorded, and a new F4 alert raised.
        case raised(alertID: Int64)
        /// Recorded; the file's F4 alert was already open and counts one more occurrence.
        case joined(alertID: Int64)
    }

    /// Records `quarantine` (validated on receipt: a file is named, a test id is a UUID or empty)
    /// from `agentID`, the connection's identity, which the planner checked it names.
    @discardableResult
    static func record(_ quarantine: Cellfleet_Wire_V1_SourceQuarantined, from agentID: String, deliveryID: UInt64,
                       in connection: PostgresConnection, logger: Logger) async throws -> Outcome {
        let alert = SourceQuarantineAlert(agentID: agentID, channelID: quarantine.channelID, testID: quarantine.testID,
                                          file: quarantine.file, reason: quarantine.reason)
        let testID = alert.testID.flatMap(UUID.init(uuidString:))
        // A time the agent did not give (0), or one PostgreSQL cannot store, is the coordinator's.
        let quarantinedAt = (1...1e11).contains(quarantine.unixTimeS) ? quarantine.unixTimeS : nil
        // The delivery's identity includes the agent's spool epoch (as of its hello), since
        // delivery ids restart with a new spool.
        let recorded = try await connection.query("""
            INSERT INTO source_quarantines (agent_id, agent_epoch, delivery_id, channel_id, test_id, file, reason, quarantined_at)
            VALUES (\(agentID), COALESCE((SELECT agent_epoch FROM agents WHERE agent_id = \(agentID)), 0),
                    \(Int64(bitPattern: deliveryID)), \(quarantine.channelID), \(testID)::uuid, \(alert.file), \(alert.reason),
                    COALESCE(to_timestamp(\(quarantinedAt)::float8), now()))
            ON CONFLICT (agent_id, agent_epoch, delivery_id) DO NOTHING
            RETURNING quarantine_id
            """, logger: logger)
        var quarantineID: Int64?
        for try await id in recorded.decode(Int64.self) { quarantineID = id }
        guard let quarantineID else {
            logger.debug("a source quarantine received again; already recorded", metadata: [
                "agent": "\(agentID)", "delivery": "\(deliveryID)", "file": "\(alert.file)"])
            return .alreadyRecorded
        }

        // The test's columns only for a test this agent started; otherwise none (as F2).
        let alertRows = try await connection.query("""
            INSERT INTO alerts (test_id, agent_id, channel_id, cell_id, rule, severity, message, evidence, source)
            SELECT t.test_id, \(agentID), COALESCE(\(alert.channelID)::text, t.channel_id), t.cell_id, \(alert.rule.rawValue),
                   \(alert.severity), \(alert.message), \(try Self.json(alert.evidence))::jsonb, 'coordinator'
            FROM (VALUES (1)) AS one (x) LEFT JOIN tests t ON t.test_id = \(testID)::uuid AND t.agent_id = \(agentID)
            ON CONFLICT (agent_id, (evidence ->> 'file')) WHERE rule = 'F4' AND state <> 'resolved'
            DO UPDATE SET occurrences = alerts.occurrences + 1
            RETURNING alert_id, occurrences
            """, logger: logger)
        var outcome = Outcome.alreadyRecorded
        for try await (alertID, occurrences) in alertRows.decode((Int64, Int32).self) {
            outcome = occurrences == 1 ? .raised(alertID: alertID) : .joined(alertID: alertID)
        }
        let alertID: Int64
        switch outcome {
        case .raised(let id):
            alertID = id
            logger.notice("fleet-health alert", metadata: [
                "alert": "\(id)", "rule": "\(alert.rule.rawValue)", "agent": "\(agentID)", "test": "\(alert.testID ?? "")",
                "message": "\(alert.message)"])
        case .joined(let id):
            alertID = id
            logger.info("a source file quarantined again while its alert is open", metadata: [
                "alert": "\(id)", "agent": "\(agentID)", "file": "\(alert.file)"])
        case .alreadyRecorded:
            return outcome
        }
        _ = try await connection.query(
            "UPDATE source_quarantines SET alert_id = \(alertID) WHERE quarantine_id = \(quarantineID)", logger: logger).collect()
        return outcome
    }

    /// The evidence as a JSON object's text, keys sorted.
    static func json(_ evidence: [String: String]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: evidence, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }
}
