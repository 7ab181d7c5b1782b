import CellModel

/// The body cellfleet POSTs to a webhook: a versioned JSON document telling one state of one
/// alert. `idempotency_key` is the same for every attempt at the same (alert, state), so a
/// receiver that saw an attempt whose answer got lost drops the repeat.
public enum WebhookBody {
    /// Bumped when a field changes meaning or goes; new fields may be added within a version.
    public static let version = "cellfleet.alert/v1"

    public static func idempotencyKey(alertID: Int64, state: AlertState) -> String { "\(alertID)-\(state.rawValue)" }

    /// - Parameter state: the state this delivery tells (the alert may have moved on since; its
    ///   current state is `alert.current_state`).
    public static func document(_ alert: AlertRecord, state: AlertState) -> JSONText {
        func text(_ value: String?) -> JSONText { value.map(JSONText.string) ?? .null }
        func time(_ seconds: Double?) -> JSONText { seconds.map { .string(AlertTimestamp.text(secondsSince1970: $0)) } ?? .null }
        let body: [(String, JSONText)] = [
            ("alert_id", .integer(Int(alert.alertID))),
            ("rule", .string(alert.rule)),
            ("severity", .string(alert.severity)),
            ("state", .string(state.rawValue)),
            ("current_state", .string(alert.state.rawValue)),
            ("test_id", text(alert.testID?.lowercased())),
            ("cell_id", text(alert.cellID)),
            ("channel_id", text(alert.channelID)),
            ("agent_id", text(alert.agentID)),
            ("kind", text(alert.kind)),
            ("seq", alert.seq.map { .integer(Int($0)) } ?? .null),
            ("test_time_second", JSONText.finite(alert.testTimeSeconds)),
            ("cycle", alert.cycleIndex.map(JSONText.integer) ?? .null),
            ("summary", .string(alert.summary)),
            ("message", .string(alert.message)),
            ("evidence", EvidenceJSON.value(alert.evidenceJSON)),
            ("attributes", .object(alert.attributes.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("raised_at", time(alert.raisedAtSeconds)),
            ("acknowledged_at", time(alert.acknowledgedAtSeconds)),
            ("acknowledged_by", text(alert.acknowledgedBy)),
            ("resolved_at", time(alert.resolvedAtSeconds)),
            ("resolved_by", text(alert.resolvedBy)),
            ("note", text(alert.note)),
        ]
        return .object([
            ("version", .string(version)),
            ("idempotency_key", .string(idempotencyKey(alertID: alert.alertID, state: state))),
            ("alert", .object(body)),
        ])
    }

    public static func body(_ alert: AlertRecord, state: AlertState) -> String {
        document(alert, state: state).render(pretty: false)
    }
}
