import DeliveryProtocol
import Testing
import TestSupport
import WireProtocol

/// The agent's delivery rules as scripts: at each time (ms), an event and the actions it must
/// give. No socket, no spool, no sleeping.
struct AgentDeliveryStateMachineTests {
    typealias Action = AgentDeliveryScript.Action

    @Test func helloEverySecondUntilWelcomedAndAHeartbeatEverySecond() {
        var agent = AgentDeliveryScript()
        agent.expect(0, .tick(), [.sendHello, .sendHeartbeat])
        agent.expect(100, .tick(), [])
        agent.expect(999, .tick(), [])
        agent.expect(1000, .tick(), [.sendHello, .sendHeartbeat])
        agent.expect(1500, .welcomed(credit: 4), [])
        #expect(agent.machine.isWelcomed && agent.machine.credit == 4)
        agent.expect(2000, .tick(), [.sendHeartbeat])
        agent.expect(2500, .tick(), [])
        agent.expect(3000, .tick(), [.sendHeartbeat])
    }

    @Test func aWelcomeSendsFromTheOldestUnacknowledgedUpToTheCredit() {
        var agent = AgentDeliveryScript(outstanding: 1...10)
        #expect(agent.open(credit: 4) == [.sendDeliveries([1, 2, 3, 4])])
        agent.expect(100, .acked([1, 2]), [.forget([1, 2]), .sendDeliveries([5, 6])])
        // Out of order: 4 before 3.
        agent.expect(200, .acked([4]), [.forget([4]), .sendDeliveries([7])])
        // A repeated welcome (hellos crossed it) starts the window again from the oldest
        // unacknowledged, skipping what was acknowledged out of order.
        agent.expect(300, .welcomed(credit: 4), [
            .wentBack(resumeAt: 3, abandoned: 4, reason: .welcomed), .sendDeliveries([3, 5, 6, 7]),
        ])
        #expect(agent.machine.deliveriesResent == 4)
        #expect(agent.machine.outstanding.count == 7)
    }

    @Test func newlySpooledDeliveriesGoOutOnTheNextTickWithinTheCredit() {
        var agent = AgentDeliveryScript()
        #expect(agent.open(credit: 2) == [])
        // Appending alone sends nothing: the round's rules run on its tick.
        agent.expect(50, .appended(1...3), [])
        agent.expect(100, .tick(), [.sendDeliveries([1, 2])])
        agent.expect(150, .acked([1]), [.forget([1]), .sendDeliveries([3])])
        agent.expect(200, .tick(), [])
        agent.expect(250, .appended(4...4), [])
        agent.expect(300, .tick(), [])  // the window is full
        agent.expect(350, .acked([2, 3]), [.forget([2, 3]), .sendDeliveries([4])])
    }

    @Test func anAcknowledgementTimeoutWithSendsInFlightSaysHelloAgainAndResendsFromTheOldest() {
        var agent = AgentDeliveryScript(outstanding: 1...5)
        #expect(agent.open(credit: 3) == [.sendDeliveries([1, 2, 3])])
        agent.expect(1000, .tick(), [.sendHeartbeat])
        agent.expect(5000, .tick(), [.sendHeartbeat])  // 5 s exactly: not yet
        // Still queued in the socket: the silence is not the coordinator's.
        agent.expect(5100, .tick(queued: 2), [])
        agent.expect(5200, .tick(), [.wentBack(resumeAt: 1, abandoned: 3, reason: .acknowledgementTimeout)])
        #expect(!agent.machine.isWelcomed)
        agent.expect(5300, .tick(), [.sendHello])
        agent.expect(5400, .acked([2]), [.forget([2])])  // a late ack still frees its delivery
        agent.expect(5500, .welcomed(credit: 3), [.sendDeliveries([1, 3, 4])])
        #expect(agent.machine.deliveriesResent == 3)
    }

