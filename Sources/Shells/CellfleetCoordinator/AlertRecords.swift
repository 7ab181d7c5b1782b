import CellModel
import CellDetection
import Foundation
import Logging
import PostgresNIO

/// Which alerts `cellfleet alerts list` shows; nil is "any".
public struct AlertFilter: Sendable {
    public var state: AlertState?
    public var testID: UUID?
    public var rule: String?
    public var severity: String?
    /// Only alerts about this agent (its tests' and its own).
    public var agentID: String?
    /// `detector` (the detection core's rules, what `cellfleet detect` reproduces) or
    /// `coordinator` (fleet health: F1, F2, F3, F4).
    public var source: String?
    /// Raised at or after this instant.
    public var raisedSince: Date?
    /// Only these alerts (the watch reads the one a notification names).
    public var alertIDs: [Int64]?
    /// The watch's reads: alerts not resolved, those it printed open (`ids`, to see them
    /// resolved) and any with an id above `after` (raised since).
    public var openOrSeen: (ids: [Int64], after: Int64)?

    public init(state: AlertState? = nil, testID: UUID? = nil, rule: String? = nil, severity: String? = nil, raisedSince: Date? = nil) {
        self.state = state
        self.testID = testID
        self.rule = rule
        self.severity = severity
        self.raisedSince = raisedSince
    }
}

/// `alerts` rows as `StoredAlert`s: what people list and watch. Times of day are formatted by
/// PostgreSQL (RFC 3339, UTC, microseconds), test ids lowercase.
public enum AlertRecords {
    static let columns = """
        a.alert_id, a.test_id::text, a.cell_id, a.channel_id, a.agent_id, a.rule, a.kind, a.severity, a.state, a.seq,
        a.test_time_s, a.last_test_time_s, a.cycle_index,
        to_char(a.raised_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), a.message, a.evidence::text, a.occurrences,
        a.acknowledged_by, to_char(a.acknowledged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        to_char(a.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), a.resolved_by, a.note, a.source, a.safety_stop
        """

    /// The alerts the filter selects, oldest first (by id).
    public static func list(_ filter: AlertFilter, connection: PostgresConnection, logger: Logger) async throws -> [StoredAlert] {
        var alerts: [StoredAlert] = []
        try await forEach(filter, connection: connection, logger: logger) { alerts.append($0) }
        return alerts
    }

    /// The same, one alert at a time as the rows arrive (a listing of a fleet's history in
    /// constant memory).
    public static func forEach(_ filter: AlertFilter, connection: PostgresConnection, logger: Logger,
                               _ body: (StoredAlert) throws -> Void) async throws {
        let rows = try await connection.query(selection(filter, beforeID: nil, newestFirst: false, limit: nil), logger: logger)
        for try await row in rows { try body(try decode(row)) }
    }

    /// One page of the alerts the filter selects, newest first (by id): at most `limit`, with
    /// ids below `beforeID` (the previous page's last). A keyset, so a page costs the same deep
    /// in a fleet's history, and an alert raised while someone pages is neither shown twice nor
    /// skipped among the older ones.
    public static func page(_ filter: AlertFilter, beforeID: Int64?, limit: Int, connection: PostgresConnection,
                            logger: Logger) async throws -> [StoredAlert] {
        let rows = try await connection.query(selection(filter, beforeID: beforeID, newestFirst: true, limit: limit), logger: logger)
        var alerts: [StoredAlert] = []
        for try await row in rows { alerts.append(try decode(row)) }
        return alerts
    }

    /// The one query of the listings: the filter's conditions, ids below `beforeID`, in id order
    /// either way, at most `limit` rows (nil: all; PostgreSQL reads `LIMIT NULL` as none).
    private static func selection(_ filter: AlertFilter, beforeID: Int64?, newestFirst: Bool, limit: Int?) -> PostgresQuery {
        let since = filter.raisedSince.map { $0.timeIntervalSince1970 }
        return """
            SELECT \(unescaped: columns) FROM alerts a
            WHERE (\(filter.state?.rawValue)::text IS NULL OR a.state = \(filter.state?.rawValue))
              AND (\(filter.testID)::uuid IS NULL OR a.test_id = \(filter.testID))
              AND (\(filter.rule)::text IS NULL OR a.rule = \(filter.rule))
              AND (\(filter.severity)::text IS NULL OR a.severity = \(filter.severity))
              AND (\(filter.source)::text IS NULL OR a.source = \(filter.source))
              AND (\(filter.agentID)::text IS NULL OR a.agent_id = \(filter.agentID))
              AND (\(since)::float8 IS NULL OR a.raised_at >= to_timestamp(\(since)))
              AND (\(filter.alertIDs == nil) OR a.alert_id = ANY(\(filter.alertIDs ?? [])))
              AND (\(filter.openOrSeen == nil) OR a.state <> 'resolved' OR a.alert_id = ANY(\(filter.openOrSeen?.ids ?? []))
                   OR a.alert_id > \(filter.openOrSeen?.after ?? Int64.max))
              AND (\(beforeID)::bigint IS NULL OR a.alert_id < \(beforeID))
            ORDER BY a.alert_id \(unescaped: newestFirst ? "DESC" : "ASC")
            LIMIT \(limit.map(Int64.init))::bigint
            """
    }

    /// One alert by id, nil when there is none.
    public static func alert(_ alertID: Int64, connection: PostgresConnection, logger: Logger) async throws -> StoredAlert? {
        var filter = AlertFilter()
        filter.alertIDs = [alertID]
        return try await list(filter, connection: connection, logger: logger).first
    }

