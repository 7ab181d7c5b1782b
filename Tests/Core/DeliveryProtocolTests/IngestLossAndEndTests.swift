import DeliveryProtocol
import Foundation
import Testing
import WireProtocol

/// Declared losses, the checks of a test's end, and the plausibility of sample times: what the
/// planner decides, without a database (through a real coordinator: `SpoolDamageEndToEndTests`,
/// `ProtocolMisbehaviourTests`).
struct IngestLossAndEndTests {
    typealias D = IngestDeliveries
    let a = D.testA

    func declaring(_ delivery: IngestDelivery, from: UInt64, reason: String = "spool damaged") -> IngestDelivery {
        IngestPlannerTests.declaringLoss(delivery, from: from, reason: reason)
    }

    @Test func aBatchDeclaringTheSamplesBeforeItLostRecordsTheHoleAndIsStored() {
        let plan = IngestPlanner(deliveries: [declaring(D.batch(9, test: a, agent: "lab1", first: 151, count: 50), from: 101)])
            .plan(marks: [a: TestMark(committedSequence: 100, ownerAgentID: "lab1")])
        #expect(plan.outcomes == [.committed])
        #expect(plan.losses == [IngestPlan.Loss(delivery: 0, testID: a, firstSequence: 101, lastSequence: 150, reason: "spool damaged")])
        #expect(plan.rows == [IngestPlan.Rows(delivery: 0, testID: a, skip: 0, count: 50, firstSequence: 151)])
        #expect(plan.advancedMarks == [a: 200])
    }

    @Test func onlyWhatTheCoordinatorLacksIsLost() {
        // Declared from 90, but 1…120 are stored: 121…150 are the hole.
        let plan = IngestPlanner(deliveries: [declaring(D.batch(9, test: a, agent: "lab1", first: 151, count: 10), from: 90)])
            .plan(marks: [a: TestMark(committedSequence: 120, ownerAgentID: "lab1")])
        #expect(plan.losses.map { [$0.firstSequence, $0.lastSequence] } == [[121, 150]])
        // A declaration the coordinator does not need (nothing is missing) records nothing.
        let none = IngestPlanner(deliveries: [declaring(D.batch(9, test: a, agent: "lab1", first: 121, count: 10), from: 90)])
            .plan(marks: [a: TestMark(committedSequence: 120, ownerAgentID: "lab1")])
        #expect(none.losses.isEmpty)
        #expect(none.outcomes == [.committed])
    }

    @Test func aDeclarationThatStartsBeyondTheMarkIsStillAGap() {
        // Samples 101…119 are neither stored nor declared lost: the agent must send or declare them.
        let plan = IngestPlanner(deliveries: [declaring(D.batch(9, test: a, agent: "lab1", first: 151, count: 10), from: 120)])
            .plan(marks: [a: TestMark(committedSequence: 100, ownerAgentID: "lab1")])
        #expect(plan.outcomes == [.refused(.sequenceGap, "batch starts at 151 but 101 is next", expectedSequence: 101)])
        #expect(plan.losses.isEmpty)
        #expect(plan.advancedMarks.isEmpty)
    }

    @Test func aTestEndMustCloseTheTestWhereItsSamplesEnd() {
        let mark = [a: TestMark(committedSequence: 100, ownerAgentID: "lab1")]
        let beyond = IngestPlanner(deliveries: [D.end(5, test: a, agent: "lab1", lastSeq: 150)]).plan(marks: mark)
        #expect(beyond.outcomes.first?.refusal?.code == .sequenceGap)
        #expect(beyond.outcomes.first?.refusal?.expectedSequence == 101)
        #expect(beyond.endsToRecord.isEmpty)
        let below = IngestPlanner(deliveries: [D.end(5, test: a, agent: "lab1", lastSeq: 90)]).plan(marks: mark)
        #expect(below.outcomes.first?.refusal?.code == .malformed)
        let exact = IngestPlanner(deliveries: [D.end(5, test: a, agent: "lab1", lastSeq: 100)]).plan(marks: mark)
        #expect(exact.outcomes == [.committed])
        #expect(exact.endsToRecord == [0])
        // Its last samples declared lost: the hole, the end, and the mark at the end.
        let lost = IngestPlanner(deliveries: [declaring(D.end(5, test: a, agent: "lab1", lastSeq: 150), from: 101)]).plan(marks: mark)
        #expect(lost.outcomes == [.committed])
        #expect(lost.losses.map { [$0.firstSequence, $0.lastSequence] } == [[101, 150]])
        #expect(lost.endsToRecord == [0])
        #expect(lost.advancedMarks == [a: 150])
    }

