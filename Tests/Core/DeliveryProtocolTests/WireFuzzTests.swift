import CellModel
import DeliveryProtocol
import Foundation
import Testing
import TestSupport
import WireProtocol

/// Mutation fuzzing of what a coordinator does with an agent's bytes before the database (issue
/// 17 §8): the size check per kind, the header peek, the protobuf decoder, every validator and
/// the planner. Every input must be refused or accepted without a trap, and what is accepted must
/// be what the validators promise: a peek agrees with the decode, an accepted batch's columns fit
/// and none of its times is infinite, a planned row lies inside its batch.
///
/// The inner loop runs 2 000 cases per seed kind, `./test.sh` FUZZ_CASES=300 × 10; a long run:
///   FUZZ_CASES=200000 swift test -c release -Xswiftc -enable-testing --filter WireFuzz
@Suite("The wire decoder and validation under mutation fuzzing", .serialized)
struct WireFuzzTests {
    static var cases: Int { (ProcessInfo.processInfo.environment["FUZZ_CASES"].flatMap(Int.init)).map { $0 * 10 } ?? 2000 }
    static var seed: UInt64 { ProcessInfo.processInfo.environment["FUZZ_SEED"].flatMap(UInt64.init) ?? 0x17F0 }

    static func envelope(_ body: Cellfleet_Wire_V1_Envelope.OneOf_Body) -> [UInt8] {
        var envelope = Cellfleet_Wire_V1_Envelope()
        envelope.protocolVersion = 1
        envelope.body = body
        return (try? envelope.serializedBytes()) ?? []
    }

    /// One valid message of each kind an agent sends, with every field set.
    static var seeds: [[UInt8]] {
        let test = IngestDeliveries.testA.uuidString.lowercased()
        var hello = Cellfleet_Wire_V1_Hello()
        hello.agentID = "lab1"
        hello.softwareVersion = "0.17.0"
        hello.agentEpoch = 42
        hello.minProtocolVersion = 1
        hello.maxProtocolVersion = 1
        for index in 0..<4 {
            var channel = Cellfleet_Wire_V1_Channel()
            channel.channelID = "ch\(index)"
            channel.cyclerMake = "LAND"
            channel.currentMaxA = 0.01
            channel.voltageMaxV = 5
            hello.channels.append(channel)
        }
        guard case .start(var start) = IngestDeliveries.start(1, test: IngestDeliveries.testA, agent: "lab1").body,
              case .batch(var batch) = IngestDeliveries.batch(2, test: IngestDeliveries.testA, agent: "lab1", first: 1, count: 40, temperature: true).body,
              case .end(var end) = IngestDeliveries.end(4, test: IngestDeliveries.testA, agent: "lab1", lastSeq: 40).body
        else { return [] }
        start.cell.attributes = ["coating": "LiAlO2", "batch": "B7"]
        start.cell.electrodeAreaM2 = 1.13e-4
        start.startUnixTimeS = 1.7e9
        batch.capacityAh = Array(repeating: 1e-6, count: 40)
        batch.stepIndex = Array(repeating: 3, count: 40)
        batch.stepType = Array(repeating: .ccCharge, count: 40)
        batch.cycleIndex = Array(repeating: 1, count: 40)
        var declaring = batch
        declaring.firstSeq = 50
        declaring.lostFromSeq = 41
        declaring.lostReason = "damaged spool records"
        end.endUnixTimeS = 1.7e9 + 40
        end.reason = "completed"
        var quarantine = Cellfleet_Wire_V1_SourceQuarantined()
        quarantine.deliveryID = 5
        quarantine.agentID = "lab1"
        quarantine.testID = test
        quarantine.file = "land/cell7.xlsx"
        quarantine.reason = "its earlier records changed"
        var heartbeat = Cellfleet_Wire_V1_Heartbeat()
        heartbeat.unixTimeS = 1.7e9
        heartbeat.spoolReported = true
        heartbeat.spoolDepthDeliveries = 3
        var result = Cellfleet_Wire_V1_CommandResult()
        result.commandID = 9
        result.ok = true
        return [
            envelope(.hello(hello)), envelope(.testStart(start)), envelope(.sampleBatch(batch)), envelope(.sampleBatch(declaring)),
            envelope(.testEnd(end)), envelope(.sourceQuarantined(quarantine)), envelope(.heartbeat(heartbeat)), envelope(.commandResult(result)),
        ]
    }

    struct Summary {
        var cases = 0, undecodable = 0, refused = 0, accepted = 0, planned = 0
        var violations: [String] = []
    }