    @Test func eachAcknowledgementRestartsTheTimeout() {
        var agent = AgentDeliveryScript(outstanding: 1...4)
        #expect(agent.open(credit: 2) == [.sendDeliveries([1, 2])])
        agent.expect(4000, .acked([1]), [.forget([1]), .sendDeliveries([3])])
        agent.expect(9000, .tick(), [.sendHeartbeat])
        agent.expect(9001, .tick(), [.wentBack(resumeAt: 2, abandoned: 2, reason: .acknowledgementTimeout)])
    }

    @Test func theTimeoutCountsFromTheFirstSendOfAnIdleWindow() {
        var agent = AgentDeliveryScript()
        #expect(agent.open(credit: 2) == [])
        agent.expect(3000, .appended(1...1), [])
        agent.expect(3050, .tick(), [.sendHeartbeat, .sendDeliveries([1])])
        agent.expect(8050, .tick(), [.sendHeartbeat])
        agent.expect(8051, .tick(), [.wentBack(resumeAt: 1, abandoned: 1, reason: .acknowledgementTimeout)])
    }

    @Test func aSequenceGapWhileDeliveriesAreOutstandingResendsFromTheOldestAtOnce() {
        var agent = AgentDeliveryScript(outstanding: 1...6)
        #expect(agent.open(credit: 4) == [.sendDeliveries([1, 2, 3, 4])])
        agent.expect(100, .acked([1]), [.forget([1]), .sendDeliveries([5])])
        agent.expect(200, .refused(.sequenceGap, delivery: 3, expectedSequence: 12), [
            .wentBack(resumeAt: 2, abandoned: 4, reason: .sequenceGap),
        ])
        // No back-off and no new hello: the next round sends again.
        agent.expect(300, .tick(), [.sendDeliveries([2, 3, 4, 5])])
        #expect(agent.machine.errorsFromCoordinator == 1)
        #expect(agent.machine.isWelcomed)
    }

    @Test func aWelcomeWithASmallerCreditShrinksTheWindow() {
        var agent = AgentDeliveryScript(outstanding: 1...20)
        #expect(agent.open(credit: 8) == [.sendDeliveries(Array(1...8))])
        agent.expect(100, .welcomed(credit: 3), [.wentBack(resumeAt: 1, abandoned: 8, reason: .welcomed), .sendDeliveries([1, 2, 3])])
        agent.expect(200, .acked([1]), [.forget([1]), .sendDeliveries([4])])
        #expect(agent.machine.inFlightCount == 3)
        agent.expect(300, .tick(), [])
    }

    @Test func aWelcomeWithALargerCreditWidensTheWindow() {
        var agent = AgentDeliveryScript(outstanding: 1...20)
        #expect(agent.open(credit: 2) == [.sendDeliveries([1, 2])])
        agent.expect(100, .acked([1]), [.forget([1]), .sendDeliveries([3])])
        agent.expect(200, .welcomed(credit: 6), [.wentBack(resumeAt: 2, abandoned: 2, reason: .welcomed), .sendDeliveries(Array(2...7))])
        #expect(agent.machine.inFlightCount == 6)
    }

    @Test func theCreditIsTakenWithinOneAndTheMaximum() {
        var rules = AgentDeliveryRules(supportedProtocolVersions: 1...1)
        rules.maximumCredit = 5
        var agent = AgentDeliveryScript(outstanding: 1...9, rules: rules)
        #expect(agent.open(credit: 0) == [.sendDeliveries([1])])
        #expect(agent.machine.credit == 1)
        agent.expect(100, .welcomed(credit: 1_000_000), [.wentBack(resumeAt: 1, abandoned: 1, reason: .welcomed), .sendDeliveries(Array(1...5))])
        #expect(agent.machine.credit == 5)
    }

    @Test func aRefusedLinkAfterAWelcomeIsReopenedAndResendsFromTheOldest() {
        var agent = AgentDeliveryScript(outstanding: 1...3)
        #expect(agent.open(credit: 2) == [.sendDeliveries([1, 2])])
        agent.expect(1900, .acked([1]), [.forget([1]), .sendDeliveries([3])])
        agent.expect(1950, .linkRefused, [])
        // The link was opened at 0: a refusal is acted on 2 s after that at the soonest.
        agent.expect(2000, .tick(), [.sendHeartbeat, .reopenLink, .wentBack(resumeAt: 2, abandoned: 2, reason: .linkReopened)])
        #expect(!agent.machine.isWelcomed)
        agent.expect(2100, .tick(), [.sendHello])
        agent.expect(2200, .welcomed(credit: 2), [.sendDeliveries([2, 3])])
    }