    @Test func samplesAfterATestsEndAreRefusedButItsOwnAreStillAcknowledged() {
        let ended = [a: TestMark(committedSequence: 100, ownerAgentID: "lab1", endedAtSequence: 100)]
        let after = IngestPlanner(deliveries: [D.batch(6, test: a, agent: "lab1", first: 101, count: 10)]).plan(marks: ended)
        #expect(after.outcomes.first?.refusal?.code == .malformed)
        #expect(after.rows.isEmpty)
        let again = IngestPlanner(deliveries: [D.batch(4, test: a, agent: "lab1", first: 91, count: 10)]).plan(marks: ended)
        #expect(again.outcomes == [.committed])
        #expect(again.samplesDuplicate == 10)
        // In one group: an end, then samples beyond it.
        let group = IngestPlanner(deliveries: [
            D.end(5, test: a, agent: "lab1", lastSeq: 100), D.batch(6, test: a, agent: "lab1", first: 101, count: 10),
        ]).plan(marks: [a: TestMark(committedSequence: 100, ownerAgentID: "lab1")])
        #expect(group.outcomes.map { $0.refusal?.code } == [nil, .malformed])
    }

    @Test func sampleTimesFarFromTheTestAreRefusedNamingTheSample() {
        let start = 1_700_000_000.0
        let now = start + 10 * 86_400
        let mark = [a: TestMark(committedSequence: 0, ownerAgentID: "lab1", startUnixTimeSeconds: start)]
        func batch(at times: [Double]) -> IngestDelivery {
            var delivery = D.batch(2, test: a, agent: "lab1", first: 1, count: times.count)
            guard case .batch(var body) = delivery.body else { return delivery }
            body.unixTimeS = times
            delivery.body = .batch(body)
            return delivery
        }
        let fine = IngestPlanner(deliveries: [batch(at: [start - 3600, start, now + 6 * 86_400])]).plan(marks: mark, nowUnixTimeSeconds: now)
        #expect(fine.outcomes == [.committed])
        // 3 000 days after the start: the poison delivery of issue 17.
        let far = IngestPlanner(deliveries: [batch(at: [start, start + 3_000 * 86_400])]).plan(marks: mark, nowUnixTimeSeconds: now)
        #expect(far.outcomes.first?.refusal?.code == .malformed)
        #expect(far.outcomes.first?.refusal?.message.contains("sample 2 ") == true, "\(far.outcomes)")
        let before = IngestPlanner(deliveries: [batch(at: [start - 2 * 86_400])]).plan(marks: mark, nowUnixTimeSeconds: now)
        #expect(before.outcomes.first?.refusal?.code == .malformed)
        // Back-filled history: a test that started long ago holds samples from then to now.
        let old = [a: TestMark(committedSequence: 0, ownerAgentID: "lab1", startUnixTimeSeconds: start - 3_000 * 86_400)]
        let history = IngestPlanner(deliveries: [batch(at: [start - 3_000 * 86_400, start - 1_000 * 86_400, now])]).plan(marks: old, nowUnixTimeSeconds: now)
        #expect(history.outcomes == [.committed])
        // Rows already stored are not judged again (a re-send after the rule changed).
        let stored = [a: TestMark(committedSequence: 5, ownerAgentID: "lab1", startUnixTimeSeconds: start)]
        let resent = IngestPlanner(deliveries: [batch(at: [start + 9_000 * 86_400])]).plan(marks: stored, nowUnixTimeSeconds: now)
        #expect(resent.outcomes == [.committed])
    }

    @Test func aDeclaredLossRidesOnlyOnTheFirstPartOfASplitBatch() {
        let delivery = declaring(D.batch(9, test: a, agent: "lab1", first: 151, count: 50), from: 101)
        guard case .batch(let first) = delivery.rows(0..<20).body, case .batch(let second) = delivery.rows(20..<50).body else {
            Issue.record("not batches")
            return
        }
        #expect(first.lostFromSeq == 101 && first.lostReason == "spool damaged")
        #expect(second.lostFromSeq == 0 && second.lostReason.isEmpty)
    }
}

extension IngestOutcome {
    var refusal: IngestRefusal? {
        if case .refused(let refusal) = self { return refusal }
        return nil
    }
}

/// The validator's refusals added for issue 17: times, test ends, declarations.
struct DeliveryTimesValidationTests {
    typealias D = IngestDeliveries

