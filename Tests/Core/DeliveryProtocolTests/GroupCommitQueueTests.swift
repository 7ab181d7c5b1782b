import DeliveryProtocol
import Foundation
import PropertyBased
import Testing
import WireProtocol

/// What the coordinator holds between reading a delivery and answering it: credit per agent
/// (CREDIT_EXCEEDED beyond it), bounded samples and bytes, coalesced re-sends, fair groups,
/// one outcome per delivery. Scripts of offers, groups and completions; then properties over any
/// interleaving.
struct GroupCommitQueueTests {
    typealias D = IngestDeliveries
    typealias Queue = GroupCommitQueue<String>
    let a = D.testA, b = D.testB

    func ticket(_ admission: Queue.Admission, sourceLocation: SourceLocation = #_sourceLocation) -> Queue.Ticket? {
        if case .accepted(let ticket) = admission { return ticket }
        Issue.record("expected the delivery to be accepted, got \(admission)", sourceLocation: sourceLocation)
        return nil
    }

    func refusal(_ admission: Queue.Admission, sourceLocation: SourceLocation = #_sourceLocation) -> IngestRefusal? {
        if case .refused(let refusal) = admission { return refusal }
        Issue.record("expected a refusal, got \(admission)", sourceLocation: sourceLocation)
        return nil
    }

    @Test func aDeliveryBeyondTheCreditIsRefusedUntilAnAcknowledgementMakesRoom() throws {
        var queue = Queue(limits: IngestLimits(credit: 3))
        for id in 1...3 {
            _ = ticket(queue.offer(D.batch(UInt64(id), test: a, agent: "lab1", first: UInt64(id), count: 1), bytes: 100, replyAddress: "lab1"))
        }
        let over = try #require(refusal(queue.offer(D.batch(4, test: a, agent: "lab1", first: 4, count: 1), bytes: 100, replyAddress: "lab1")))
        #expect(over.code == .creditExceeded)
        #expect(over.message.contains("credit is 3") && over.message.contains("re-send delivery 4"), "\(over.message)")
        #expect(queue.usage(of: "lab1").deliveries == 3)
        // Another agent has its own credit.
        _ = ticket(queue.offer(D.batch(1, test: b, agent: "lab2", first: 1, count: 1), bytes: 100, replyAddress: "lab2"))

        // Being committed still counts; answered does not.
        let group = queue.takeGroup()
        #expect(group.count == 4)
        #expect(refusal(queue.offer(D.batch(4, test: a, agent: "lab1", first: 4, count: 1), bytes: 100, replyAddress: "lab1"))?.code == .creditExceeded)
        #expect(queue.finish(group[0], .committed)?.entry.delivery.deliveryID == 1)
        _ = ticket(queue.offer(D.batch(4, test: a, agent: "lab1", first: 4, count: 1), bytes: 100, replyAddress: "lab1"))
        #expect(queue.usage(of: "lab1").deliveries == 3)
    }

    @Test func anIdenticalReSendOfAHeldDeliveryIsCoalescedNotCountedTwice() throws {
        var queue = Queue(limits: IngestLimits(credit: 2))
        let first = D.batch(1, test: a, agent: "lab1", first: 1, count: 10)
        let held = try #require(ticket(queue.offer(first, bytes: 500, replyAddress: "old-connection")))
        _ = ticket(queue.offer(D.batch(2, test: a, agent: "lab1", first: 11, count: 10), bytes: 500, replyAddress: "old-connection"))
        // The agent timed out waiting and re-sends its whole window, from a new connection:
        // within its credit, as far as it can tell.
        #expect(queue.offer(first, bytes: 500, replyAddress: "new-connection") == .coalesced(held))
        #expect(queue.usage(of: "lab1").deliveries == 2)
        #expect(queue.usage(of: "lab1").bytes == 1000)
        // The held one's outcome answers both, on the connection heard from last — even while
        // it is being committed.
        let group = queue.takeGroup()
        #expect(queue.offer(D.batch(2, test: a, agent: "lab1", first: 11, count: 10), bytes: 500, replyAddress: "newest") == .coalesced(group[1].ticket))
        #expect(group[0].ticket == held)
        #expect(queue.finish(group[0], .committed)?.entry.replyAddress == "new-connection")
        #expect(queue.finish(group[1], .committed)?.entry.replyAddress == "newest")
        // Once answered, the same delivery again is a delivery of its own (it is acknowledged
        // again as a duplicate by the plan).
        _ = ticket(queue.offer(first, bytes: 500, replyAddress: "new-connection"))
    }

