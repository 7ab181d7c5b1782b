import CellModel

/// What a person asks of an alert (`cellfleet alerts ack` / `resolve`).
public enum AlertStateRequest: Sendable, Hashable {
    case acknowledge(by: String, note: String?)
    case resolve(by: String?, note: String?)
}

/// The alert as the request finds it (read under a row lock, so the decision holds at commit).
public struct AlertStateSnapshot: Sendable, Hashable {
    public var alertID: Int64
    public var state: AlertState
    public var acknowledgedBy: String?
    public var resolvedBy: String?
    public var note: String?

    public init(alertID: Int64, state: AlertState, acknowledgedBy: String? = nil, resolvedBy: String? = nil, note: String? = nil) {
        self.alertID = alertID
        self.state = state
        self.acknowledgedBy = acknowledgedBy
        self.resolvedBy = resolvedBy
        self.note = note
    }
}

/// The decision on a request: pure, so every transition and refusal is tested without a
/// database; the shell only reads the snapshot under lock and writes what is decided.
public enum AlertStateDecision: Sendable, Hashable {
    /// Write this: the new state, who, and the note to store (earlier notes kept above it).
    case change(to: AlertState, by: String?, note: String?, summary: String)
    /// Nothing to do, and that is fine (asking twice): said, not an error.
    case unchanged(summary: String)
    /// Not allowed: an error for the person, nothing written.
    case refused(reason: String)

    public static func decide(_ request: AlertStateRequest, on alert: AlertStateSnapshot) -> AlertStateDecision {
        let id = alert.alertID
        switch (request, alert.state) {
        case (.acknowledge(let by, let note), .firing):
            return .change(to: .acknowledged, by: by, note: joined(alert.note, note), summary: "alert \(id) acknowledged by \(by)")
        case (.acknowledge, .acknowledged):
            return .unchanged(summary: "alert \(id) is already acknowledged\(alert.acknowledgedBy.map { " by \($0)" } ?? ""); nothing changed")
        case (.acknowledge, .resolved):
            return .refused(reason: "alert \(id) is resolved\(alert.resolvedBy.map { " (by \($0))" } ?? ""); a resolved alert cannot be acknowledged")
        case (.resolve(let by, let note), .firing), (.resolve(let by, let note), .acknowledged):
            return .change(to: .resolved, by: by, note: joined(alert.note, note), summary: "alert \(id) resolved\(by.map { " by \($0)" } ?? "")")
        case (.resolve, .resolved):
            return .unchanged(summary: "alert \(id) is already resolved\(alert.resolvedBy.map { " by \($0)" } ?? ""); nothing changed")
        }
    }

    /// A new note goes below the ones already written: an acknowledgement's note survives the
    /// resolution's.
    static func joined(_ existing: String?, _ new: String?) -> String? {
        guard let new, !new.isEmpty else { return existing }
        guard let existing, !existing.isEmpty else { return new }
        return existing + "\n" + new
    }
}
