import DeliveryProtocol
import PropertyBased
import Testing

@Suite struct CommandDispatchRulesTests {
    typealias Open = CommandDispatchRules.OpenCommand
    let rules = CommandDispatchRules()

    @Test func aNewCommandGoesAtOnceToAConnectedAgentOnly() {
        let open = [Open(commandID: 2, agentID: "a", createdAtSeconds: 100, sentAtSeconds: nil, toldPending: false),
                    Open(commandID: 1, agentID: "b", createdAtSeconds: 100, sentAtSeconds: nil, toldPending: false)]
        #expect(rules.decide(open, connected: ["a"], nowSeconds: 100) == .init(send: [2]))
        #expect(rules.decide(open, connected: ["a", "b"], nowSeconds: 100) == .init(send: [1, 2]))
        #expect(rules.decide(open, connected: [], nowSeconds: 100) == .init())
    }

    @Test func anUnansweredCommandIsSentAgainOnlyAfterTheResendDelay() {
        let open = [Open(commandID: 1, agentID: "a", createdAtSeconds: 100, sentAtSeconds: 100, toldPending: false)]
        #expect(rules.decide(open, connected: ["a"], nowSeconds: 104.9).send.isEmpty)
        #expect(rules.decide(open, connected: ["a"], nowSeconds: 105).send == [1])
    }

    @Test func aStopUnconfirmedForAMinuteIsOverdueOnceWhetherOrNotTheAgentIsHere() {
        var open = [Open(commandID: 1, agentID: "a", createdAtSeconds: 100, sentAtSeconds: 150, toldPending: false)]
        #expect(rules.decide(open, connected: [], nowSeconds: 159.9).overdue.isEmpty)
        #expect(rules.decide(open, connected: [], nowSeconds: 160).overdue == [1])
        open[0].toldPending = true
        #expect(rules.decide(open, connected: ["a"], nowSeconds: 500) == .init(send: [1]))
    }

    @Test func nothingIsSentTwiceInOneDecisionAndEveryConnectedCommandIsSentWithinTheDelay() async {
        await propertyCheck(input: Gen.int(in: 0...40).array(of: 0...12), Gen.int(in: 0...30)) { offsets, now in
            let open = offsets.enumerated().map { index, offset in
                Open(commandID: Int64(index), agentID: index % 2 == 0 ? "a" : "b", createdAtSeconds: 0,
                     sentAtSeconds: offset == 0 ? nil : Double(offset), toldPending: false)
            }
            let decision = rules.decide(open, connected: ["a"], nowSeconds: Double(now) + 40)
            #expect(Set(decision.send).count == decision.send.count)
            #expect(decision.send == decision.send.sorted())
            for command in open where command.agentID == "a" {
                let due = command.sentAtSeconds.map { Double(now) + 40 - $0 >= rules.resendAfterSeconds } ?? true
                #expect(decision.send.contains(command.commandID) == due)
            }
            #expect(!decision.send.contains { open[Int($0)].agentID == "b" })
        }
    }
}