    @Test func aDifferentDeliveryUnderAHeldIdIsItsOwnDelivery() {
        var queue = Queue(limits: IngestLimits(credit: 2))
        _ = ticket(queue.offer(D.batch(1, test: a, agent: "lab1", first: 1, count: 10), bytes: 500, replyAddress: "x"))
        // A third-party agent restarted and numbers its deliveries from 1 again, for a new test.
        _ = ticket(queue.offer(D.batch(1, test: b, agent: "lab1", first: 1, count: 10), bytes: 500, replyAddress: "x"))
        #expect(queue.usage(of: "lab1").deliveries == 2)
        #expect(refusal(queue.offer(D.batch(1, test: D.testC, agent: "lab1", first: 1, count: 10), bytes: 500, replyAddress: "x"))?.code == .creditExceeded)
    }

    @Test func anAgentsSamplesAndBytesAreBoundedButALoneLargeBatchAlwaysGoesThrough() {
        var queue = Queue(limits: IngestLimits(credit: 64, agentSamples: 1000, agentBytes: 10_000))
        // Larger than the agent's share, but it holds nothing else: accepted, or it could never
        // be delivered.
        let big = ticket(queue.offer(D.batch(1, test: a, agent: "flood", first: 1, count: 5000), bytes: 80_000, replyAddress: "flood"))
        #expect(refusal(queue.offer(D.batch(2, test: a, agent: "flood", first: 5001, count: 1), bytes: 20, replyAddress: "flood"))?.code == .creditExceeded)
        // Zero-sample deliveries still count their bytes.
        #expect(refusal(queue.offer(D.end(3, test: a, agent: "flood", lastSeq: 5000), bytes: 20, replyAddress: "flood"))?.code == .creditExceeded)
        // Bytes alone bound a second one too.
        _ = ticket(queue.offer(D.batch(1, test: b, agent: "lab2", first: 1, count: 10), bytes: 9000, replyAddress: "lab2"))
        #expect(refusal(queue.offer(D.batch(2, test: b, agent: "lab2", first: 11, count: 10), bytes: 2000, replyAddress: "lab2"))?.code == .creditExceeded)
        for member in queue.takeGroup() { _ = queue.finish(member, .committed) }
        #expect(big != nil && queue.usage(of: "flood").deliveries == 0)
        _ = ticket(queue.offer(D.batch(2, test: a, agent: "flood", first: 5001, count: 1), bytes: 20, replyAddress: "flood"))
    }

    @Test func whenEverythingItMayHoldIsHeldTheCoordinatorStopsReading() throws {
        var queue = Queue(limits: IngestLimits(credit: 64, agentSamples: 10_000, totalSamples: 2500, totalBytes: 1 << 20))
        #expect(queue.hasRoom)
        _ = ticket(queue.offer(D.batch(1, test: a, agent: "lab1", first: 1, count: 1000), bytes: 100, replyAddress: "lab1"))
        _ = ticket(queue.offer(D.batch(1, test: b, agent: "lab2", first: 1, count: 1000), bytes: 100, replyAddress: "lab2"))
        #expect(queue.hasRoom)
        // Nothing is refused for the total: the socket pushes back instead.
        _ = ticket(queue.offer(D.batch(1, test: D.testC, agent: "lab3", first: 1, count: 1000), bytes: 100, replyAddress: "lab3"))
        #expect(!queue.hasRoom)
        #expect(queue.total.samples == 3000 && queue.total.deliveries == 3)
        let group = queue.takeGroup()
        #expect(!queue.hasRoom, "deliveries being committed are still held")
        _ = queue.finish(group[0], .committed)
        #expect(queue.hasRoom)
        #expect(queue.total.samples == 2000)

        var byBytes = Queue(limits: IngestLimits(totalBytes: 1000))
        _ = ticket(byBytes.offer(D.end(1, test: a, agent: "lab1", lastSeq: 0), bytes: 1000, replyAddress: "lab1"))
        #expect(!byBytes.hasRoom)
    }

