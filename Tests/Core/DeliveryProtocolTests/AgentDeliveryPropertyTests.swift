import CellModel
import DeliveryProtocol
import PropertyBased
import Testing
import TestSupport
import WireProtocol

/// Properties of the agent's delivery rules for any sequence of events: the credit holds,
/// nothing is freed that was not acknowledged, and a coordinator that eventually behaves gets
/// every delivery, acknowledged exactly once.
struct AgentDeliveryPropertyTests {
    typealias Machine = AgentDeliveryStateMachine<ManualClock>
    static let codes: [Cellfleet_Wire_V1_ErrorCode] = [
        .sequenceGap, .internal, .creditExceeded, .malformed, .unknownTest, .notYourTest, .unstorable, .unspecified, .UNRECOGNIZED(9),
    ]

    /// Checks what a machine did against what it was told, event by event.
    struct Referee {
        var appended: Set<UInt64> = []
        var forgotten: Set<UInt64> = []
        /// Set aside: refused for good, never to be sent again.
        var rejected: Set<UInt64> = []
        var sent: [UInt64] = []
        var violations: [String] = []

        mutating func check(_ event: Machine.Event, _ actions: [Machine.Action], machine: Machine) {
            var acknowledgedNow: Set<UInt64> = []
            if case .acknowledged(let ids, _) = event { acknowledgedNow = Set(ids) }
            if case .appended(let ids, _) = event { appended.formUnion(ids) }
            var refusedForGood: UInt64?
            if case .refused(let code, let id, _, _, _, _) = event, [.malformed, .notYourTest, .unstorable, .unknownTest].contains(code) {
                refusedForGood = id
            }
            for action in actions {
                switch action {
                case .reject(let id, _, _):
                    if refusedForGood != id { violations.append("set \(id) aside without a refusal for good") }
                    if !appended.contains(id) || forgotten.contains(id) { violations.append("set \(id) aside, which is not outstanding") }
                    if !rejected.insert(id).inserted { violations.append("set \(id) aside twice") }
                case .sendDeliveries(let ids):
                    for id in ids where !appended.contains(id) || forgotten.contains(id) || rejected.contains(id) {
                        violations.append("sent \(id), which is not outstanding")
                    }
                    sent += ids
                case .forget(let ids):
                    for id in ids {
                        if !acknowledgedNow.contains(id) { violations.append("forgot \(id) without its acknowledgement") }
                        if !appended.contains(id) { violations.append("forgot \(id), never appended") }
                        if !forgotten.insert(id).inserted { violations.append("forgot \(id) twice") }
                        if rejected.contains(id) { violations.append("forgot \(id), which was set aside") }
                    }
                default:
                    break
                }
            }
            if let credit = machine.credit {
                if machine.inFlightCount > credit { violations.append("\(machine.inFlightCount) in flight beyond the credit \(credit)") }
            } else if machine.inFlightCount != 0 {
                violations.append("\(machine.inFlightCount) in flight while not welcomed")
            }
            if machine.outstanding.count != appended.count - forgotten.count - rejected.count {
                violations.append("\(machine.outstanding.count) outstanding, expected \(appended.count - forgotten.count - rejected.count)")
            }
        }
    }

    /// Any events at all, a hostile coordinator included: acks of unknown, repeated and unsent
    /// ids, refusals of every kind, welcomes of any credit, refused links, time jumps.
    @Test func forAnyEventsTheCreditHoldsAndOnlyAcknowledgedDeliveriesAreFreed() async {
        await propertyCheck(count: 300, input: zip(Gen.int(in: 0...7), Gen.int(in: 0...40)).array(of: 1...150)) { steps in
            let clock = ManualClock()
            var machine = Machine(rules: AgentDeliveryRules(supportedProtocolVersions: 1...1), outstanding: OutstandingDeliveries(), now: clock.now)
            var referee = Referee()
            var nextID: UInt64 = 1
            for (kind, parameter) in steps {
                let now = clock.advance(by: .milliseconds(parameter * 37))
                let event: Machine.Event
                switch kind {
                case 0:
                    let last = nextID + UInt64(parameter % 5)
                    event = .appended(nextID...last, at: now)
                    nextID = last + 1
                case 1:
                    event = .welcomed(credit: UInt32(parameter % 12), protocolVersion: 1, at: now)
                case 2:
                    // Mostly ids that were sent (in any order, repeated), sometimes unknown ones.
                    let ids: [UInt64] = referee.sent.isEmpty || parameter % 4 == 0
                        ? [UInt64(parameter)]
                        : (0...(parameter % 3)).map { referee.sent[(parameter * 7 + $0 * 13) % referee.sent.count] }
                    event = .acknowledged(ids, at: now)
                case 3:
                    let delivery = referee.sent.isEmpty ? UInt64(parameter) : referee.sent[parameter % referee.sent.count]
                    event = .refused(code: Self.codes[parameter % Self.codes.count], deliveryID: delivery, expectedSequence: 0, message: "", at: now)
                case 4:
                    event = .linkRefused(at: now)
                default:
                    event = .tick(at: now, queuedInSocket: parameter % 7 == 0 ? 1 : 0)
                }
                let actions = machine.handle(event)
                referee.check(event, actions, machine: machine)
            }
            #expect(referee.violations.isEmpty, "\(referee.violations.prefix(5))")
        }
    }

