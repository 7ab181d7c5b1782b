import DeliveryProtocol
import PropertyBased
import Testing
import TestSupport

struct LogThrottleTests {
    @Test func aBurstIsWrittenThenSilenceThenACountOfWhatWasLeftOut() {
        let clock = ManualClock()
        var throttle = LogThrottle<ManualClock>(burst: 3, interval: .seconds(60))
        let first = (0..<10).map { _ in throttle.admit("malformed|a", now: clock.now) }
        #expect(first == [.log(suppressedBefore: 0), .log(suppressedBefore: 0), .log(suppressedBefore: 0)] + Array(repeating: .suppress, count: 7))
        // Another key is not held back by the first.
        #expect(throttle.admit("malformed|b", now: clock.now) == .log(suppressedBefore: 0))
        _ = clock.advance(by: .seconds(59))
        #expect(throttle.admit("malformed|a", now: clock.now) == .suppress)
        _ = clock.advance(by: .seconds(2))
        #expect(throttle.admit("malformed|a", now: clock.now) == .log(suppressedBefore: 8))
        #expect(throttle.admit("malformed|a", now: clock.now) == .log(suppressedBefore: 0))
    }

    /// For any arrivals, per key and window: never more than `burst` written, and every line is
    /// either written or counted in the next written one's `suppressedBefore` (or still pending).
    @Test func nothingIsLostFromTheCountAndTheBurstHolds() async {
        await propertyCheck(count: 200, input: zip(Gen.int(in: 0...2), Gen.int(in: 0...20_000)).array(of: 1...300)) { steps in
            let clock = ManualClock()
            var throttle = LogThrottle<ManualClock>(burst: 4, interval: .seconds(10), maximumKeys: 8)
            var arrived: [Int: Int] = [:], written: [Int: Int] = [:], reported: [Int: Int] = [:], pending: [Int: Int] = [:]
            var windowStart: [Int: ManualClock.Instant] = [:], inWindow: [Int: Int] = [:]
            for (key, milliseconds) in steps {
                let now = clock.advance(by: .milliseconds(milliseconds))
                arrived[key, default: 0] += 1
                switch throttle.admit("k\(key)", now: now) {
                case .log(let suppressed):
                    written[key, default: 0] += 1
                    reported[key, default: 0] += suppressed
                    if suppressed > 0 { pending[key] = 0 }
                    if windowStart[key].map({ $0.duration(to: now) >= .seconds(10) }) ?? true {
                        windowStart[key] = now
                        inWindow[key] = 0
                    }
                    inWindow[key, default: 0] += 1
                    #expect(inWindow[key]! <= 4)
                case .suppress:
                    pending[key, default: 0] += 1
                }
            }
            for key in arrived.keys {
                #expect(written[key, default: 0] + reported[key, default: 0] + pending[key, default: 0] == arrived[key])
            }
        }
    }
}
