import Foundation

/// A clock that moves only when a test says so, so state machines generic over `Clock` are
/// driven through timeouts and back-offs in microseconds instead of with sleeps.
public final class ManualClock: Clock, @unchecked Sendable {
    public struct Instant: InstantProtocol, CustomStringConvertible {
        public var offset: Duration
        public init(offset: Duration) { self.offset = offset }
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
        public var description: String { "t+\(offset)" }
    }

    private let lock = NSLock()
    private var current: Instant

    public init(start: Instant = Instant(offset: .zero)) { current = start }

    public var now: Instant { lock.withLock { current } }
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// Moves time forward and returns the new instant.
    @discardableResult
    public func advance(by duration: Duration) -> Instant {
        lock.withLock {
            current = current.advanced(by: duration)
            return current
        }
    }

    /// Sleeping on a manual clock returns at once once the deadline has passed; otherwise it
    /// advances the clock to the deadline (tests that use it drive time explicitly).
    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        lock.withLock {
            if current < deadline { current = deadline }
        }
    }
}
