import CellModel
import AlertRouting
import Foundation
import Logging
import PostgresNIO

/// The outbox tables (`alert_receivers`, `alert_deliveries`, migration 0004 §5 and §8) as the
/// delivery service reads and writes them. Every statement is one round trip and safe with
/// several coordinators on one database: claims skip rows another holds (`FOR UPDATE SKIP
/// LOCKED`) and lease what they take.
struct AlertOutbox: Sendable {
    let client: PostgresClient
    let coordinatorID: String
    let logger: Logger

    /// A due delivery this coordinator now holds.
    struct Claim: Sendable {
        var deliveryID: Int64
        var alertID: Int64
        var state: AlertState
        /// Attempts so far, this one included.
        var attempts: Int
        var token: UUID
    }

    /// Upserts the configured receivers, enabled, and returns their ids in the database.
    /// Receivers configured only elsewhere are left as they are (another coordinator may serve
    /// them; docs/live-detection.md §4).
    func register(_ receivers: [AlertReceiver]) async throws -> [String] {
        var ids: [String] = []
        for receiver in receivers {
            let rows = try await client.query("""
                INSERT INTO alert_receivers (receiver_id, kind, url, enabled, configured_by, configured_at)
                VALUES (\(receiver.receiverID), \(receiver.kind.rawValue), \(receiver.url), true, \(coordinatorID), now())
                ON CONFLICT (kind, url) DO UPDATE SET enabled = true, configured_by = EXCLUDED.configured_by, configured_at = now()
                RETURNING receiver_id
                """, logger: logger)
            for try await id in rows.decode(String.self) { ids.append(id) }
        }
        return ids
    }

    /// Takes up to `limit` due deliveries of one receiver, oldest due first, counts the attempt
    /// and leases them for `leaseSeconds` (a coordinator that dies holding them has them
    /// retried once the lease is over).
    func claim(receiverID: String, limit: Int, leaseSeconds: Double) async throws -> [Claim] {
        let token = UUID()
        let rows = try await client.query("""
            WITH due AS (
                SELECT delivery_id FROM alert_deliveries
                WHERE receiver_id = \(receiverID) AND delivered_at IS NULL AND next_attempt_at <= now()
                ORDER BY next_attempt_at, delivery_id
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            UPDATE alert_deliveries d
            SET attempts = d.attempts + 1, last_attempt_at = now(),
                next_attempt_at = now() + make_interval(secs => \(leaseSeconds)),
                claimed_by = \(coordinatorID), claim_token = \(token)
            FROM due WHERE d.delivery_id = due.delivery_id
            RETURNING d.delivery_id, d.alert_id, d.alert_state, d.attempts
            """, logger: logger)
        var claims: [Claim] = []
        for try await (id, alertID, state, attempts) in rows.decode((Int64, Int64, String, Int32).self) {
            guard let state = AlertState(rawValue: state) else { continue }
            claims.append(Claim(deliveryID: id, alertID: alertID, state: state, attempts: Int(attempts), token: token))
        }
        return claims.sorted { $0.deliveryID < $1.deliveryID }
    }