    @Test func refusedLinksAreReopenedAfterTwoFourEightThenTenSecondsUntilAWelcome() {
        var agent = AgentDeliveryScript()
        var reopenedAt: [Int] = []
        // The coordinator refuses every handshake; the agent's monitor says so every 100 ms.
        for ms in stride(from: 0, through: 44_000, by: 100) {
            agent.at(ms, .linkRefused)
            if agent.at(ms, .tick()).contains(.reopenLink) { reopenedAt.append(ms) }
        }
        #expect(reopenedAt == [2000, 6000, 14_000, 24_000, 34_000, 44_000])
        // A welcome resets the back-off: the next refusal waits 2 s again.
        agent.at(44_500, .welcomed(credit: 1))
        agent.at(44_600, .linkRefused)
        #expect(!agent.at(45_999, .tick()).contains(.reopenLink))
        #expect(agent.at(46_000, .tick()).contains(.reopenLink))
    }

    @Test func creditExceededWaitsForTheOutstandingAcksThenResendsWithoutDropping() {
        var agent = AgentDeliveryScript(outstanding: 1...6)
        #expect(agent.open(credit: 4) == [.sendDeliveries([1, 2, 3, 4])])
        agent.expect(100, .refused(.creditExceeded, delivery: 3), [])
        agent.expect(110, .refused(.creditExceeded, delivery: 4), [])
        agent.expect(200, .tick(), [])
        // 1 is acknowledged: room for one, but 2 is still in flight — nothing new yet.
        agent.expect(300, .acked([1]), [.forget([1])])
        agent.expect(350, .tick(), [])
        agent.expect(400, .acked([2]), [
            .forget([2]), .wentBack(resumeAt: 3, abandoned: 2, reason: .creditExceeded), .sendDeliveries([3, 4, 5, 6]),
        ])
        #expect(agent.machine.deliveriesResent == 2)
        #expect(agent.machine.errorsFromCoordinator == 2)
        #expect(agent.machine.outstanding.contains(3) && agent.machine.outstanding.contains(4))
    }

    @Test func creditExceededForTheWholeWindowWaitsForAnAcknowledgementOrTheTimeout() {
        // The coordinator still holds copies of 2 and 3 from before a go-back; its ack of one
        // of them is the sign it has room.
        var agent = AgentDeliveryScript(outstanding: 1...4)
        #expect(agent.open(credit: 2) == [.sendDeliveries([1, 2])])
        agent.expect(100, .acked([1]), [.forget([1]), .sendDeliveries([3])])
        agent.expect(200, .refused(.creditExceeded, delivery: 2), [])
        agent.expect(210, .refused(.creditExceeded, delivery: 3), [])
        agent.expect(300, .tick(), [])
        agent.expect(400, .acked([2]), [.forget([2]), .wentBack(resumeAt: 3, abandoned: 1, reason: .creditExceeded), .sendDeliveries([3, 4])])

        // No acknowledgement at all: the timeout takes over.
        var silent = AgentDeliveryScript(outstanding: 1...2)
        #expect(silent.open(credit: 2) == [.sendDeliveries([1, 2])])
        silent.expect(100, .refused(.creditExceeded, delivery: 1), [])
        silent.expect(110, .refused(.creditExceeded, delivery: 2), [])
        silent.expect(4000, .tick(), [.sendHeartbeat])
        silent.expect(5200, .tick(), [.sendHeartbeat, .wentBack(resumeAt: 1, abandoned: 2, reason: .acknowledgementTimeout)])
        silent.expect(5300, .tick(), [.sendHello])
        silent.expect(5400, .welcomed(credit: 2), [.sendDeliveries([1, 2])])
    }

