import CellModel
import Foundation

/// The kinds of receiver (`alert_receivers.kind`).
public enum ReceiverKind: String, Sendable, Hashable, CaseIterable, Codable {
    case alertmanager
    case webhook
}

/// One row of `alerts`, with the group attributes of its test, as a delivery tells it. Times
/// are seconds since 1970 (UTC), as PostgreSQL's `extract(epoch …)` gives them.
public struct AlertRecord: Sendable, Equatable {
    public var alertID: Int64
    /// P1 … Q1 for the detectors, F1 … F3 for the coordinator's fleet-health rules.
    public var rule: String
    /// `fail`, `warn` or `info`, exactly as `cellfleet detect` prints it.
    public var severity: String
    public var state: AlertState
    /// Lowercase canonical UUID; nil for an agent-level alert (F2).
    public var testID: String?
    public var cellID: String?
    public var channelID: String?
    public var agentID: String?
    /// Q1's kind of note (time_backwards, …), nil for other rules.
    public var kind: String?
    public var seq: Int64?
    public var testTimeSeconds: Double?
    public var cycleIndex: Int?
    public var message: String
    /// The alert's evidence, as stored (`alerts.evidence`, a JSON object's text).
    public var evidenceJSON: String
    /// The test's string-valued attributes (`tests.attributes`): the cell's grouping
    /// (`coating`, `batch`, `scenario`, …) that Alertmanager routes and groups by.
    public var attributes: [String: String]
    public var raisedAtSeconds: Double
    public var acknowledgedAtSeconds: Double?
    public var acknowledgedBy: String?
    public var resolvedAtSeconds: Double?
    public var resolvedBy: String?
    public var note: String?

    public init(
        alertID: Int64, rule: String, severity: String, state: AlertState, testID: String? = nil, cellID: String? = nil,
        channelID: String? = nil, agentID: String? = nil, kind: String? = nil, seq: Int64? = nil, testTimeSeconds: Double? = nil,
        cycleIndex: Int? = nil, message: String = "", evidenceJSON: String = "{}", attributes: [String: String] = [:],
        raisedAtSeconds: Double, acknowledgedAtSeconds: Double? = nil, acknowledgedBy: String? = nil,
        resolvedAtSeconds: Double? = nil, resolvedBy: String? = nil, note: String? = nil
    ) {
        self.alertID = alertID
        self.rule = rule
        self.severity = severity
        self.state = state
        self.testID = testID
        self.cellID = cellID
        self.channelID = channelID
        self.agentID = agentID
        self.kind = kind
        self.seq = seq
        self.testTimeSeconds = testTimeSeconds
        self.cycleIndex = cycleIndex
        self.message = message
        self.evidenceJSON = evidenceJSON
        self.attributes = attributes
        self.raisedAtSeconds = raisedAtSeconds
        self.acknowledgedAtSeconds = acknowledgedAtSeconds
        self.acknowledgedBy = acknowledgedBy
        self.resolvedAtSeconds = resolvedAtSeconds
        self.resolvedBy = resolvedBy
        self.note = note
    }

    /// The one-line summary people read first (Alertmanager's `summary`, e-mail subjects):
    /// the rule, severity, where, when in the test, and the detector's message.
    public var summary: String {
        var where_: [String] = []
        if let cellID, !cellID.isEmpty { where_.append("cell \(cellID)") }
        if let channelID, !channelID.isEmpty { where_.append("channel \(channelID)") }
        if let agentID, !agentID.isEmpty { where_.append("agent \(agentID)") }
        var line = "\(rule) \(severity)"
        if !where_.isEmpty { line += " on " + where_.joined(separator: ", ") }
        if let testTimeSeconds, testTimeSeconds.isFinite {
            line += String(format: " at %.2f h", testTimeSeconds / 3600)
        }
        if let cycleIndex { line += " (cycle \(cycleIndex))" }
        if !message.isEmpty { line += ": " + message }
        // One line whatever the parts hold (a message, or an id, with line breaks in it).
        return line.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
