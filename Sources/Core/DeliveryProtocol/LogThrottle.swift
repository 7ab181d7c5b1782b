/// Decides which of a repeated log line to write: at most `burst` lines per key per `interval`,
/// then silence until the interval is over, when the next line says how many were left out. A
/// peer sending 57 000 bad messages a minute must not write 57 000 lines (the counters in
/// `/metrics` still count every one), nor drown the lines about everyone else. Keys are bounded:
/// past `maximumKeys` the oldest windows are forgotten all at once.
public struct LogThrottle<C: Clock>: Sendable where C.Duration == Duration {
    public enum Decision: Sendable, Equatable {
        /// Write it; `suppressedBefore` lines of this key were left out since the last one written.
        case log(suppressedBefore: Int)
        case suppress
    }

    public let burst: Int
    public let interval: Duration
    public let maximumKeys: Int
    private var windows: [String: Window] = [:]

    private struct Window: Sendable {
        var start: C.Instant
        var written: Int
        var suppressed: Int
    }

    public init(burst: Int = 10, interval: Duration = .seconds(60), maximumKeys: Int = 4096) {
        self.burst = max(1, burst)
        self.interval = interval
        self.maximumKeys = max(1, maximumKeys)
    }

    public mutating func admit(_ key: String, now: C.Instant) -> Decision {
        if var window = windows[key], window.start.duration(to: now) < interval {
            if window.written < burst {
                window.written += 1
                windows[key] = window
                return .log(suppressedBefore: 0)
            }
            window.suppressed += 1
            windows[key] = window
            return .suppress
        }
        let suppressed = windows[key]?.suppressed ?? 0
        if windows[key] == nil, windows.count >= maximumKeys { windows.removeAll(keepingCapacity: true) }
        windows[key] = Window(start: now, written: 1, suppressed: 0)
        return .log(suppressedBefore: suppressed)
    }
}