    /// The alerts' rows as deliveries tell them (their current state, the test's attributes).
    func alerts(_ ids: [Int64]) async throws -> [Int64: AlertRecord] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await client.query("""
            SELECT a.alert_id, a.rule, a.severity, a.state, a.test_id::text, a.cell_id, a.channel_id, a.agent_id, a.kind,
                   a.seq, a.test_time_s, a.cycle_index, a.message, a.evidence::text, COALESCE(t.attributes::text, '{}'),
                   extract(epoch FROM a.raised_at)::float8, extract(epoch FROM a.acknowledged_at)::float8, a.acknowledged_by,
                   extract(epoch FROM a.resolved_at)::float8, a.resolved_by, a.note
            FROM alerts a LEFT JOIN tests t ON t.test_id = a.test_id
            WHERE a.alert_id = ANY(\(ids))
            """, logger: logger)
        var alerts: [Int64: AlertRecord] = [:]
        for try await row in rows {
            let r = row.makeRandomAccess()
            let id = try r[0].decode(Int64.self)
            alerts[id] = AlertRecord(
                alertID: id, rule: try r[1].decode(String.self), severity: try r[2].decode(String.self),
                state: AlertState(rawValue: try r[3].decode(String.self)) ?? .firing,
                testID: try r[4].decode(String?.self), cellID: try r[5].decode(String?.self),
                channelID: try r[6].decode(String?.self), agentID: try r[7].decode(String?.self),
                kind: try r[8].decode(String?.self), seq: try r[9].decode(Int64?.self),
                testTimeSeconds: try r[10].decode(Double?.self), cycleIndex: try r[11].decode(Int32?.self).map(Int.init),
                message: try r[12].decode(String.self), evidenceJSON: try r[13].decode(String.self),
                attributes: TestAttributes.strings(fromJSON: try r[14].decode(String.self)),
                raisedAtSeconds: try r[15].decode(Double.self), acknowledgedAtSeconds: try r[16].decode(Double?.self),
                acknowledgedBy: try r[17].decode(String?.self), resolvedAtSeconds: try r[18].decode(Double?.self),
                resolvedBy: try r[19].decode(String?.self), note: try r[20].decode(String?.self))
        }
        return alerts
    }

    /// The receiver took it: done, whoever's claim it was.
    func delivered(_ claim: Claim, status: Int) async throws {
        _ = try await client.query("""
            UPDATE alert_deliveries
            SET delivered_at = now(), delivered_by = \(coordinatorID), last_status = \(Int32(status)), last_error = NULL
            WHERE delivery_id = \(claim.deliveryID) AND delivered_at IS NULL
            """, logger: logger).collect()
    }

    /// Not taken: tried again after `retryAfterSeconds` — if the claim is still this one's.
    func failed(_ claim: Claim, status: Int?, error: String, retryAfterSeconds: Double) async throws {
        _ = try await client.query("""
            UPDATE alert_deliveries
            SET next_attempt_at = now() + make_interval(secs => \(retryAfterSeconds)), last_status = \(status.map(Int32.init)),
                last_error = \(String(error.prefix(2000)))
            WHERE delivery_id = \(claim.deliveryID) AND claim_token = \(claim.token) AND delivered_at IS NULL
            """, logger: logger).collect()
    }

    /// Gives back claimed rows not attempted (their lease would have run out before their turn):
    /// due at once again, the attempt not counted.
    func release(_ claims: [Claim]) async throws {
        guard let token = claims.first?.token else { return }
        _ = try await client.query("""
            UPDATE alert_deliveries SET next_attempt_at = now(), attempts = greatest(attempts - 1, 0)
            WHERE delivery_id = ANY(\(claims.map(\.deliveryID))) AND claim_token = \(token) AND delivered_at IS NULL
            """, logger: logger).collect()
    }

    /// Alertmanager's re-posts: the delivered rows of this receiver that may ever need one
    /// (`AlertmanagerRepostRule` decides which are due, on the database's clock), locked so a
    /// second coordinator does not re-post them too; those due are stamped `reposted_at` and
    /// returned. A re-post that then fails is tried at the next interval (Alertmanager's
    /// `resolve_timeout`, 5 min by default, spans several).
    func claimReposts(receiverID: String, rule: AlertmanagerRepostRule, limit: Int) async throws -> [Int64] {
        try await client.withTransaction(logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT d.delivery_id, d.alert_id, d.alert_state, a.state, extract(epoch FROM d.delivered_at)::float8,
                       extract(epoch FROM d.reposted_at)::float8, extract(epoch FROM now())::float8
                FROM alert_deliveries d JOIN alerts a ON a.alert_id = d.alert_id
                WHERE d.receiver_id = \(receiverID) AND d.delivered_at IS NOT NULL
                  AND ((d.alert_state <> 'resolved' AND a.state <> 'resolved') OR (d.alert_state = 'resolved' AND d.reposted_at IS NULL))
                ORDER BY COALESCE(d.reposted_at, d.delivered_at), d.delivery_id
                LIMIT \(limit)
                FOR UPDATE OF d SKIP LOCKED
                """, logger: logger)
            var due: [(delivery: Int64, alert: Int64)] = []
            for try await (delivery, alert, deliveredState, currentState, deliveredAt, repostedAt, now) in rows.decode(
                (Int64, Int64, String, String, Double, Double?, Double).self) {
                guard let deliveredState = AlertState(rawValue: deliveredState), let currentState = AlertState(rawValue: currentState) else { continue }
                let told = AlertmanagerRepostRule.Told(deliveredState: deliveredState, currentState: currentState,
                                                      deliveredAtSeconds: deliveredAt, repostedAtSeconds: repostedAt)
                if rule.isDue(told, nowSeconds: now) { due.append((delivery, alert)) }
            }
            guard !due.isEmpty else { return [] }
            _ = try await connection.query(
                "UPDATE alert_deliveries SET reposted_at = now() WHERE delivery_id = ANY(\(due.map(\.delivery)))", logger: logger).collect()
            return due.map(\.alert)
        }
    }

    /// Deliveries of this receiver not yet delivered (for the `pending` gauge).
    func pending(receiverID: String) async throws -> Int {
        let rows = try await client.query(
            "SELECT count(*) FROM alert_deliveries WHERE receiver_id = \(receiverID) AND delivered_at IS NULL", logger: logger)
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }
}