    static func decode(_ row: PostgresRow) throws -> StoredAlert {
        let r = row.makeRandomAccess()
        let stateText = try r[8].decode(String.self)
        guard let state = AlertState(rawValue: stateText) else { throw AlertRecordError.unknownState(stateText) }
        return StoredAlert(
            alertID: try r[0].decode(Int64.self), testID: try r[1].decode(String?.self), cellID: try r[2].decode(String?.self),
            channelID: try r[3].decode(String?.self), agentID: try r[4].decode(String?.self), rule: try r[5].decode(String.self),
            kind: try r[6].decode(String?.self), severity: try r[7].decode(String.self), state: state,
            seq: try r[9].decode(Int64?.self), testTimeSeconds: try r[10].decode(Double?.self),
            lastTestTimeSeconds: try r[11].decode(Double?.self), cycle: try r[12].decode(Int?.self),
            raisedAt: try r[13].decode(String.self), message: try r[14].decode(String.self), evidenceJSON: try r[15].decode(String.self),
            occurrences: try r[16].decode(Int.self), acknowledgedBy: try r[17].decode(String?.self),
            acknowledgedAt: try r[18].decode(String?.self), resolvedAt: try r[19].decode(String?.self),
            resolvedBy: try r[20].decode(String?.self), note: try r[21].decode(String?.self), source: try r[22].decode(String.self),
            safetyStop: try r[23].decode(String?.self))
    }

    // MARK: people's state changes

    /// The outcome of `alerts ack` / `resolve`.
    public enum ChangeOutcome: Sendable, Hashable {
        case changed(String)
        case unchanged(String)
    }

    /// Applies a person's request in one transaction: the alert is read under a row lock, the
    /// core decides, the change is written; the `alerts_changed` trigger then makes its
    /// deliveries and the notification in the same transaction. An unknown id or a refused
    /// change throws and writes nothing. A change is written to `audit_log` in the same
    /// transaction (actor: who the request names; `via` says through what: "cli", "api").
    public static func apply(_ request: AlertStateRequest, toAlert alertID: Int64, via: String = "cli", client: PostgresClient,
                             logger: Logger) async throws -> ChangeOutcome {
        try await client.withTransaction(logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT state, acknowledged_by, resolved_by, note FROM alerts WHERE alert_id = \(alertID) FOR UPDATE
                """, logger: logger)
            var snapshot: AlertStateSnapshot?
            for try await (state, acknowledgedBy, resolvedBy, note) in rows.decode((String, String?, String?, String?).self) {
                guard let state = AlertState(rawValue: state) else { throw AlertRecordError.unknownState(state) }
                snapshot = AlertStateSnapshot(alertID: alertID, state: state, acknowledgedBy: acknowledgedBy, resolvedBy: resolvedBy, note: note)
            }
            guard let snapshot else { throw AlertRecordError.unknownAlert(alertID) }
            switch AlertStateDecision.decide(request, on: snapshot) {
            case .refused(let reason):
                throw AlertRecordError.refused(reason)
            case .unchanged(let summary):
                return .unchanged(summary)
            case .change(let state, let by, let note, let summary):
                let updated: PostgresRowSequence
                switch state {
                case .acknowledged:
                    updated = try await connection.query("""
                        UPDATE alerts SET state = 'acknowledged', acknowledged_by = \(by), acknowledged_at = now(), note = \(note)
                        WHERE alert_id = \(alertID)
                        """, logger: logger)
                case .resolved:
                    updated = try await connection.query("""
                        UPDATE alerts SET state = 'resolved', resolved_by = \(by), resolved_at = now(), note = \(note)
                        WHERE alert_id = \(alertID)
                        """, logger: logger)
                case .firing:
                    throw AlertRecordError.refused("alert \(alertID) cannot be made firing again by a person")
                }
                for try await _ in updated {}
                let action = state == .acknowledged ? "ack" : "resolve"
                let requestNote: String?
                switch request {
                case .acknowledge(_, let note), .resolve(_, let note): requestNote = note
                }
                _ = try await connection.query("""
                    INSERT INTO audit_log (actor, action, target, detail)
                    VALUES (\(by ?? "unnamed"), \(action), \(String(alertID)),
                            jsonb_build_object('alert_id', \(alertID)::bigint, 'from', \(snapshot.state.rawValue)::text,
                                               'note', \(requestNote)::text, 'via', \(via)::text))
                    """, logger: logger).collect()
                return .changed(summary)
            }
        }
    }
}

public enum AlertRecordError: Error, CustomStringConvertible, Equatable {
    case unknownAlert(Int64)
    case unknownState(String)
    case refused(String)

    public var description: String {
        switch self {
        case .unknownAlert(let id): "no alert with id \(id)"
        case .unknownState(let state): "an alert in an unknown state '\(state)'"
        case .refused(let reason): reason
        }
    }
}

extension AlertRecordError {
    /// The refusal inside an error `apply` threw: `withTransaction` wraps its body's errors in
    /// `PostgresTransactionError`. nil for anything else (the database's own failure).
    public static func unwrapped(_ error: any Error) -> AlertRecordError? {
        if let error = error as? AlertRecordError { return error }
        if let transaction = error as? PostgresTransactionError, let inner = transaction.closureError {
            return unwrapped(inner)
        }
        return nil
    }
}
