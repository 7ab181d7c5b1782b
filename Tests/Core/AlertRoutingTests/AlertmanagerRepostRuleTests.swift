import CellModel
import AlertRouting
import PropertyBased
import Testing

@Suite struct AlertmanagerRepostRuleTests {
    typealias Told = AlertmanagerRepostRule.Told
    let rule = AlertmanagerRepostRule(intervalSeconds: 60)

    @Test func aFiringAlertIsRepostedEveryInterval() {
        let told = Told(deliveredState: .firing, currentState: .firing, deliveredAtSeconds: 100)
        #expect(!rule.isDue(told, nowSeconds: 159.9))
        #expect(rule.isDue(told, nowSeconds: 160))
        #expect(rule.nextDueSeconds(told) == 160)
        let reposted = Told(deliveredState: .firing, currentState: .firing, deliveredAtSeconds: 100, repostedAtSeconds: 160)
        #expect(!rule.isDue(reposted, nowSeconds: 219))
        #expect(rule.isDue(reposted, nowSeconds: 220))
    }

    @Test func anAcknowledgedAlertKeepsFiringForAlertmanager() {
        let told = Told(deliveredState: .firing, currentState: .acknowledged, deliveredAtSeconds: 100, repostedAtSeconds: 500)
        #expect(rule.isDue(told, nowSeconds: 560))
    }

    @Test func aResolvedAlertsFiringIsNeverRepostedAndItsResolutionOnceMore() {
        let firing = Told(deliveredState: .firing, currentState: .resolved, deliveredAtSeconds: 100)
        #expect(!rule.isDue(firing, nowSeconds: 1e9))
        #expect(rule.nextDueSeconds(firing) == nil)
        let resolution = Told(deliveredState: .resolved, currentState: .resolved, deliveredAtSeconds: 200)
        #expect(!rule.isDue(resolution, nowSeconds: 259))
        #expect(rule.isDue(resolution, nowSeconds: 260))
        let repeated = Told(deliveredState: .resolved, currentState: .resolved, deliveredAtSeconds: 200, repostedAtSeconds: 260)
        #expect(!rule.isDue(repeated, nowSeconds: 1e9))
        #expect(rule.nextDueSeconds(repeated) == nil)
    }

    @Test func dueExactlyFromItsNextDueTime() async {
        let states = AlertState.allCases
        await propertyCheck(count: 500, input: Gen.int(in: 0...2), Gen.int(in: 0...2), Gen.double(in: 0...1000), Gen.double(in: 0...200).optional, Gen.double(in: 0...2000)) {
            delivered, current, deliveredAt, repostDelay, now in
            let told = Told(deliveredState: states[delivered], currentState: states[current], deliveredAtSeconds: deliveredAt,
                            repostedAtSeconds: repostDelay.map { deliveredAt + $0 })
            if let next = rule.nextDueSeconds(told) {
                #expect(rule.isDue(told, nowSeconds: now) == (now >= next))
            } else {
                #expect(!rule.isDue(told, nowSeconds: now))
            }
        }
    }
}