    @Test func creditExceededForADeliveryNoLongerInFlightChangesNothing() {
        var agent = AgentDeliveryScript(outstanding: 1...3)
        #expect(agent.open(credit: 2) == [.sendDeliveries([1, 2])])
        agent.expect(100, .refused(.creditExceeded, delivery: 9), [])
        agent.expect(200, .acked([1]), [.forget([1]), .sendDeliveries([3])])
    }

    /// Through an outage the socket keeps what it could not send: no hello or heartbeat piles
    /// up behind it, and one hello goes once it is through.
    @Test func anOutageSaysHelloOnceWhenTheLinkIsBack() {
        var agent = AgentDeliveryScript(outstanding: 1...3)
        #expect(agent.at(0, .tick()) == [.sendHello, .sendHeartbeat])
        var hellos = 0
        for second in 1...120 {
            let actions = agent.at(second * 1000, .tick(queued: 2))
            hellos += actions.filter { $0 == .sendHello }.count
            #expect(!actions.contains(.sendHeartbeat))
        }
        #expect(hellos == 0)
        #expect(agent.at(121_000, .tick(queued: 0)) == [.sendHello, .sendHeartbeat])
        #expect(agent.at(121_100, .welcomed(credit: 3)) == [.sendDeliveries([1, 2, 3])])
    }

    /// Refusals a re-send may cure (UNKNOWN_TEST while the test's start is still to be sent).
    static let slowRefusals: [Cellfleet_Wire_V1_ErrorCode] = [.unknownTest, .unspecified, .UNRECOGNIZED(42)]

    /// A refusal for good is set aside at once, not re-sent: the window moves on past it.
    @Test(arguments: [Cellfleet_Wire_V1_ErrorCode.malformed, .notYourTest, .unstorable])
    func aRefusalForGoodSetsTheDeliveryAside(code: Cellfleet_Wire_V1_ErrorCode) {
        var agent = AgentDeliveryScript(outstanding: 1...3)
        #expect(agent.open(credit: 2) == [.sendDeliveries([1, 2])])
        agent.expect(100, .refused(code, delivery: 1, message: "bad"), [.reject(1, code: code, message: "bad"), .sendDeliveries([3])])
        #expect(agent.machine.outstanding.count == 2)
        #expect(agent.machine.deliveriesRejected == 1)
        // A second refusal of a copy sent before changes nothing.
        agent.expect(150, .refused(code, delivery: 1, message: "bad"), [])
        agent.expect(200, .acked([2, 3]), [.forget([2, 3])])
        #expect(agent.machine.outstanding.isEmpty)
    }

    /// UNKNOWN_TEST with nothing older of the test left to send can never be cured: set aside.
    @Test func anUnknownTestWithNothingOlderOfItsTestIsSetAside() {
        var agent = AgentDeliveryScript(outstanding: 1...2)
        #expect(agent.open(credit: 2) == [.sendDeliveries([1, 2])])
        agent.expect(100, .refused(.unknownTest, delivery: 2, earlierOfItsTestHeld: false), [.reject(2, code: .unknownTest, message: "")])
        #expect(agent.machine.outstanding.count == 1)
    }

    /// A gap before a delivery when nothing older of its test is held: declared lost on it and
    /// sent again at once — one refusal, no loop.
    @Test func aGapNothingCanFillIsDeclaredLost() {
        var agent = AgentDeliveryScript(outstanding: 5...6)
        #expect(agent.open(credit: 2) == [.sendDeliveries([5, 6])])
        agent.expect(100, .refused(.sequenceGap, delivery: 5, expectedSequence: 40, earlierOfItsTestHeld: false), [
            .declareLoss(5, fromSequence: 40), .wentBack(resumeAt: 5, abandoned: 2, reason: .sequenceGap),
        ])
        #expect(agent.at(150, .tick()).last == .sendDeliveries([5, 6]))
        #expect(agent.machine.lossesDeclared == 1)
        // With older samples of the test still held, a gap is only a re-send.
        agent.expect(200, .refused(.sequenceGap, delivery: 6, expectedSequence: 41, earlierOfItsTestHeld: true), [
            .wentBack(resumeAt: 5, abandoned: 2, reason: .sequenceGap),
        ])
        #expect(agent.machine.lossesDeclared == 1)
    }