    /// A coordinator that, for a while, loses deliveries, refuses them with every error code,
    /// acknowledges late, out of order and twice, and refuses the link — and then behaves.
    /// Every appended delivery ends up acknowledged and freed exactly once — or, refused for
    /// good, set aside exactly once.
    @Test func withACooperativeCoordinatorEveryDeliveryIsAcknowledgedExactlyOnce() async {
        await propertyCheck(count: 200, input: Gen.uint64(in: 0...UInt64.max), Gen.int(in: 1...60), Gen.int(in: 0...300)) { seed, total, faultySteps in
            var random = SplitMix64(state: seed)
            func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
            func pick(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(random.next() % UInt64(range.count)) }

            let clock = ManualClock()
            var machine = Machine(rules: AgentDeliveryRules(supportedProtocolVersions: 1...1), outstanding: OutstandingDeliveries(), now: clock.now)
            var referee = Referee()
            var nextID: UInt64 = 1
            // What the coordinator will send, and when (ms).
            var inbox: [(at: Int, event: (ManualClock.Instant) -> Machine.Event)] = []
            var milliseconds = 0

            func apply(_ event: Machine.Event, faulty: Bool) {
                let actions = machine.handle(event)
                referee.check(event, actions, machine: machine)
                for action in actions {
                    switch action {
                    case .sendHello:
                        if !faulty || chance(80) {
                            let credit = UInt32(pick(1...8))
                            inbox.append((milliseconds + pick(0...300), { .welcomed(credit: credit, protocolVersion: 1, at: $0) }))
                        }
                    case .sendDeliveries(let ids):
                        for id in ids {
                            if faulty && chance(10) { continue }  // lost
                            if faulty && chance(10) {
                                let code = Self.codes[pick(0...(Self.codes.count - 1))]
                                inbox.append((milliseconds + pick(0...200), { .refused(code: code, deliveryID: id, expectedSequence: 0, message: "", at: $0) }))
                                continue
                            }
                            inbox.append((milliseconds + pick(0...400), { .acknowledged([id], at: $0) }))
                            if faulty && chance(5) { inbox.append((milliseconds + pick(0...2000), { .acknowledged([id, id], at: $0) })) }
                        }
                    default:
                        break
                    }
                }
            }

            var step = 0
            while step < 20_000 {
                step += 1
                let faulty = step < faultySteps
                milliseconds += pick(20...150)
                let now = clock.advance(by: .milliseconds(milliseconds) - clock.now.offset)
                if nextID <= UInt64(total), chance(40) {
                    let last = min(UInt64(total), nextID + UInt64(pick(0...2)))
                    apply(.appended(nextID...last, at: now), faulty: faulty)
                    nextID = last + 1
                }
                inbox.sort { $0.at < $1.at }
                while let first = inbox.first, first.at <= milliseconds {
                    inbox.removeFirst()
                    apply(first.event(now), faulty: faulty)
                }
                if faulty && chance(2) { apply(.linkRefused(at: now), faulty: faulty) }
                apply(.tick(at: now, queuedInSocket: 0), faulty: faulty)
                if nextID > UInt64(total) && machine.outstanding.isEmpty { break }
            }
            #expect(referee.violations.isEmpty, "\(referee.violations.prefix(5))")
            #expect(referee.forgotten.union(referee.rejected) == Set(1...UInt64(total)), "after \(step) rounds: \(machine.outstanding.count) still outstanding")
            #expect(referee.forgotten.isDisjoint(with: referee.rejected))
        }
    }
}
