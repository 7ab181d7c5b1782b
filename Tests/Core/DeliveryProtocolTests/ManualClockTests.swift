import Testing
import TestSupport

/// The delivery state machines' tests drive time with `ManualClock`; it must move only when told.
struct ManualClockTests {
    @Test func timeMovesOnlyWhenAdvanced() async throws {
        let clock = ManualClock()
        let start = clock.now
        #expect(clock.now == start)
        let later = clock.advance(by: .seconds(5))
        #expect(start.duration(to: later) == .seconds(5))
        #expect(clock.now == later)
        try await clock.sleep(until: later.advanced(by: .milliseconds(250)), tolerance: nil)
        #expect(start.duration(to: clock.now) == .milliseconds(5250))
        // A deadline already passed leaves the clock where it is.
        try await clock.sleep(until: start, tolerance: nil)
        #expect(start.duration(to: clock.now) == .milliseconds(5250))
    }
}
