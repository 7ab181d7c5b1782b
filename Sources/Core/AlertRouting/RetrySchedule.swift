import CellModel

/// When a delivery that failed is tried again: exponential back-off from `initialSeconds`,
/// doubling per failed attempt, capped at `maximumSeconds`, so a receiver that is down for an
/// hour is asked about once a minute and gets everything within a minute of coming back.
///
/// Jitter spreads the retries of many deliveries (and of two coordinators) apart: each delay is
/// shortened by up to `jitterFraction` of itself, by an amount drawn from the delivery's id and
/// attempt number — deterministic, so a test predicts it, yet different per delivery.
public struct RetrySchedule: Sendable, Equatable {
    public var initialSeconds: Double
    public var maximumSeconds: Double
    /// 0 … 1: how much of each delay jitter may take away.
    public var jitterFraction: Double

    public init(initialSeconds: Double = 1, maximumSeconds: Double = 60, jitterFraction: Double = 0.25) {
        self.initialSeconds = initialSeconds
        self.maximumSeconds = maximumSeconds
        self.jitterFraction = jitterFraction
    }

    /// The delay before the attempt after `failedAttempts` failed ones (1 = the first failed).
    public func nominalDelaySeconds(afterFailedAttempts failedAttempts: Int) -> Double {
        let doublings = min(max(failedAttempts, 1) - 1, 62)
        return min(maximumSeconds, initialSeconds * Double(sign: .plus, exponent: doublings, significand: 1))
    }

    public func delaySeconds(afterFailedAttempts failedAttempts: Int, deliveryID: Int64) -> Double {
        let nominal = nominalDelaySeconds(afterFailedAttempts: failedAttempts)
        var random = SplitMix64(state: UInt64(bitPattern: deliveryID) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: failedAttempts))
        let unit = Double(random.next() >> 11) / Double(1 << 53)
        return nominal * (1 - min(max(jitterFraction, 0), 1) * unit)
    }
}
