import AlertRouting
import Foundation

/// How the coordinator works the alert outbox. The defaults are the contract (retries
/// within 2 s at first, at most 60 s apart; Alertmanager re-posts well inside its 5 min
/// `resolve_timeout`); tests shorten them by hidden flags.
public struct AlertDeliveryConfiguration: Sendable {
    public var receivers: [AlertReceiver]
    /// Written on the rows this coordinator claims and delivers (`claimed_by`, `delivered_by`).
    public var coordinatorID: String
    public var retry = DeliveryRetryRules()
    public var repost = AlertmanagerRepostRule()
    /// Due rows are looked for at least this often besides the LISTEN wake-ups (a notification
    /// is lost while the listening connection is down, and retries fall due without one).
    public var pollSeconds: Double = 2
    /// How long a claim holds a row; longer than a request may take.
    public var claimLeaseSeconds: Double = 30
    public var requestTimeoutSeconds: Double = 10
    /// Rows claimed at once per receiver.
    public var claimBatch = 32

    public init(receivers: [AlertReceiver], coordinatorID: String) {
        self.receivers = receivers
        self.coordinatorID = coordinatorID
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public func validate() throws {
        for (name, value) in [("poll", pollSeconds), ("claim lease", claimLeaseSeconds), ("request timeout", requestTimeoutSeconds),
                              ("re-post interval", repost.intervalSeconds), ("first retry", retry.schedule.initialSeconds),
                              ("longest retry", retry.schedule.maximumSeconds), ("rejected retry", retry.rejectedRetrySeconds)] {
            guard value > 0, value.isFinite else { throw Invalid(description: "the alert delivery \(name) period must be positive") }
        }
        guard claimLeaseSeconds > requestTimeoutSeconds else {
            throw Invalid(description: "the claim lease (\(claimLeaseSeconds) s) must be longer than a request may take (\(requestTimeoutSeconds) s)")
        }
    }
}
