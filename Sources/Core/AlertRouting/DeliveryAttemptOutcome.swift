/// What one POST to a receiver came to, and what the outbox does next.
///
/// - 2xx: delivered; the row is done.
/// - 5xx, 408, 429, a connection error or a timeout: the receiver may take it later; retried on
///   `RetrySchedule` (within 2 s at first, at most a minute apart), for ever.
/// - Any other 4xx: the receiver understood and refused it (a wrong path, a wrong secret, a
///   payload it cannot read). Repeating it at once will not help, but a person fixing the
///   receiver or its configuration should still get every alert, so it is not dropped: it is
///   retried every `rejectedRetrySeconds` (10 min by default), counted and logged as an error.
public enum DeliveryAttemptResult: Sendable, Equatable {
    case response(status: Int)
    /// No HTTP answer: refused connection, reset, timeout, DNS.
    case transportError
}

public enum DeliveryAttemptOutcome: Sendable, Equatable {
    case delivered
    case retry(afterSeconds: Double)
    case rejected(retryAfterSeconds: Double)
}

public struct DeliveryRetryRules: Sendable, Equatable {
    public var schedule: RetrySchedule
    public var rejectedRetrySeconds: Double

    public init(schedule: RetrySchedule = RetrySchedule(), rejectedRetrySeconds: Double = 600) {
        self.schedule = schedule
        self.rejectedRetrySeconds = rejectedRetrySeconds
    }

    /// - Parameter attempts: the attempts made so far, this one included.
    public func outcome(of result: DeliveryAttemptResult, attempts: Int, deliveryID: Int64) -> DeliveryAttemptOutcome {
        switch result {
        case .response(let status) where (200..<300).contains(status):
            return .delivered
        case .response(let status) where (400..<500).contains(status) && status != 408 && status != 429:
            return .rejected(retryAfterSeconds: rejectedRetrySeconds)
        case .response, .transportError:
            return .retry(afterSeconds: schedule.delaySeconds(afterFailedAttempts: attempts, deliveryID: deliveryID))
        }
    }
}
