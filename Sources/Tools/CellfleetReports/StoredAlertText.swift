import CellDetection
import CellModel
import CellStatistics
import Foundation

/// How `cellfleet alerts list` and `alerts watch` print stored alerts: one JSON object per line
/// (`--json`), or a table for a person. The JSON field names are the contract:
/// alert_id, test_id, cell_id, channel_id, agent_id, rule, severity, state, test_time_second,
/// cycle, raised_at, evidence, then the rest. `rule`, `test_time_second` and `cycle` mean what
/// they mean on `cellfleet detect`'s lines, so the two lists compare field by field.
public enum StoredAlertText {
    public static func jsonLine(_ alert: StoredAlert) -> String {
        json(alert).render(pretty: false)
    }

    /// The alert as one JSON object: `alerts list --json`'s lines and the API's alerts alike.
    public static func json(_ alert: StoredAlert) -> JSONText {
        func text(_ value: String?) -> JSONText { value.map(JSONText.string) ?? .null }
        let fields: [(String, JSONText)] = [
            ("alert_id", .integer(Int(alert.alertID))),
            ("test_id", text(alert.testID)),
            ("cell_id", text(alert.cellID)),
            ("channel_id", text(alert.channelID)),
            ("agent_id", text(alert.agentID)),
            ("rule", .string(alert.rule)),
            ("kind", text(alert.kind)),
            ("severity", .string(alert.severity)),
            ("state", .string(alert.state.rawValue)),
            ("test_time_second", .finite(alert.testTimeSeconds)),
            ("last_test_time_second", .finite(alert.lastTestTimeSeconds)),
            ("cycle", alert.cycle.map(JSONText.integer) ?? .null),
            ("seq", alert.seq.map { .integer(Int($0)) } ?? .null),
            ("raised_at", .string(alert.raisedAt)),
            ("message", .string(alert.message)),
            ("evidence", evidence(alert.evidenceJSON)),
            ("occurrences", .integer(alert.occurrences)),
            ("acknowledged_by", text(alert.acknowledgedBy)),
            ("acknowledged_at", text(alert.acknowledgedAt)),
            ("resolved_at", text(alert.resolvedAt)),
            ("resolved_by", text(alert.resolvedBy)),
            ("note", text(alert.note)),
            ("source", .string(alert.source)),
            ("safety_stop", text(alert.safetyStop)),
        ]
        return JSONText.object(fields)
    }

    /// The stored evidence (a JSON object's text) with its keys in name order, as `detect`
    /// prints evidence, and its numbers by `JSONNumber`'s rule. Read with `JSONDecoder`, whose
    /// numbers are exact (Foundation's JSONSerialization rounds some, e.g. 0.30000000000000004).
    static func evidence(_ text: String) -> JSONText {
        JSONText.parsing(text) ?? .object([])
    }

    /// A table for a person: one alert per line, the newest last.
    public static func table(_ alerts: [StoredAlert]) -> String {
        guard !alerts.isEmpty else { return "no alerts\n" }
        var rows: [[String]] = [["id", "state", "severity", "rule", "cell", "agent/channel", "test time h", "cycle", "raised at", "message"]]
        for alert in alerts {
            let place = [alert.agentID, alert.channelID].compactMap { $0 }.joined(separator: "/")
            rows.append([
                "\(alert.alertID)", alert.state.rawValue, alert.severity, alert.rule + (alert.kind.map { " \($0)" } ?? ""),
                alert.cellID ?? "-", place.isEmpty ? "-" : place,
                alert.testTimeSeconds.map { String(format: "%.2f", $0 / 3600) } ?? "-",
                alert.cycle.map(String.init) ?? "-", String(alert.raisedAt.prefix(19)).replacingOccurrences(of: "T", with: " "),
                alert.message + (alert.occurrences > 1 ? " (×\(alert.occurrences))" : ""),
            ])
        }
        return SurvivalReport.align(rows, rightAligned: [0, 6, 7])
    }

    /// One line for `alerts watch` without `--json`: what changed, and the alert.
    public static func watchLine(_ alert: StoredAlert) -> String {
        let who: String
        switch alert.state {
        case .firing: who = ""
        case .acknowledged: who = alert.acknowledgedBy.map { " by \($0)" } ?? ""
        case .resolved: who = alert.resolvedBy.map { " by \($0)" } ?? ""
        }
        let time = alert.testTimeSeconds.map { String(format: " at %.2f h", $0 / 3600) } ?? ""
        let cycle = alert.cycle.map { ", cycle \($0)" } ?? ""
        let place = alert.cellID.map { "cell \($0)" } ?? alert.agentID.map { "agent \($0)" } ?? "-"
        return "\(alert.state.rawValue.uppercased())\(who)  #\(alert.alertID) \(alert.severity.uppercased()) \(alert.rule)  \(place)\(time)\(cycle): \(alert.message)"
    }
}