    @Test func aGroupTakesEachAgentsDeliveriesInOrderUpToTheRowLimit() {
        var queue = Queue(limits: IngestLimits(credit: 64, maximumRowsPerGroup: 100))
        let ids: [UInt64] = [1, 2, 3, 4]
        for id in ids { _ = queue.offer(D.batch(id, test: a, agent: "lab1", first: 1 + (id - 1) * 40, count: 40), bytes: 10, replyAddress: "lab1") }
        _ = queue.offer(D.end(5, test: a, agent: "lab1", lastSeq: 160), bytes: 10, replyAddress: "lab1")
        // 40 + 40 fit, the third would make 120: it waits, and so does everything after it.
        #expect(queue.takeGroup().map(\.delivery.deliveryID) == [1, 2])
        #expect(queue.takeGroup().map(\.delivery.deliveryID) == [3, 4, 5])
        #expect(queue.takeGroup().isEmpty)
        #expect(!queue.hasWaiting)
    }

    /// An agent that went back after an acknowledgement timeout re-sends its window; copies of
    /// deliveries answered meanwhile cross their acks. The agent, freed by those acks, sends new
    /// ones: within its credit as it counts, and as the coordinator must count too.
    @Test func lateCopiesOfAnsweredDeliveriesDoNotCountAgainstTheCredit() throws {
        var queue = Queue(limits: IngestLimits(credit: 4))
        for id in 1...4 as ClosedRange<UInt64> {
            _ = ticket(queue.offer(D.batch(id, test: a, agent: "lab1", first: id, count: 1), bytes: 10, replyAddress: "lab1"))
        }
        for member in queue.takeGroup() { #expect(queue.finish(member, .committed) != nil) }
        // The re-sent window arrives after the acks went out, then four new deliveries.
        for id in 1...8 as ClosedRange<UInt64> {
            _ = ticket(queue.offer(D.batch(id, test: a, agent: "lab1", first: id, count: 1), bytes: 10, replyAddress: "lab1"))
        }
        #expect(queue.usage(of: "lab1").deliveries == 8 && queue.lateCopyCount(of: "lab1") == 4)
        // A fifth new one is beyond the credit, a second copy of a late one is coalesced.
        #expect(refusal(queue.offer(D.batch(9, test: a, agent: "lab1", first: 9, count: 1), bytes: 10, replyAddress: "lab1"))?.code == .creditExceeded)
        #expect(queue.refusalBeforeDecoding(agentID: "lab1", deliveryID: 9, samples: 1, bytes: 10)?.code == .creditExceeded)
        if case .coalesced = queue.offer(D.batch(2, test: a, agent: "lab1", first: 2, count: 1), bytes: 10, replyAddress: "lab1") {} else {
            Issue.record("a held late copy is coalesced")
        }
        for member in queue.takeGroup() { _ = queue.finish(member, .committed) }
        #expect(queue.usage(of: "lab1") == Queue.Usage() && queue.lateCopyCount(of: "lab1") == 0)
        // Only ids answered as committed, and only the most recent `credit` of them: an id
        // refused, or answered long ago, counts again.
        var refusing = Queue(limits: IngestLimits(credit: 2))
        _ = refusing.offer(D.batch(1, test: a, agent: "lab1", first: 1, count: 1), bytes: 10, replyAddress: "lab1")
        for member in refusing.takeGroup() { _ = refusing.finish(member, .refused(.internal, "database down")) }
        for id in 1...2 as ClosedRange<UInt64> {
            _ = ticket(refusing.offer(D.batch(id, test: a, agent: "lab1", first: id, count: 1), bytes: 10, replyAddress: "lab1"))
        }
        #expect(refusing.lateCopyCount(of: "lab1") == 0)
        for member in refusing.takeGroup() { _ = refusing.finish(member, .committed) }
        for id in 3...4 as ClosedRange<UInt64> {
            _ = ticket(refusing.offer(D.batch(id, test: a, agent: "lab1", first: id, count: 1), bytes: 10, replyAddress: "lab1"))
            for member in refusing.takeGroup() { _ = refusing.finish(member, .committed) }
        }
        _ = ticket(refusing.offer(D.batch(1, test: a, agent: "lab1", first: 1, count: 1), bytes: 10, replyAddress: "lab1"))
        _ = ticket(refusing.offer(D.batch(5, test: a, agent: "lab1", first: 5, count: 1), bytes: 10, replyAddress: "lab1"))
        #expect(refusal(refusing.offer(D.batch(6, test: a, agent: "lab1", first: 6, count: 1), bytes: 10, replyAddress: "lab1"))?.code == .creditExceeded,
                "delivery 1 was answered before the last two: not a late copy")
    }

