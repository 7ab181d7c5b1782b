import CellModel

/// When an alert already told to an Alertmanager is posted to it again.
///
/// Alertmanager resolves an alert that has not been posted for `resolve_timeout` (5 min by
/// default) — a client is expected to re-send what is still active. So an alert that fires (or is
/// acknowledged: a person has seen it, but it is not over) is re-posted every `intervalSeconds`.
/// Once resolved, its resolution (`endsAt`) is posted once more, `intervalSeconds` after it was
/// first delivered: a re-post of its firing that another coordinator had in flight when the
/// resolution committed may have reached Alertmanager after it; the second resolution ends it for
/// good. After that the alert is never posted again.
public struct AlertmanagerRepostRule: Sendable, Equatable {
    public var intervalSeconds: Double

    public init(intervalSeconds: Double = 60) {
        self.intervalSeconds = intervalSeconds
    }

    /// What the outbox knows of one (alert, Alertmanager) pair: the delivery it last completed
    /// and when it last posted the alert.
    public struct Told: Sendable, Equatable {
        /// The state of the delivered row (`alert_deliveries.alert_state`): firing or resolved.
        public var deliveredState: AlertState
        /// The alert's state now.
        public var currentState: AlertState
        public var deliveredAtSeconds: Double
        /// The last re-post of this row, if any.
        public var repostedAtSeconds: Double?

        public init(deliveredState: AlertState, currentState: AlertState, deliveredAtSeconds: Double, repostedAtSeconds: Double? = nil) {
            self.deliveredState = deliveredState
            self.currentState = currentState
            self.deliveredAtSeconds = deliveredAtSeconds
            self.repostedAtSeconds = repostedAtSeconds
        }
    }

    public func isDue(_ told: Told, nowSeconds: Double) -> Bool {
        switch told.deliveredState {
        case .firing, .acknowledged:
            // A resolved alert's firing row is done: its resolved row (a delivery of its own)
            // takes over.
            guard told.currentState != .resolved else { return false }
            return nowSeconds - (told.repostedAtSeconds ?? told.deliveredAtSeconds) >= intervalSeconds
        case .resolved:
            return told.repostedAtSeconds == nil && nowSeconds - told.deliveredAtSeconds >= intervalSeconds
        }
    }

    /// The earliest time `told` becomes due, or nil if never again (for the poll's sleep).
    public func nextDueSeconds(_ told: Told) -> Double? {
        switch told.deliveredState {
        case .firing, .acknowledged:
            guard told.currentState != .resolved else { return nil }
            return (told.repostedAtSeconds ?? told.deliveredAtSeconds) + intervalSeconds
        case .resolved:
            return told.repostedAtSeconds == nil ? told.deliveredAtSeconds + intervalSeconds : nil
        }
    }
}
