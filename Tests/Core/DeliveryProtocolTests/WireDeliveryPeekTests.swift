import DeliveryProtocol
import Foundation
import PropertyBased
import Testing
import WireProtocol

/// Reading a delivery's kind, id and size from its bytes without decoding it must agree with
/// decoding it — for any delivery — and give up (nil) rather than guess on anything else.
struct WireDeliveryPeekTests {
    static func envelope(_ code: UInt64, samples: Int) -> WireEnvelope {
        var code = code
        func take(_ n: UInt64) -> UInt64 { defer { code /= n }; return code % n }
        let id = take(2) == 0 ? take(1000) : UInt64.max - take(1000)
        var envelope: WireEnvelope
        switch take(4) {
        case 0:
            var start = Cellfleet_Wire_V1_TestStart()
            start.deliveryID = id
            start.testID = UUID().uuidString.lowercased()
            start.agentID = "lab\(take(10))"
            start.cell.attributes = ["coating": "LiAlO2"]
            envelope = WireEnvelope(.testStart(start))
        case 1:
            var end = Cellfleet_Wire_V1_TestEnd()
            end.deliveryID = id
            end.lastSeq = take(1 << 40)
            end.reason = "completed"
            envelope = WireEnvelope(.testEnd(end))
        case 2:
            var quarantine = Cellfleet_Wire_V1_SourceQuarantined()
            quarantine.deliveryID = id
            quarantine.agentID = "lab\(take(10))"
            quarantine.testID = take(2) == 0 ? "" : UUID().uuidString.lowercased()
            quarantine.file = "land/cell_\(take(100)).xlsx"
            quarantine.reason = "its earlier records changed"
            quarantine.unixTimeS = 1.7e9
            envelope = WireEnvelope(.sourceQuarantined(quarantine))
        default:
            var batch = IngestDeliveries.batch(id, test: IngestDeliveries.testA, agent: "lab1", first: 1 + take(1 << 30), count: samples, temperature: take(2) == 0)
            if case .batch(var body) = batch.body, take(2) == 0 {
                body.stepIndex = Array(repeating: 3, count: samples)
                batch.body = .batch(body)
            }
            guard case .batch(let body) = batch.body else { fatalError() }
            envelope = WireEnvelope(.sampleBatch(body))
        }
        envelope.protocolVersion = UInt32(take(4))
        return envelope
    }

    static func expected(_ envelope: WireEnvelope) -> WireDeliveryPeek? {
        switch envelope.body {
        case .testStart(let start): WireDeliveryPeek(protocolVersion: envelope.protocolVersion, kind: .testStart, deliveryID: start.deliveryID, sampleCount: 0)
        case .sampleBatch(let batch): WireDeliveryPeek(protocolVersion: envelope.protocolVersion, kind: .sampleBatch, deliveryID: batch.deliveryID, sampleCount: batch.testTimeS.count)
        case .testEnd(let end): WireDeliveryPeek(protocolVersion: envelope.protocolVersion, kind: .testEnd, deliveryID: end.deliveryID, sampleCount: 0)
        case .sourceQuarantined(let quarantine):
            WireDeliveryPeek(protocolVersion: envelope.protocolVersion, kind: .sourceQuarantined, deliveryID: quarantine.deliveryID, sampleCount: 0)
        default: nil
        }
    }

    @Test func thePeekAgreesWithDecodingForAnyDelivery() async throws {
        await propertyCheck(count: 300, input: Gen.uint64(), Gen.int(in: 0...300)) { code, samples in
            let envelope = Self.envelope(code, samples: samples)
            let bytes: [UInt8] = try! envelope.serializedBytes()
            #expect(WireDeliveryPeek.peek(bytes) == Self.expected(envelope))
            // Cut short anywhere: either it gives up, or what it reads is what decoding reads.
            let cut = Array(bytes.prefix(Int(code % UInt64(bytes.count + 1))))
            if let peeked = WireDeliveryPeek.peek(cut) {
                let decoded = try? WireEnvelope(serializedBytes: cut)
                #expect(decoded.flatMap(Self.expected) == peeked)
            }
        }
    }

    @Test func otherMessagesAndGarbageAreNotDeliveries() throws {
        var hello = Cellfleet_Wire_V1_Hello()
        hello.agentID = "lab1"
        #expect(WireDeliveryPeek.peek(try WireEnvelope(.hello(hello)).serializedBytes()) == nil)
        #expect(WireDeliveryPeek.peek(try WireEnvelope(.heartbeat(Cellfleet_Wire_V1_Heartbeat())).serializedBytes()) == nil)
        #expect(WireDeliveryPeek.peek([0xFF, 0x00, 0x13, 0x37, 0x42]) == nil)
        #expect(WireDeliveryPeek.peek([]) == nil)
    }

    @Test func aHeaderBeyondTheCreditIsRefusedAsOfferWouldUnlessItMayBeAReSend() {
        var queue = GroupCommitQueue<String>(limits: IngestLimits(credit: 2, agentSamples: 100))
        let first = IngestDeliveries.batch(1, test: IngestDeliveries.testA, agent: "lab1", first: 1, count: 60)
        #expect(queue.refusalBeforeDecoding(agentID: "lab1", deliveryID: 1, samples: 60, bytes: 500) == nil)
        _ = queue.offer(first, bytes: 500, replyAddress: "lab1")
        // 60 + 60 samples: beyond the agent's share, refused on the header alone, as offer would.
        let early = queue.refusalBeforeDecoding(agentID: "lab1", deliveryID: 2, samples: 60, bytes: 500)
        let second = IngestDeliveries.batch(2, test: IngestDeliveries.testA, agent: "lab1", first: 61, count: 60)
        var copy = queue
        #expect(early != nil && copy.offer(second, bytes: 500, replyAddress: "lab1") == .refused(early!))
        // The id of a held delivery: possibly an identical re-send, so it must be decoded.
        #expect(queue.refusalBeforeDecoding(agentID: "lab1", deliveryID: 1, samples: 60, bytes: 500) == nil)
        #expect(queue.offer(first, bytes: 500, replyAddress: "lab1") != .refused(early!))
    }
}