    @Test func aBatchLargerThanAGroupGoesInPartsAndIsAnsweredAfterTheLast() throws {
        var queue = Queue(limits: IngestLimits(credit: 64, maximumRowsPerGroup: 100))
        let whole = D.batch(6, test: b, agent: "lab1", first: 1001, count: 250, temperature: true)
        _ = queue.offer(whole, bytes: 10, replyAddress: "lab1")
        _ = queue.offer(D.batch(7, test: b, agent: "lab1", first: 1251, count: 1), bytes: 10, replyAddress: "lab1")
        var parts: [IngestDelivery] = []
        for expectedFinal in [false, false, true] {
            let group = queue.takeGroup()
            // The last part leaves room for the next delivery.
            #expect(group.map(\.delivery.deliveryID) == (expectedFinal ? [6, 7] : [6]))
            // The next part waits for this one's outcome.
            #expect(expectedFinal || queue.takeGroup().isEmpty)
            #expect(group[0].isFinalPart == expectedFinal)
            parts.append(group[0].delivery)
            let answer = queue.finish(group[0], .committed)
            #expect((answer != nil) == expectedFinal)
            if expectedFinal { #expect(answer?.entry.delivery == whole) }
        }
        // The parts are the batch's rows, in order, with their own sequence numbers.
        #expect(parts.map(\.sampleCount) == [100, 100, 50])
        let sequences = parts.compactMap { part -> UInt64? in if case .batch(let batch) = part.body { return batch.firstSeq }; return nil }
        #expect(sequences == [1001, 1101, 1201])
        let voltages = parts.flatMap { part -> [Double] in if case .batch(let batch) = part.body { return batch.voltageV }; return [] }
        guard case .batch(let original) = whole.body else { return }
        #expect(voltages == original.voltageV)
        #expect(parts.allSatisfy { if case .batch(let batch) = $0.body { return batch.temperatureC.count == $0.sampleCount && batch.deliveryID == 6 }; return false })
    }

    @Test func aRefusedPartAnswersTheWholeBatchAndDropsTheRest() {
        var queue = Queue(limits: IngestLimits(credit: 64, maximumRowsPerGroup: 100))
        _ = queue.offer(D.batch(6, test: b, agent: "lab1", first: 1, count: 250), bytes: 10, replyAddress: "lab1")
        _ = queue.offer(D.batch(7, test: b, agent: "lab1", first: 251, count: 1), bytes: 10, replyAddress: "lab1")
        let first = queue.takeGroup()
        #expect(queue.finish(first[0], .committed) == nil)
        let second = queue.takeGroup()
        let answer = queue.finish(second[0], .refused(.internal, "could not commit"))
        #expect(answer?.entry.delivery.deliveryID == 6)
        #expect(answer?.outcome == .refused(.internal, "could not commit"))
        #expect(queue.finish(second[0], .committed) == nil)
        #expect(queue.usage(of: "lab1").deliveries == 1)
        #expect(queue.takeGroup().map(\.delivery.deliveryID) == [7])
    }

    @Test func anAgentWithADeepQueueOfLargeBatchesDelaysAnotherByAtMostOneGroup() {
        var queue = Queue(limits: IngestLimits(credit: 64, agentSamples: 10_000_000, maximumRowsPerGroup: 20_000))
        for id in 1...10 as ClosedRange<UInt64> {
            _ = queue.offer(D.batch(id, test: a, agent: "flood", first: 1 + (id - 1) * 100_000, count: 100_000), bytes: 10, replyAddress: "flood")
        }
        for id in 1...8 as ClosedRange<UInt64> {
            _ = queue.offer(D.batch(id, test: b, agent: "good", first: 1 + (id - 1) * 5000, count: 5000), bytes: 10, replyAddress: "good")
        }
        var groups: [[String]] = []
        for _ in 0..<7 {
            let group = queue.takeGroup()
            groups.append(group.map { "\($0.delivery.agentID)#\($0.delivery.deliveryID):\($0.delivery.sampleCount)" })
            for member in group { _ = queue.finish(member, .committed) }
        }
        // The flood's batches go a group-sized part at a time, the good agent's in between.
        #expect(groups == [
            ["flood#1:20000"],
            ["good#1:5000", "good#2:5000", "good#3:5000", "good#4:5000"],
            ["flood#1:20000"],
            ["good#5:5000", "good#6:5000", "good#7:5000", "good#8:5000"],
            ["flood#1:20000"],
            ["flood#1:20000"],
            ["flood#1:20000"],
        ])
        #expect(queue.usage(of: "flood").deliveries == 9)
    }

    @Test func agentsTakeTurnsWithinAGroup() {
        var queue = Queue(limits: IngestLimits(credit: 64, maximumRowsPerGroup: 50))
        for id in 1...3 as ClosedRange<UInt64> {
            _ = queue.offer(D.batch(id, test: a, agent: "lab1", first: 1 + (id - 1) * 10, count: 10), bytes: 1, replyAddress: "lab1")
            _ = queue.offer(D.batch(id, test: b, agent: "lab2", first: 1 + (id - 1) * 10, count: 10), bytes: 1, replyAddress: "lab2")
        }
        #expect(queue.takeGroup().map { "\($0.delivery.agentID)#\($0.delivery.deliveryID)" } == ["lab1#1", "lab2#1", "lab1#2", "lab2#2", "lab1#3"])
        #expect(queue.takeGroup().map { "\($0.delivery.agentID)#\($0.delivery.deliveryID)" } == ["lab2#3"])
    }

    @Test func aDeliveryIsAnsweredExactlyOnce() throws {
        var queue = Queue(limits: IngestLimits())
        let waiting = try #require(ticket(queue.offer(D.end(1, test: a, agent: "lab1", lastSeq: 0), bytes: 1, replyAddress: "lab1")))
        let group = queue.takeGroup()
        #expect(group.map(\.ticket) == [waiting])
        #expect(queue.committingCount == 1)
        #expect(queue.finish(group[0], .committed) != nil)
        #expect(queue.finish(group[0], .committed) == nil)
        #expect(queue.total == GroupCommitQueue<String>.Usage())
        #expect(queue.committingCount == 0)
    }

    // MARK: properties

    /// Any interleaving of offers (some of them re-sends), groups and outcomes (some of them
    /// refusals, some for parts of batches larger than a group).
    @Test func forAnyInterleavingCreditHoldsAndEveryAcceptedDeliveryGetsOneOutcome() async {
        await propertyCheck(count: 300, input: Gen.uint64().array(of: 1...150)) { script in
            let limits = IngestLimits(credit: 4, agentSamples: 300, agentBytes: 5000, totalSamples: 600, totalBytes: 12_000, maximumRowsPerGroup: 250)
            var queue = Queue(limits: limits)
            let agents = ["lab1", "lab2", "flood"]
            var accepted: [Queue.Ticket: IngestDelivery] = [:]
            var answered: Set<Queue.Ticket> = []
            var committing: [Queue.GroupMember] = []
            var takenOrder: [String: [Queue.Ticket]] = [:]
            var partRows: [Queue.Ticket: [(first: UInt64, count: Int)]] = [:]
            var held: [Queue.Ticket: (delivery: IngestDelivery, bytes: Int)] = [:]

            func check() {
                var sum = Queue.Usage()
                for agent in agents {
                    let usage = queue.usage(of: agent)
                    #expect(usage.deliveries - queue.lateCopyCount(of: agent) <= limits.credit)
                    #expect(queue.lateCopyCount(of: agent) <= limits.credit)
                    #expect(usage.deliveries <= 1 || (usage.samples <= limits.agentSamples && usage.bytes <= limits.agentBytes))
                    let mine = held.values.filter { $0.delivery.agentID == agent }
                    #expect(usage.deliveries == mine.count)
                    #expect(usage.samples == mine.reduce(0) { $0 + $1.delivery.sampleCount })
                    #expect(usage.bytes == mine.reduce(0) { $0 + $1.bytes })
                    sum.deliveries += usage.deliveries
                    sum.samples += usage.samples
                    sum.bytes += usage.bytes
                }
                #expect(queue.total == sum)
            }

            func takeGroup() {
                let group = queue.takeGroup()
                let rows = group.reduce(0) { $0 + $1.delivery.sampleCount }
                #expect(rows <= limits.maximumRowsPerGroup)
                #expect(Set(group.map(\.ticket)).count == group.count, "one part of a delivery per group")
                for member in group {
                    #expect(held[member.ticket] != nil)
                    #expect(!committing.contains { $0.ticket == member.ticket })
                    takenOrder[member.delivery.agentID, default: []].append(member.ticket)
                    if case .batch(let batch) = member.delivery.body {
                        partRows[member.ticket, default: []].append((batch.firstSeq, member.delivery.sampleCount))
                    }
                }
                committing += group
            }

            func finish(_ member: Queue.GroupMember, _ outcome: IngestOutcome) {
                let answer = queue.finish(member, outcome)
                if case .committed = outcome, !member.isFinalPart {
                    #expect(answer == nil)
                    return
                }
                #expect(answer?.entry.delivery == accepted[member.ticket])
                #expect(answer?.outcome == outcome)
                #expect(answered.insert(member.ticket).inserted, "answered twice")
                held[member.ticket] = nil
                #expect(queue.finish(member, outcome) == nil)
                // A delivery answered as committed went in consecutive parts covering all its rows.
                if case .committed = outcome, case .batch(let batch)? = accepted[member.ticket]?.body {
                    var next = batch.firstSeq
                    for part in partRows[member.ticket] ?? [] {
                        #expect(part.first == next)
                        next += UInt64(part.count)
                    }
                    #expect(next == batch.firstSeq + UInt64(batch.testTimeS.count))
                }
            }

            for step in script {
                var code = step
                func take(_ n: UInt64) -> UInt64 { defer { code /= n }; return code % n }
                switch take(10) {
                case 0...5:
                    let agent = agents[Int(take(3))]
                    let id = 1 + take(6)
                    // The same id always carries the same samples, as an agent's spool does;
                    // the flood's are larger than a group.
                    let count = agent == "flood" ? 600 : Int(id * 10)
                    let delivery = D.batch(id, test: agent == "lab2" ? b : a, agent: agent, first: 1 + (id - 1) * 1000, count: count)
                    let bytes = count * 8
                    let wasHeld = held.first { $0.value.delivery == delivery }?.key
                    switch queue.offer(delivery, bytes: bytes, replyAddress: agent) {
                    case .accepted(let ticket):
                        #expect(wasHeld == nil)
                        #expect(accepted[ticket] == nil)
                        accepted[ticket] = delivery
                        held[ticket] = (delivery, bytes)
                    case .coalesced(let ticket):
                        #expect(ticket == wasHeld)
                    case .refused(let refusal):
                        #expect(wasHeld == nil)
                        #expect(refusal.code == .creditExceeded)
                        let usage = queue.usage(of: agent)
                        #expect(usage.deliveries >= limits.credit || usage.samples + count > limits.agentSamples || usage.bytes + bytes > limits.agentBytes)
                    }
                case 6...7:
                    takeGroup()
                default:
                    guard !committing.isEmpty else { continue }
                    let member = committing.remove(at: Int(take(UInt64(committing.count))))
                    finish(member, take(5) == 0 ? .refused(.internal, "could not commit") : .committed)
                }
                check()
            }
            // Drain: everything accepted is answered, exactly once.
            while true {
                takeGroup()
                if committing.isEmpty { break }
                for member in committing { finish(member, .committed) }
                committing = []
                check()
            }
            #expect(answered == Set(accepted.keys))
            #expect(queue.total == Queue.Usage())
            #expect(!queue.hasWaiting)
            // Each agent's deliveries went into groups in the order they were accepted.
            for (_, tickets) in takenOrder { #expect(tickets == tickets.sorted()) }
        }
    }
}
