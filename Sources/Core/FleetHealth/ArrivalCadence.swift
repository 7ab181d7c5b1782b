import Foundation

/// A test's usual interval between arrivals (commits that brought new samples), as F1 needs it:
/// the source's own cadence, not the spacing of its samples in test time. A simulator at 1 Hz
/// arrives every second; a cycler export tailed from a file arrives in bursts — a few batches
/// milliseconds apart, then nothing until the cycler writes again — and the interval that
/// matters is the one between bursts.
///
/// The estimate moves in log space towards each new gap `g` from the estimate `u`:
/// `log u += w · (log g − log u)`, with `w = rate` for a longer gap and `w = rate · g / u` for a
/// shorter one. So
/// - a longer cadence is learnt in a few arrivals (each halves the distance at the default rate),
///   and a single outage moves the estimate by at most the square root of its ratio;
/// - shorter gaps pull it down in proportion to the time they cover: the quick batches of a burst
///   (or of a spool's backlog sent after a reconnect) cover almost no time and barely move it,
///   while a source that really became faster brings it down within a few of the old intervals.
/// The first gap seeds the estimate. Gaps of zero or less (a clock step back) teach nothing.
public struct ArrivalCadence: Sendable, Equatable {
    /// The default rate: an arrival after a gap twice the estimate raises it by √2.
    public static let defaultRate = 0.5

    /// When the last arrival was, in seconds on the observer's clock.
    public private(set) var lastArrivalSeconds: Double?
    /// The usual interval between arrivals; nil until two arrivals have been seen.
    public private(set) var usualIntervalSeconds: Double?
    public let rate: Double

    public init(lastArrivalSeconds: Double? = nil, usualIntervalSeconds: Double? = nil, rate: Double = defaultRate) {
        self.lastArrivalSeconds = lastArrivalSeconds
        self.usualIntervalSeconds = usualIntervalSeconds.flatMap { $0 > 0 && $0.isFinite ? $0 : nil }
        self.rate = rate
    }

    /// New samples arrived at `seconds`.
    public mutating func arrived(atSeconds seconds: Double) {
        guard seconds.isFinite else { return }
        guard let last = lastArrivalSeconds else {
            lastArrivalSeconds = seconds
            return
        }
        guard seconds > last else { return }
        lastArrivalSeconds = seconds
        let gap = seconds - last
        guard let usual = usualIntervalSeconds else {
            usualIntervalSeconds = gap
            return
        }
        let weight = gap > usual ? rate : rate * gap / usual
        usualIntervalSeconds = usual * exp(weight * log(gap / usual))
    }
}
