import CellModel

/// One row of `alerts` as people see it (`cellfleet alerts list` / `watch`): the detector's or
/// the coordinator's alert with where it came from and where it stands. Times of day are the
/// database's, as RFC 3339 UTC text with microseconds, so nothing is lost in a conversion.
public struct StoredAlert: Sendable, Hashable {
    public var alertID: Int64
    /// Lowercase canonical UUID; nil for an agent-level alert (F2).
    public var testID: String?
    public var cellID: String?
    public var channelID: String?
    public var agentID: String?
    public var rule: String
    /// Q1's kind of note, nil for the other rules.
    public var kind: String?
    public var severity: String
    public var state: AlertState
    public var seq: Int64?
    public var testTimeSeconds: Double?
    public var lastTestTimeSeconds: Double?
    public var cycle: Int?
    public var raisedAt: String
    public var message: String
    /// The evidence as the database holds it (a JSON object's text).
    public var evidenceJSON: String
    public var occurrences: Int
    public var acknowledgedBy: String?
    public var acknowledgedAt: String?
    public var resolvedAt: String?
    public var resolvedBy: String?
    public var note: String?
    /// `detector` or `coordinator` (fleet health).
    public var source: String
    /// Where a safety stop stands, for tests with on_fail = "stop".
    public var safetyStop: String?

    public init(alertID: Int64, testID: String? = nil, cellID: String? = nil, channelID: String? = nil, agentID: String? = nil,
                rule: String, kind: String? = nil, severity: String, state: AlertState, seq: Int64? = nil,
                testTimeSeconds: Double? = nil, lastTestTimeSeconds: Double? = nil, cycle: Int? = nil, raisedAt: String,
                message: String, evidenceJSON: String = "{}", occurrences: Int = 1, acknowledgedBy: String? = nil,
                acknowledgedAt: String? = nil, resolvedAt: String? = nil, resolvedBy: String? = nil, note: String? = nil,
                source: String = "detector", safetyStop: String? = nil) {
        self.alertID = alertID
        self.testID = testID
        self.cellID = cellID
        self.channelID = channelID
        self.agentID = agentID
        self.rule = rule
        self.kind = kind
        self.severity = severity
        self.state = state
        self.seq = seq
        self.testTimeSeconds = testTimeSeconds
        self.lastTestTimeSeconds = lastTestTimeSeconds
        self.cycle = cycle
        self.raisedAt = raisedAt
        self.message = message
        self.evidenceJSON = evidenceJSON
        self.occurrences = occurrences
        self.acknowledgedBy = acknowledgedBy
        self.acknowledgedAt = acknowledgedAt
        self.resolvedAt = resolvedAt
        self.resolvedBy = resolvedBy
        self.note = note
        self.source = source
        self.safetyStop = safetyStop
    }
}

/// What `alerts watch` has printed, so that each alert's state is printed once however it is
/// seen: in the first read after LISTEN, in a notification, or in both (an alert committed
/// between LISTEN and that read), and again after a reconnect's re-read.
public struct AlertWatchLog: Sendable {
    /// The furthest state printed per alert. States only move forward (firing → acknowledged →
    /// resolved), so a late notification of a state already passed is not printed after it.
    private var furthest: [Int64: AlertState] = [:]

    public init() {}

    /// Whether `state` of the alert is news; records it.
    public mutating func shouldPrint(alertID: Int64, state: AlertState) -> Bool {
        guard isNews(alertID: alertID, state: state) else { return false }
        furthest[alertID] = state
        return true
    }

    /// Whether `state` of the alert would be printed (without recording it).
    public func isNews(alertID: Int64, state: AlertState) -> Bool {
        guard let seen = furthest[alertID] else { return true }
        return seen.rank < state.rank
    }

    /// The alerts printed in a state they may still leave (to re-read after a reconnect).
    public var openAlertIDs: [Int64] {
        furthest.filter { $0.value != .resolved }.map(\.key).sorted()
    }

    public var highestAlertID: Int64? { furthest.keys.max() }
}

extension AlertState {
    /// The order in which an alert passes its states.
    public var rank: Int {
        switch self {
        case .firing: 0
        case .acknowledged: 1
        case .resolved: 2
        }
    }
}
