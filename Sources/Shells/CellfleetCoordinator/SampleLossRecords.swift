import FleetHealth
import Foundation
import Logging
import PostgresNIO
import DeliveryProtocol

/// A hole an agent declared in a test's samples, written in the ingest transaction that moves the
/// test's high-water mark past it (schemas/migrations/0010): the hole in `sample_losses` and its
/// F5 alert, whose `alerts_changed` trigger puts it in the receivers' outbox in the same
/// transaction. The mark makes it once: a declaration received again finds the samples "had"
/// and records nothing.
enum SampleLossRecords {
    static func record(_ loss: IngestPlan.Loss, agentID: String, in connection: PostgresConnection, logger: Logger) async throws {
        let test = loss.testID.uuidString.lowercased()
        let alert = SampleLossAlert(testID: test, firstSequence: loss.firstSequence, lastSequence: loss.lastSequence, reason: loss.reason)
        let evidence = try SourceQuarantineRecords.json(alert.evidence)
        // The alert first: its natural key (test, rule, first lost seq) refuses it again as the
        // hole's key refuses the hole, and the hole row can then name it.
        let rows = try await connection.query("""
            WITH raised AS (
                INSERT INTO alerts (test_id, agent_id, channel_id, cell_id, rule, severity, message, evidence, source, seq)
                SELECT t.test_id, t.agent_id, t.channel_id, t.cell_id, \(alert.rule.rawValue), \(alert.severity), \(alert.message),
                       \(evidence)::jsonb, 'coordinator', \(loss.firstSequence)
                FROM tests t WHERE t.test_id = \(loss.testID)
                ON CONFLICT DO NOTHING
                RETURNING alert_id)
            INSERT INTO sample_losses (test_id, first_seq, last_seq, agent_id, reason, alert_id)
            VALUES (\(loss.testID), \(loss.firstSequence), \(loss.lastSequence), \(agentID), \(loss.reason), (SELECT alert_id FROM raised))
            ON CONFLICT (test_id, first_seq) DO NOTHING
            RETURNING alert_id
            """, logger: logger)
        for try await alertID in rows.decode(Int64?.self) {
            logger.notice("samples declared lost; the test continues after the hole", metadata: [
                "alert": "\(alertID.map(String.init) ?? "")", "rule": "\(alert.rule.rawValue)", "agent": "\(agentID)", "test": "\(test)",
                "first_seq": "\(loss.firstSequence)", "last_seq": "\(loss.lastSequence)", "reason": "\(loss.reason)"])
        }
    }
}
