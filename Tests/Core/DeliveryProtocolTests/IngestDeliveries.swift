import DeliveryProtocol
import Foundation
import WireProtocol

/// Deliveries as an agent would send them, for the coordinator-side state machines' tests.
enum IngestDeliveries {
    static let testA = UUID(uuidString: "00000000-0000-0000-0000-00000000000A")!
    static let testB = UUID(uuidString: "00000000-0000-0000-0000-00000000000B")!
    static let testC = UUID(uuidString: "00000000-0000-0000-0000-00000000000C")!

    static func start(_ id: UInt64, test: UUID, agent: String, claiming claimed: String? = nil) -> IngestDelivery {
        var start = Cellfleet_Wire_V1_TestStart()
        start.deliveryID = id
        start.testID = test.uuidString.lowercased()
        start.agentID = claimed ?? agent
        start.channelID = "ch1"
        return IngestDelivery(agentID: agent, deliveryID: id, testID: test, body: .start(start))
    }

    /// `count` samples from `first`; each sample's voltage is its sequence number, so the rows a
    /// stage sees can be checked against the sequence numbers they claim.
    static func batch(_ id: UInt64, test: UUID, agent: String, first: UInt64, count: Int, temperature: Bool = false) -> IngestDelivery {
        var batch = Cellfleet_Wire_V1_SampleBatch()
        batch.deliveryID = id
        batch.testID = test.uuidString.lowercased()
        batch.firstSeq = first
        let sequences = (0..<count).map { Double(first) + Double($0) }
        batch.unixTimeS = sequences.map { 1.7e9 + $0 }
        batch.testTimeS = sequences
        batch.voltageV = sequences
        batch.currentA = Array(repeating: 1e-3, count: count)
        if temperature { batch.temperatureC = Array(repeating: 25, count: count) }
        return IngestDelivery(agentID: agent, deliveryID: id, testID: test, body: .batch(batch))
    }

    static func end(_ id: UInt64, test: UUID, agent: String, lastSeq: UInt64) -> IngestDelivery {
        var end = Cellfleet_Wire_V1_TestEnd()
        end.deliveryID = id
        end.testID = test.uuidString.lowercased()
        end.lastSeq = lastSeq
        end.reason = "completed"
        return IngestDelivery(agentID: agent, deliveryID: id, testID: test, body: .end(end))
    }

    /// A source quarantine of `file`, naming `test` if given, as the coordinator offers it (no test id
    /// of its own: it moves no mark).
    static func quarantine(_ id: UInt64, agent: String, file: String, test: UUID? = nil, claiming claimed: String? = nil) -> IngestDelivery {
        var quarantine = Cellfleet_Wire_V1_SourceQuarantined()
        quarantine.deliveryID = id
        quarantine.agentID = claimed ?? agent
        quarantine.channelID = "ch1"
        quarantine.testID = test?.uuidString.lowercased() ?? ""
        quarantine.file = file
        quarantine.reason = "the file shrank"
        quarantine.unixTimeS = 1.7e9
        return IngestDelivery(agentID: agent, deliveryID: id, testID: nil, body: .quarantine(quarantine))
    }
}

extension IngestOutcome {
    var code: Cellfleet_Wire_V1_ErrorCode? {
        if case .refused(let refusal) = self { return refusal.code }
        return nil
    }
}