    /// What the coordinator does with one frame, up to the database; violations of what the
    /// checks promise are recorded.
    static func examine(_ bytes: [UInt8], into summary: inout Summary) {
        summary.cases += 1
        if WireMessageLimits.problem(bytes) != nil {
            summary.refused += 1
            return
        }
        let peek = WireDeliveryPeek.peek(bytes)
        guard let envelope = try? Cellfleet_Wire_V1_Envelope(serializedBytes: bytes) else {
            summary.undecodable += 1
            return
        }
        if let peek {
            let kind: WireDeliveryPeek.Kind? = switch envelope.body {
            case .testStart: .testStart
            case .sampleBatch: .sampleBatch
            case .testEnd: .testEnd
            case .sourceQuarantined: .sourceQuarantined
            default: nil
            }
            if kind != peek.kind { summary.violations.append("peek says \(peek.kind), decode says \(String(describing: envelope.body))") }
            if case .sampleBatch(let batch) = envelope.body, peek.sampleCount != batch.testTimeS.count || peek.deliveryID != batch.deliveryID {
                summary.violations.append("peek says \(peek.sampleCount) samples of delivery \(peek.deliveryID), decode \(batch.testTimeS.count) of \(batch.deliveryID)")
            }
        }
        var delivery: IngestDelivery?
        var problem: String?
        switch envelope.body {
        case .hello(let hello):
            problem = DeliveryValidator.validate(hello, agentID: "lab1")
        case .testStart(let start):
            problem = DeliveryValidator.validate(start)
            if problem == nil, let test = UUID(uuidString: start.testID) {
                delivery = IngestDelivery(agentID: "lab1", deliveryID: start.deliveryID, testID: test, body: .start(start))
            }
        case .sampleBatch(let batch):
            problem = DeliveryValidator.validate(batch)
            if problem == nil {
                let n = batch.testTimeS.count
                let columns = [batch.unixTimeS.count, batch.voltageV.count, batch.currentA.count]
                let optional = [batch.capacityAh.count, batch.energyWh.count, batch.temperatureC.count, batch.stepIndex.count, batch.stepType.count, batch.cycleIndex.count]
                if n == 0 || columns.contains(where: { $0 != n }) || optional.contains(where: { $0 != 0 && $0 != n })
                    || batch.unixTimeS.contains(where: \.isInfinite) || batch.testTimeS.contains(where: \.isInfinite) {
                    summary.violations.append("an accepted batch whose columns or times do not fit")
                }
                if let test = UUID(uuidString: batch.testID) {
                    delivery = IngestDelivery(agentID: "lab1", deliveryID: batch.deliveryID, testID: test, body: .batch(batch))
                }
            }
        case .testEnd(let end):
            problem = DeliveryValidator.validate(end)
            if problem == nil, let test = UUID(uuidString: end.testID) {
                delivery = IngestDelivery(agentID: "lab1", deliveryID: end.deliveryID, testID: test, body: .end(end))
            }
        case .sourceQuarantined(let quarantine):
            problem = DeliveryValidator.validate(quarantine)
        default:
            break
        }
        guard problem == nil else {
            summary.refused += 1
            return
        }
        summary.accepted += 1
        guard let delivery, let test = delivery.testID else { return }
        // Planned against a running test, as far along as the seeds' batches.
        let mark = TestMark(committedSequence: 40, ownerAgentID: "lab1", startUnixTimeSeconds: 1.7e9)
        let plan = IngestPlanner(deliveries: [delivery]).plan(marks: [test: mark], nowUnixTimeSeconds: 1.7e9 + 86_400)
        summary.planned += 1
        for rows in plan.rows {
            if rows.skip < 0 || rows.count <= 0 || rows.skip + rows.count > delivery.sampleCount || rows.firstSequence <= 40 {
                summary.violations.append("planned rows \(rows) outside the batch of \(delivery.sampleCount) or at or below the mark")
            }
        }
        for loss in plan.losses where loss.firstSequence != 41 || loss.lastSequence < loss.firstSequence {
            summary.violations.append("a hole \(loss.firstSequence)…\(loss.lastSequence) not starting after the mark")
        }
    }

    @Test func mutatedMessagesAreRefusedOrAcceptedAsTheChecksPromise() {
        let seeds = Self.seeds
        #expect(seeds.count == 8)
        var rng = SplitMix64(state: Self.seed)
        var summary = Summary()
        let start = Date()
        // The seeds themselves are all accepted.
        for seed in seeds { Self.examine(seed, into: &summary) }
        #expect(summary.accepted == seeds.count, "\(summary)")
        for _ in 0..<Self.cases {
            var bytes = seeds[Int(rng.next() % UInt64(seeds.count))]
            for _ in 0..<(1 + Int(rng.next() % 4)) { ByteMutator.mutate(&bytes, &rng) }
            Self.examine(bytes, into: &summary)
        }
        // And pure noise.
        for _ in 0..<(Self.cases / 10) {
            let bytes = (0..<Int(rng.next() % 512)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            Self.examine(bytes, into: &summary)
        }
        print("fuzz wire: \(summary.cases) inputs, \(summary.undecodable) undecodable, \(summary.refused) refused, \(summary.accepted) accepted "
              + "(\(summary.planned) planned), \(summary.violations.count) violations; \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        #expect(summary.violations.isEmpty, "\(summary.violations.prefix(5))")
        #expect(summary.undecodable > 0 && summary.refused > 0 && summary.accepted > seeds.count, "the mutations reach every outcome")
    }
}
