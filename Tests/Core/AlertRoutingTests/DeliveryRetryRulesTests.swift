import AlertRouting
import Testing

@Suite struct DeliveryRetryRulesTests {
    let rules = DeliveryRetryRules(schedule: RetrySchedule(jitterFraction: 0), rejectedRetrySeconds: 600)

    @Test(arguments: [200, 201, 202, 204, 299])
    func aSuccessfulAnswerDelivers(status: Int) {
        #expect(rules.outcome(of: .response(status: status), attempts: 1, deliveryID: 1) == .delivered)
    }

    @Test(arguments: [500, 502, 503, 504, 408, 429, 300, 302, 100])
    func aTransientAnswerBacksOff(status: Int) {
        #expect(rules.outcome(of: .response(status: status), attempts: 1, deliveryID: 1) == .retry(afterSeconds: 1))
        #expect(rules.outcome(of: .response(status: status), attempts: 3, deliveryID: 1) == .retry(afterSeconds: 4))
    }

    @Test func noAnswerBacksOffToTheCap() {
        #expect(rules.outcome(of: .transportError, attempts: 1, deliveryID: 1) == .retry(afterSeconds: 1))
        #expect(rules.outcome(of: .transportError, attempts: 40, deliveryID: 1) == .retry(afterSeconds: 60))
    }

    @Test(arguments: [400, 401, 403, 404, 410, 413, 422])
    func aRefusalIsRetriedSlowlyNotDropped(status: Int) {
        #expect(rules.outcome(of: .response(status: status), attempts: 1, deliveryID: 1) == .rejected(retryAfterSeconds: 600))
    }
}
