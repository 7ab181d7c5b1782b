import DeliveryProtocol
import Foundation
import PropertyBased
import Testing
import WireProtocol

/// The coordinator's ingest decisions, without a database: what a group commit stores,
/// acknowledges and refuses, given the locked high-water marks. (The same rules through a real
/// coordinator and PostgreSQL: `IntegrationTests.ProtocolMisbehaviourTests`.)
struct IngestPlannerTests {
    typealias D = IngestDeliveries
    let a = D.testA, b = D.testB

    @Test func aFreshTestIsStartedAndItsSamplesAreCopiedInOrder() {
        let group = [
            D.start(1, test: a, agent: "lab1"),
            D.batch(2, test: a, agent: "lab1", first: 1, count: 100),
            D.batch(3, test: a, agent: "lab1", first: 101, count: 50),
            D.end(4, test: a, agent: "lab1", lastSeq: 150),
        ]
        let planner = IngestPlanner(deliveries: group)
        #expect(planner.startsToRecord == [0])
        #expect(planner.testsToLock == [a])
        // The executor inserted the start; the lock sees it with mark 0.
        let plan = planner.plan(marks: [a: TestMark(committedSequence: 0, ownerAgentID: "lab1")])
        #expect(plan.outcomes == Array(repeating: .committed, count: 4))
        #expect(plan.rows == [
            IngestPlan.Rows(delivery: 1, testID: a, skip: 0, count: 100, firstSequence: 1),
            IngestPlan.Rows(delivery: 2, testID: a, skip: 0, count: 50, firstSequence: 101),
        ])
        #expect(plan.advancedMarks == [a: 150])
        #expect(plan.endsToRecord == [3])
        #expect(plan.samplesCommitted == 150)
        #expect(plan.samplesDuplicate == 0)
    }

    @Test func aReDeliveryHoweverReBatchedIsAcknowledgedButStoredOnce() {
        let mark = [a: TestMark(committedSequence: 100, ownerAgentID: "lab1")]
        // 51…200 overlaps the stored 1…100; the very same batch again is all duplicate.
        let plan = IngestPlanner(deliveries: [
            D.batch(7, test: a, agent: "lab1", first: 51, count: 150),
            D.batch(7, test: a, agent: "lab1", first: 51, count: 150),
            D.batch(8, test: a, agent: "lab1", first: 1, count: 20),
        ]).plan(marks: mark)
        #expect(plan.outcomes == [.committed, .committed, .committed])
        #expect(plan.rows == [IngestPlan.Rows(delivery: 0, testID: a, skip: 50, count: 100, firstSequence: 101)])
        #expect(plan.samplesCommitted == 100)
        #expect(plan.samplesDuplicate == 50 + 150 + 20)
        #expect(plan.advancedMarks == [a: 200])
    }

    @Test func aGapIsRefusedWithTheExpectedSequence() {
        let plan = IngestPlanner(deliveries: [D.batch(3, test: a, agent: "lab1", first: 151, count: 50)])
            .plan(marks: [a: TestMark(committedSequence: 100, ownerAgentID: "lab1")])
        #expect(plan.outcomes == [.refused(.sequenceGap, "batch starts at 151 but 101 is next", expectedSequence: 101)])
        #expect(plan.rows.isEmpty)
        #expect(plan.advancedMarks.isEmpty)
    }

    @Test func aLaterDeliveryInTheGroupBuildsOnAnEarlierOnesNewMark() {
        // 101…150 closes the gap 151… would otherwise be; the gap refusal of 301… expects 201.
        let plan = IngestPlanner(deliveries: [
            D.batch(1, test: a, agent: "lab1", first: 101, count: 50),
            D.batch(2, test: a, agent: "lab1", first: 151, count: 50),
            D.batch(3, test: a, agent: "lab1", first: 301, count: 5),
        ]).plan(marks: [a: TestMark(committedSequence: 100, ownerAgentID: "lab1")])
        #expect(plan.outcomes[0] == .committed)
        #expect(plan.outcomes[1] == .committed)
        #expect(plan.outcomes[2] == .refused(.sequenceGap, "batch starts at 301 but 201 is next", expectedSequence: 201))
        #expect(plan.advancedMarks == [a: 200])
        #expect(plan.rows.map(\.firstSequence) == [101, 151])
    }

    @Test func anotherAgentsTestIsNotYoursAndANeverStartedTestIsUnknown() {
        let group = [
            D.start(1, test: b, agent: "intruder", claiming: "lab1"),  // a start on behalf of another agent
            D.batch(2, test: a, agent: "intruder", first: 101, count: 10),  // samples into lab1's test
            D.end(3, test: a, agent: "intruder", lastSeq: 110),
            D.batch(4, test: D.testC, agent: "intruder", first: 1, count: 10),  // a test never started
            D.start(5, test: a, agent: "intruder"),  // claims lab1's existing test as its own
        ]
        let planner = IngestPlanner(deliveries: group)
        // The start naming another agent is refused before anything is written; the honest one
        // is inserted (ON CONFLICT DO NOTHING), and the lock then shows its real owner.
        #expect(planner.startsToRecord == [4])
        #expect(planner.testsToLock == [a, b, D.testC].sorted { $0.uuidString < $1.uuidString })
        let plan = planner.plan(marks: [a: TestMark(committedSequence: 100, ownerAgentID: "lab1")])
        #expect(plan.outcomes == [
            .refused(.notYourTest, "a test start for agent 'lab1' sent by agent 'intruder'"),
            .refused(.notYourTest, "test \(a.uuidString.lowercased()) belongs to another agent"),
            .refused(.notYourTest, "test \(a.uuidString.lowercased()) belongs to another agent"),
            .refused(.unknownTest, "test \(D.testC.uuidString.lowercased()) has not been started"),
            .refused(.notYourTest, "test \(a.uuidString.lowercased()) belongs to another agent"),
        ])
        #expect(plan.rows.isEmpty && plan.endsToRecord.isEmpty && plan.advancedMarks.isEmpty)
    }

    @Test func aSourceQuarantineIsRecordedForItsOwnAgentOnlyAndLocksNoTest() {
        let group = [
            D.batch(1, test: a, agent: "lab1", first: 101, count: 10),
            // Naming a test (lab1's own, or none) locks nothing and cannot be refused for its test.
            D.quarantine(2, agent: "lab1", file: "land/a.xlsx", test: a),
            D.quarantine(3, agent: "lab1", file: "land/b.xlsx"),
            D.quarantine(4, agent: "lab1", file: "land/c.xlsx", test: D.testC),  // a test never started
            D.quarantine(5, agent: "intruder", file: "land/a.xlsx", claiming: "lab1"),
        ]
        let planner = IngestPlanner(deliveries: group)
        #expect(planner.testsToLock == [a])
        #expect(planner.startsToRecord.isEmpty)
        let plan = planner.plan(marks: [a: TestMark(committedSequence: 100, ownerAgentID: "lab1")])
        #expect(plan.outcomes == [
            .committed, .committed, .committed, .committed,
            .refused(.notYourTest, "a source quarantine for agent 'lab1' sent by agent 'intruder'"),
        ])
        #expect(plan.quarantinesToRecord == [1, 2, 3])
        #expect(plan.rows == [IngestPlan.Rows(delivery: 0, testID: a, skip: 0, count: 10, firstSequence: 101)])
        #expect(plan.advancedMarks == [a: 110])
        #expect(plan.endsToRecord.isEmpty)
    }

    @Test func aGroupOfOnlyQuarantinesLocksNothing() {
        let planner = IngestPlanner(deliveries: [D.quarantine(9, agent: "lab1", file: "x.mpt")])
        #expect(planner.testsToLock.isEmpty)
        let plan = planner.plan(marks: [:])
        #expect(plan.outcomes == [.committed])
        #expect(plan.quarantinesToRecord == [0])
        #expect(plan.samplesCommitted == 0 && plan.rows.isEmpty)
    }

    @Test func rowsByTestKeepEachTestsSequenceOrderAcrossInterleavedAgents() {
        let plan = IngestPlanner(deliveries: [
            D.batch(1, test: a, agent: "lab1", first: 1, count: 10),
            D.batch(1, test: b, agent: "lab2", first: 1, count: 5),
            D.batch(2, test: a, agent: "lab1", first: 11, count: 10),
            D.batch(2, test: b, agent: "lab2", first: 6, count: 5),
        ]).plan(marks: [a: TestMark(committedSequence: 0, ownerAgentID: "lab1"), b: TestMark(committedSequence: 0, ownerAgentID: "lab2")])
        let byTest = plan.rowsByTest
        #expect(byTest.map(\.testID) == [a, b])
        #expect(byTest[0].rows.map(\.firstSequence) == [1, 11])
        #expect(byTest[1].rows.map(\.firstSequence) == [1, 6])
    }

    // MARK: properties

    /// Per sample, the rules as a newcomer would state them: starts by their own agent create a
    /// test; a delivery for a missing test is unknown, for another agent's test not yours; a
    /// batch must begin at or below mark + 1, and only its samples above the mark are stored.
    struct Model {
        var marks: [UUID: TestMark]
        var outcomes: [IngestOutcome.Kind] = []
        var stored: [(delivery: Int, sequence: Int64)] = []
        var duplicates = 0
        var losses: [(delivery: Int, first: Int64, last: Int64)] = []

        init(marks: [UUID: TestMark], deliveries: [IngestDelivery]) {
            self.marks = marks
            for delivery in deliveries {
                if case .start(let start) = delivery.body, start.agentID == delivery.agentID, let test = delivery.testID, self.marks[test] == nil {
                    self.marks[test] = TestMark(committedSequence: 0, ownerAgentID: delivery.agentID)
                }
            }
            for (index, delivery) in deliveries.enumerated() {
                if case .start(let start) = delivery.body, start.agentID != delivery.agentID {
                    outcomes.append(.refused(.notYourTest))
                    continue
                }
                // A quarantine is its own agent's to report, whatever test it names.
                if case .quarantine(let quarantine) = delivery.body {
                    outcomes.append(quarantine.agentID == delivery.agentID ? .committed : .refused(.notYourTest))
                    continue
                }
                guard let test = delivery.testID, let mark = self.marks[test] else { outcomes.append(.refused(.unknownTest)); continue }
                guard mark.ownerAgentID == delivery.agentID else { outcomes.append(.refused(.notYourTest)); continue }
                // An end closes the test where its samples end, or declares the rest lost.
                if case .end(let end) = delivery.body {
                    let last = Int64(end.lastSeq)
                    if last > mark.committedSequence {
                        guard end.lostFromSeq != 0, Int64(end.lostFromSeq) <= mark.committedSequence + 1 else {
                            outcomes.append(.refused(.sequenceGap))
                            continue
                        }
                        losses.append((index, mark.committedSequence + 1, last))
                        self.marks[test]!.committedSequence = last
                    } else if last < mark.committedSequence {
                        outcomes.append(.refused(.malformed))
                        continue
                    }
                    self.marks[test]!.endedAtSequence = last
                    outcomes.append(.committed)
                    continue
                }
                guard case .batch(let batch) = delivery.body else { outcomes.append(.committed); continue }
                var base = mark.committedSequence
                var loss: (Int, Int64, Int64)?
                if Int64(batch.firstSeq) > mark.committedSequence + 1 {
                    guard batch.lostFromSeq != 0, Int64(batch.lostFromSeq) <= mark.committedSequence + 1 else {
                        outcomes.append(.refused(.sequenceGap))
                        continue
                    }
                    loss = (index, mark.committedSequence + 1, Int64(batch.firstSeq) - 1)
                    base = Int64(batch.firstSeq) - 1
                }
                let last = Int64(batch.firstSeq) + Int64(batch.testTimeS.count) - 1
                if last > base, let end = mark.endedAtSequence, last > end {
                    outcomes.append(.refused(.malformed))
                    continue
                }
                if let loss {
                    losses.append(loss)
                    self.marks[test]!.committedSequence = base
                }
                outcomes.append(.committed)
                for offset in 0..<batch.testTimeS.count {
                    let sequence = Int64(batch.firstSeq) + Int64(offset)
                    if sequence <= self.marks[test]!.committedSequence {
                        duplicates += 1
                    } else {
                        stored.append((index, sequence))
                        self.marks[test]!.committedSequence = sequence
                    }
                }
            }
        }
    }

    static let agents = ["lab1", "lab2"]
    static let tests = [IngestDeliveries.testA, IngestDeliveries.testB, IngestDeliveries.testC]

    /// One delivery from a number: who sends it, for which test, what it is.
    static func delivery(_ code: UInt64, id: UInt64) -> IngestDelivery {
        var code = code
        func take(_ n: UInt64) -> UInt64 { defer { code /= n }; return code % n }
        let agent = agents[Int(take(2))]
        let test = tests[Int(take(3))]
        switch take(10) {
        case 0: return D.start(id, test: test, agent: agent, claiming: agents[Int(take(2))])
        case 1: return declaringLoss(D.end(id, test: test, agent: agent, lastSeq: take(40)), from: take(3) == 0 ? 1 + take(40) : 0)
        case 2: return D.quarantine(id, agent: agent, file: "f\(take(3)).mpt", test: take(2) == 0 ? nil : test, claiming: agents[Int(take(2))])
        default: return declaringLoss(D.batch(id, test: test, agent: agent, first: 1 + take(40), count: 1 + Int(take(12))), from: take(4) == 0 ? 1 + take(40) : 0)
        }
    }

    /// The delivery declaring its test's samples from `from` lost (0: declaring nothing).
    static func declaringLoss(_ delivery: IngestDelivery, from: UInt64, reason: String = "") -> IngestDelivery {
        var delivery = delivery
        switch delivery.body {
        case .batch(var batch):
            batch.lostFromSeq = from
            batch.lostReason = reason
            delivery.body = .batch(batch)
        case .end(var end):
            end.lostFromSeq = from
            end.lostReason = reason
            delivery.body = .end(end)
        default: break
        }
        return delivery
    }

    /// Marks before the group: each test absent, or at some mark owned by some agent.
    static func marks(_ code: UInt64) -> [UUID: TestMark] {
        var code = code
        var marks: [UUID: TestMark] = [:]
        for test in tests {
            defer { code /= 64 }
            guard code % 64 >= 16 else { continue }
            marks[test] = TestMark(committedSequence: Int64(code % 64 - 16), ownerAgentID: agents[Int(code % 2)])
        }
        return marks
    }

    @Test func plansEqualTheSimpleModel() async {
        await propertyCheck(count: 300, input: Gen.uint64().array(of: 1...40), Gen.uint64()) { codes, markCode in
            let deliveries = codes.enumerated().map { Self.delivery($0.element, id: UInt64($0.offset + 1)) }
            let initial = Self.marks(markCode)
            let planner = IngestPlanner(deliveries: deliveries)
            // What the executor does: insert the honest starts (a test already there is kept).
            var locked = initial
            for index in planner.startsToRecord {
                guard let test = deliveries[index].testID, locked[test] == nil else { continue }
                locked[test] = TestMark(committedSequence: 0, ownerAgentID: deliveries[index].agentID)
            }
            #expect(Set(planner.testsToLock) == Set(deliveries.compactMap(\.testID)))
            let plan = planner.plan(marks: locked)
            let model = Model(marks: initial, deliveries: deliveries)

            #expect(plan.outcomes.map(\.kind) == model.outcomes)
            let planned = plan.rows.flatMap { rows in (0..<rows.count).map { (rows.delivery, rows.firstSequence + Int64($0)) } }
            #expect(planned.map(\.0) == model.stored.map(\.delivery))
            #expect(planned.map(\.1) == model.stored.map(\.sequence))
            #expect(plan.samplesCommitted == model.stored.count)
            #expect(plan.samplesDuplicate == model.duplicates)
            #expect(plan.losses.map { [Int64($0.delivery), $0.firstSequence, $0.lastSequence] } == model.losses.map { [Int64($0.delivery), $0.first, $0.last] })
            for (test, mark) in model.marks where mark.committedSequence != locked[test]?.committedSequence {
                #expect(plan.advancedMarks[test] == mark.committedSequence)
            }
            #expect(plan.advancedMarks.count == model.marks.filter { $0.value.committedSequence != locked[$0.key]?.committedSequence }.count)
            // Every refused gap says where to resume.
            for (index, outcome) in plan.outcomes.enumerated() {
                if case .refused(let refusal) = outcome, refusal.code == .sequenceGap {
                    guard case .batch(let batch) = deliveries[index].body else { continue }
                    #expect(refusal.expectedSequence >= 1 && refusal.expectedSequence < batch.firstSeq)
                }
            }
        }
    }

    /// However an agent's samples are re-batched and re-sent, group after group, each sequence
    /// number is stored exactly once, without holes, and only gaps are refused.
    @Test func reDeliveriesNeverProduceRowsTwice() async {
        await propertyCheck(count: 200, input: Gen.uint64().array(of: 1...60), Gen.int(in: 1...8)) { codes, groupSize in
            var mark = TestMark(committedSequence: 0, ownerAgentID: "lab1")
            var stored: [Int64] = []
            let deliveries = codes.enumerated().map { offset, code in
                // Batches anywhere from 1 to 30 starting at most a little beyond what is stored.
                D.batch(UInt64(offset + 1), test: a, agent: "lab1", first: 1 + code % 30, count: 1 + Int((code / 30) % 15))
            }
            for group in stride(from: 0, to: deliveries.count, by: groupSize).map({ Array(deliveries[$0..<min($0 + groupSize, deliveries.count)]) }) {
                let plan = IngestPlanner(deliveries: group).plan(marks: [a: mark])
                for rows in plan.rows { stored += (0..<rows.count).map { rows.firstSequence + Int64($0) } }
                if let advanced = plan.advancedMarks[a] { mark.committedSequence = advanced }
                for (delivery, outcome) in zip(group, plan.outcomes) {
                    guard case .refused(let refusal) = outcome else { continue }
                    #expect(refusal.code == .sequenceGap)
                    guard case .batch(let batch) = delivery.body else { continue }
                    #expect(batch.firstSeq > refusal.expectedSequence)
                }
            }
            #expect(stored == (0..<stored.count).map { Int64($0) + 1 })
            #expect(Int64(stored.count) == mark.committedSequence)
        }
    }
}

extension IngestOutcome {
    /// The outcome without its message, for comparing with the model.
    enum Kind: Equatable {
        case committed
        case refused(Cellfleet_Wire_V1_ErrorCode)
    }

    var kind: Kind {
        switch self {
        case .committed: .committed
        case .refused(let refusal): .refused(refusal.code)
        }
    }
}
