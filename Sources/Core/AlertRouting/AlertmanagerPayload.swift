import CellModel

/// The body of Alertmanager's `POST /api/v2/alerts` (a JSON array of alerts) for cellfleet's
/// alerts. Labels identify an alert to Alertmanager (it deduplicates and groups by them), so
/// they hold only what names the alert — the rule, severity, the test, cell, channel, agent and
/// the cell's group attributes — never a measured value; those go to the annotations.
public enum AlertmanagerPayload {
    /// The labels cellfleet sets itself; a cell attribute of the same (label-safe) name is
    /// prefixed `attribute_` so it cannot change an alert's identity.
    public static let reservedLabels: Set<String> = [
        "alertname", "severity", "test_id", "cell_id", "channel_id", "agent_id", "alert_id", "kind",
    ]

    /// Attributes that configure detection or the safety stop rather than group cells.
    static func isGroupAttribute(_ name: String) -> Bool {
        !(name == "thresholds" || name.hasPrefix("threshold.") || name == "on_fail")
    }

    public static func labels(of alert: AlertRecord) -> [(String, String)] {
        var labels: [(String, String)] = [("alertname", alert.rule), ("severity", alert.severity)]
        for (name, value) in [("test_id", alert.testID), ("cell_id", alert.cellID), ("channel_id", alert.channelID), ("agent_id", alert.agentID)] {
            if let value, !value.isEmpty { labels.append((name, name == "test_id" ? value.lowercased() : value)) }
        }
        // The alert's own id keeps two alerts of one rule on one test apart (a second P2 after a
        // person resolved the first is a new alert, not the old one firing again).
        labels.append(("alert_id", String(alert.alertID)))
        if let kind = alert.kind, !kind.isEmpty { labels.append(("kind", kind)) }
        var taken = Set(labels.map(\.0))
        for (name, value) in alert.attributes.sorted(by: { $0.key < $1.key }) where isGroupAttribute(name) && !value.isEmpty {
            var label = LabelName.safe(name)
            if reservedLabels.contains(label) || label.hasPrefix("__") { label = "attribute_" + label }
            guard !taken.contains(label) else { continue }
            taken.insert(label)
            labels.append((label, value))
        }
        return labels
    }

    public static func annotations(of alert: AlertRecord) -> [(String, String)] {
        var annotations: [(String, String)] = [("summary", alert.summary)]
        if !alert.message.isEmpty { annotations.append(("description", alert.message)) }
        annotations.append(("evidence", EvidenceJSON.value(alert.evidenceJSON).render(pretty: false)))
        annotations.append(("state", alert.state.rawValue))
        if let by = alert.acknowledgedBy { annotations.append(("acknowledged_by", by)) }
        if let note = alert.note, !note.isEmpty { annotations.append(("note", note)) }
        return annotations
    }

    /// One alert of the array: `startsAt` the time it was raised; `endsAt` its resolution, and
    /// none while it fires or is acknowledged (Alertmanager then keeps it until
    /// `resolve_timeout` after the last post — hence the re-posts, `AlertmanagerRepostRule`).
    public static func alert(_ alert: AlertRecord, generatorURL: String? = nil) -> JSONText {
        var members: [(String, JSONText)] = [
            ("labels", .object(labels(of: alert).map { ($0.0, .string($0.1)) })),
            ("annotations", .object(annotations(of: alert).map { ($0.0, .string($0.1)) })),
            ("startsAt", .string(AlertTimestamp.text(secondsSince1970: alert.raisedAtSeconds))),
        ]
        if alert.state == .resolved {
            // A resolution recorded before the raise (clock skew between writers) would be
            // refused by Alertmanager: it ends no earlier than it started.
            let ends = max(alert.resolvedAtSeconds ?? alert.raisedAtSeconds, alert.raisedAtSeconds)
            members.append(("endsAt", .string(AlertTimestamp.text(secondsSince1970: ends))))
        }
        if let generatorURL { members.append(("generatorURL", .string(generatorURL))) }
        return .object(members)
    }

    /// The POST body for several alerts (one request per batch of re-posts).
    public static func body(_ alerts: [AlertRecord], generatorURL: String? = nil) -> String {
        JSONText.array(alerts.map { alert($0, generatorURL: generatorURL) }).render(pretty: false)
    }
}