    @Test(arguments: [(Cellfleet_Wire_V1_ErrorCode.internal, 1000)] + slowRefusals.map { ($0, 5000) })
    func eachRefusalBacksOffForItsTime(code: Cellfleet_Wire_V1_ErrorCode, backOffMilliseconds: Int) {
        var agent = AgentDeliveryScript(outstanding: 1...3)
        #expect(agent.open(credit: 2) == [.sendDeliveries([1, 2])])
        agent.expect(100, .refused(code, delivery: 1), [
            .backOff(until: agent.instant(100 + backOffMilliseconds)), .wentBack(resumeAt: 1, abandoned: 2, reason: .refused(code)),
        ])
        let before = agent.at(99 + backOffMilliseconds, .tick())
        #expect(!before.contains { if case .sendDeliveries = $0 { true } else { false } }, "\(before)")
        #expect(!before.contains(.sendHello), "a refusal is not a reason to say hello again")
        let after = agent.at(100 + backOffMilliseconds, .tick())
        #expect(after.last == .sendDeliveries([1, 2]), "\(after)")
        #expect(agent.machine.outstanding.count == 3, "nothing refused is dropped")
    }

    @Test func aBackOffOutlastsAWelcome() {
        var agent = AgentDeliveryScript(outstanding: 1...2)
        #expect(agent.open(credit: 2) == [.sendDeliveries([1, 2])])
        agent.at(100, .refused(.internal, delivery: 1))
        agent.expect(500, .welcomed(credit: 2), [])
        agent.expect(1099, .tick(), [.sendHeartbeat])
        agent.expect(1100, .tick(), [.sendDeliveries([1, 2])])
    }

    @Test func acknowledgementsOfUnknownOrRepeatedDeliveriesFreeNothing() {
        var agent = AgentDeliveryScript(outstanding: 1...3)
        agent.expect(0, .acked([100]), [])  // before anything was sent
        #expect(agent.open(credit: 3, at: 10) == [.sendDeliveries([1, 2, 3])])
        agent.expect(100, .acked([2, 2, 7, 0]), [.forget([2])])
        agent.expect(200, .acked([2]), [])
        agent.expect(300, .acked([1, 3, 3]), [.forget([1, 3])])
        #expect(agent.machine.outstanding.isEmpty)
        agent.expect(400, .acked([1, 2, 3]), [])
        agent.expect(500, .appended(4...4), [])
        agent.expect(600, .tick(), [.sendDeliveries([4])])
    }

    @Test func aWelcomeInAnotherProtocolVersionIsFatal() {
        var agent = AgentDeliveryScript(outstanding: 1...2)
        agent.at(0, .tick())
        agent.expect(10, .welcomed(credit: 4, version: 2), [
            .fail("the coordinator chose protocol version 2, which this agent (1...1) does not speak; upgrade the agent"),
        ])
        #expect(agent.machine.phase == .failed("the coordinator chose protocol version 2, which this agent (1...1) does not speak; upgrade the agent"))
        // A failed agent does nothing more.
        agent.expect(2000, .tick(), [])
        agent.expect(2100, .welcomed(credit: 4, version: 1), [])
        agent.expect(2200, .acked([1]), [])
    }

    @Test func aRefusalOfTheAgentsProtocolVersionsIsFatalWithTheCoordinatorsReason() {
        var agent = AgentDeliveryScript()
        agent.at(0, .tick())
        let actions = agent.at(10, .refused(.unsupportedProtocolVersion, message: "the agent is too new: it speaks protocol 2…3; upgrade the coordinator"))
        #expect(actions == [.fail("the coordinator refused this agent's protocol versions 1...1: the agent is too new: it speaks protocol 2…3; upgrade the coordinator")])
        #expect(!agent.machine.isWelcomed)
    }
}