    func batch(_ change: (inout Cellfleet_Wire_V1_SampleBatch) -> Void) -> Cellfleet_Wire_V1_SampleBatch {
        guard case .batch(var batch) = D.batch(1, test: D.testA, agent: "lab1", first: 10, count: 5).body else { fatalError() }
        change(&batch)
        return batch
    }

    @Test func anInfiniteTimeIsRefusedNamingItsSample() {
        #expect(DeliveryValidator.validate(batch { _ in }) == nil)
        #expect(DeliveryValidator.validate(batch { $0.unixTimeS[2] = .infinity })?.contains("unix_time_s of sample 12") == true)
        #expect(DeliveryValidator.validate(batch { $0.testTimeS[0] = -.infinity })?.contains("test_time_s of sample 10") == true)
        #expect(DeliveryValidator.validate(batch { $0.unixTimeS[4] = -5 })?.contains("between 1970 and 3000") == true)
        // NaN is unknown, stored as NULL: a measurement, or the date of a row an export left
        // without one (one of the real files the file-source test follows has such a row).
        #expect(DeliveryValidator.validate(batch { $0.voltageV[1] = .nan }) == nil)
        #expect(DeliveryValidator.validate(batch { $0.unixTimeS[4] = .nan }) == nil)
        #expect(DeliveryValidator.validate(batch { $0.unixTimeS = Array(repeating: .nan, count: 5) }) == nil)
    }

    @Test func aDeclarationMustPrecedeItsBatch() {
        #expect(DeliveryValidator.validate(batch { $0.lostFromSeq = 3 }) == nil)
        #expect(DeliveryValidator.validate(batch { $0.lostFromSeq = 10 })?.contains("lost_from_seq") == true)
        #expect(DeliveryValidator.validate(batch { $0.lostFromSeq = 3; $0.lostReason = "a\u{0}b" })?.contains("NUL") == true)
    }

    @Test func aTestEndIsChecked() {
        var end = Cellfleet_Wire_V1_TestEnd()
        end.testID = D.testA.uuidString
        end.lastSeq = 10
        end.endUnixTimeS = 1.7e9
        end.reason = "completed"
        #expect(DeliveryValidator.validate(end) == nil)
        var nan = end
        nan.endUnixTimeS = .nan
        #expect(DeliveryValidator.validate(nan)?.contains("end_unix_time_s") == true)
        var nul = end
        nul.reason = "failed\u{0}"
        #expect(DeliveryValidator.validate(nul)?.contains("reason contains a NUL") == true)
        var long = end
        long.reason = String(repeating: "x", count: 5000)
        #expect(DeliveryValidator.validate(long)?.contains("reason is 5000 bytes") == true)
        var lost = end
        lost.lostFromSeq = 11
        #expect(DeliveryValidator.validate(lost)?.contains("lost_from_seq") == true)
        lost.lostFromSeq = 10
        #expect(DeliveryValidator.validate(lost) == nil)
    }

    @Test func framesAreBoundedPerKindBeforeDecoding() throws {
        func envelope(_ body: Cellfleet_Wire_V1_Envelope.OneOf_Body) throws -> [UInt8] {
            var envelope = Cellfleet_Wire_V1_Envelope()
            envelope.protocolVersion = 1
            envelope.body = body
            return try envelope.serializedBytes()
        }
        var hello = Cellfleet_Wire_V1_Hello()
        hello.softwareVersion = String(repeating: "v", count: WireMessageLimits.helloBytes)
        let bigHello = try envelope(.hello(hello))
        #expect(WireMessageLimits.problem(bigHello)?.contains("a Hello of") == true)
        var start = Cellfleet_Wire_V1_TestStart()
        start.cell.attributes = ["notes": String(repeating: "n", count: 2 << 20)]
        #expect(WireMessageLimits.problem(try envelope(.testStart(start)))?.contains("a TestStart of") == true)
        // A batch of several MB is fine; a small hello too.
        guard case .batch(var batch) = D.batch(1, test: D.testA, agent: "lab1", first: 1, count: 100_000).body else { return }
        batch.temperatureC = Array(repeating: 25, count: 100_000)
        let bigBatch = try envelope(.sampleBatch(batch))
        #expect(bigBatch.count > 3 << 20)
        #expect(WireMessageLimits.problem(bigBatch) == nil)
        hello.softwareVersion = "1.0"
        #expect(WireMessageLimits.problem(try envelope(.hello(hello))) == nil)
        // Whatever the bytes, the check never traps (it only reads field headers).
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let junk = (0..<Int.random(in: 0...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = WireMessageLimits.problem(junk + Array(repeating: 0, count: 70_000))
        }
    }
}
