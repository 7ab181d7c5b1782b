import TestSupport
import Foundation
import Testing
import WireProtocol

/// Acceptance (issues 10 and 17): a third-party agent that ignores its credit and floods large
/// batches is refused with CREDIT_EXCEEDED, the coordinator's memory stays bounded, and a good
/// agent beside it is served as if alone — through a real coordinator process and its database.
/// At the same time a hostile agent sends a 200 MB hello (cut off by libzmq on its length), test
/// starts with NaN, negative and NUL-byte fields and batches with infinite times: each refused
/// `MALFORMED`, none `INTERNAL`, nothing of them stored.
///
/// The bound: the coordinator holds at most `pendingSamplesPerAgent` (1 M) samples or 64 MiB
/// of one agent's deliveries, 32 MiB of unread messages in its inbox, and what libzmq buffers
/// per connection (16 messages, `receiveHighWaterMark`; then TCP pushes back on the sender); its
/// peak RSS (VmHWM) stays under `rssBoundMB` while 200 batches of 100 000 samples (≈ 640 MB)
/// arrive as fast as the socket takes them (measured: ≈ 170 MB, from 47 MB idle).
@Suite(.serialized) struct BackPressureTests {
    static let rssBoundMB = 300
    static let floodBatches = 200
    static let floodBatchSamples = 100_000

    static func memory(of pid: Int32) -> (rssMB: Int, peakMB: Int) {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (-1, -1) }
        func field(_ name: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return -1 }
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1) / 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    /// An envelope of a sample batch whose columns are already serialized: protobuf merges
    /// concatenated fields, so the batch is its header's bytes followed by the columns' bytes.
    static func floodEnvelope(deliveryID: UInt64, testID: String, firstSeq: UInt64, columns: [UInt8]) -> [UInt8] {
        var header = Cellfleet_Wire_V1_SampleBatch()
        header.deliveryID = deliveryID
        header.testID = testID
        header.firstSeq = firstSeq
        let batch = ((try? header.serializedBytes()) ?? []) + columns
        var envelope: [UInt8] = [0x08, 0x01, 0x6A]  // protocol_version = 1; field 13 (sample_batch), length-delimited
        var length = batch.count
        while length >= 0x80 {
            envelope.append(UInt8(length & 0x7F) | 0x80)
            length >>= 7
        }
        envelope.append(UInt8(length))
        return envelope + batch
    }

    struct GoodRun {
        var seconds: Double
        var report: AgentReport
        var stderr: String
    }

    static func runGoodAgent(_ id: String, port: Int, database: TestDatabase) async throws -> GoodRun {
        let spool = TestPaths.temporaryDirectory("spool-\(id)")
        defer { try? FileManager.default.removeItem(at: spool) }
        let started = Date()
        let agent = try TestProcess(TestPaths.cellfleet, [
            "agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.appendingPathComponent("spool").path,
            "--simulate", "16", "--rate", "200", "--duration", "12", "--insecure", "--agent-id", id,
        ])
        let status = await agent.waitForExit(timeoutSeconds: 180)
        try #require(status == 0, "agent \(id) stderr: \(agent.stderr.suffix(2000))")
        let report = try AgentReport.parse(agent.stdout)
        // Exactly once, for this agent's tests.
        let rows = try database.scalar("SELECT count(*) FROM samples s JOIN tests t USING (test_id) WHERE t.agent_id = '\(id)'")
        #expect(rows == report.samples_produced)
        #expect(report.samples_acked == report.samples_produced)
        #expect(try database.scalar("""
            SELECT count(*) FROM (SELECT s.test_id FROM samples s JOIN tests t USING (test_id) WHERE t.agent_id = '\(id)'
                                  GROUP BY s.test_id HAVING max(seq) <> count(*) OR min(seq) <> 1 OR count(DISTINCT seq) <> count(*)) h
            """) == 0)
        return GoodRun(seconds: Date().timeIntervalSince(started), report: report, stderr: agent.stderr)
    }

    @Test func anAgentIgnoringItsCreditIsRefusedTheCoordinatorStaysBoundedAndAGoodAgentIsServed() async throws {
        let database = try TestDatabase()
        defer { database.stop() }
        let port = TestPaths.freePort()
        let coordinator = try TestProcess(TestPaths.cellfleet, [
            "coordinator", "--database", database.url, "--listen", "tcp://127.0.0.1:\(port)", "--insecure",
        ])
        defer { coordinator.terminate() }
        try #require(await coordinator.waitForStderr("coordinator listening"), "\(coordinator.stderr.suffix(2000))")

        let alone = try await Self.runGoodAgent("good-alone", port: port, database: database)
        let idle = Self.memory(of: coordinator.pid)

        // The flooder: welcomed with a credit, which it then ignores.
        let flooder = try WireTestClient(endpoint: "tcp://127.0.0.1:\(port)", routingID: "flooder", key: nil, serverPublicKey: nil, watchConnection: true)
        defer { flooder.close() }
        let welcome = try #require(await flooder.handshake(agentID: "flooder"))
        let credit = Int(welcome.welcome.credit)
        #expect(credit == 64)
        let test = UUID().uuidString.lowercased()
        flooder.send(WireEnvelope(.testStart(.test(deliveryID: 1, testID: test, agentID: "flooder"))))
        // The columns are encoded once: the flood must load the coordinator, not this process.
        var columnsOnly = Cellfleet_Wire_V1_SampleBatch.test(deliveryID: 0, testID: test, firstSeq: 1, count: Self.floodBatchSamples)
        columnsOnly.testID = ""
        columnsOnly.firstSeq = 0
        let columns: [UInt8] = try columnsOnly.serializedBytes()
        let second = try WireEnvelope(serializedBytes: Self.floodEnvelope(deliveryID: 3, testID: test, firstSeq: 100_001, columns: columns))
        guard case .sampleBatch(let decoded)? = second.body else { Issue.record("the flood envelope does not decode: \(second)"); return }
        #expect(decoded.deliveryID == 3 && decoded.firstSeq == 100_001 && decoded.testID == test && decoded.voltageV.count == Self.floodBatchSamples)
        let flood = Task.detached {
            for index in 0..<Self.floodBatches {
                flooder.sendSerialized(Self.floodEnvelope(deliveryID: UInt64(index + 2), testID: test, firstSeq: UInt64(index * Self.floodBatchSamples + 1), columns: columns))
                // As fast as the socket takes them, never waiting for an acknowledgement.
                while flooder.pendingSendCount > 2 { try? await Task.sleep(for: .milliseconds(5)) }
            }
        }
        let withHostile = ProcessInfo.processInfo.environment["CELLFLEET_NO_HOSTILE"] == nil
        let hostile = Task.detached { withHostile ? try await Self.hostileAgent(port: port) : Array(repeating: .malformed, count: Self.hostileDeliveries) }
        var peakSeen = idle.rssMB
        let sampler = Task.detached {
            var peak = 0
            while !Task.isCancelled {
                peak = max(peak, Self.memory(of: coordinator.pid).rssMB)
                try? await Task.sleep(for: .milliseconds(100))
            }
            return peak
        }
        let beside = try await Self.runGoodAgent("good-beside", port: port, database: database)
        await flood.value
        let hostileAnswers = try await hostile.value
        #expect(hostileAnswers.count == Self.hostileDeliveries, "every hostile delivery is answered: \(hostileAnswers)")
        #expect(hostileAnswers.allSatisfy { $0 == .malformed }, "\(hostileAnswers)")
        #expect(try database.scalar("SELECT count(*) FROM tests WHERE agent_id LIKE 'hostile%'") == 0)
        #expect(try database.scalar("SELECT count(*) FROM agents WHERE agent_id = 'hostile-hello'") == 0)

        // Every flood delivery gets exactly one answer: an ack, or a refusal.
        let ids = Set<UInt64>(1...UInt64(Self.floodBatches + 1))
        var answered: [UInt64: [Cellfleet_Wire_V1_Envelope.OneOf_Body]] = [:]
        let deadline = Date().addingTimeInterval(180)
        while !ids.isSubset(of: Set(answered.keys)), Date() < deadline {
            answered = [:]
            for envelope in flooder.receivedSoFar {
                switch envelope.body {
                case .ack(let ack): for id in ack.deliveryIds { answered[id, default: []].append(envelope.body!) }
                case .error(let error): answered[error.deliveryID, default: []].append(envelope.body!)
                default: break
                }
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        sampler.cancel()
        peakSeen = max(peakSeen, await sampler.value)
        let final = Self.memory(of: coordinator.pid)

        // The coordinator pushes back on the flooder by not reading it; that must never cut its
        // connection (ZMTP heartbeats did, every few seconds, losing what was in flight — the
        // deliveries that then got no answer).
        #expect(flooder.disconnects == 0, "the flooder's connection was cut \(flooder.disconnects) times")
        #expect(ids.isSubset(of: Set(answered.keys)), "unanswered: \(ids.subtracting(answered.keys).sorted().prefix(20))")
        #expect(answered.values.allSatisfy { $0.count == 1 }, "a delivery answered twice")
        let codes = answered.values.compactMap { replies -> Cellfleet_Wire_V1_ErrorCode? in
            if case .error(let error) = replies.first { return error.code }
            return nil
        }
        let acked = answered.values.filter { if case .ack = $0.first { return true }; return false }.count
        let creditExceeded = codes.filter { $0 == .creditExceeded }.count
        #expect(creditExceeded > 0)
        #expect(codes.allSatisfy { $0 == .creditExceeded || $0 == .sequenceGap },
                "\(Set(codes)); coordinator: \(coordinator.stderr.split(separator: "\n").filter { $0.contains("error") }.suffix(10).joined(separator: "\n"))")
        // What the flooder got stored is one contiguous run, each sample once.
        let flooded = try database.scalar("SELECT count(*) FROM samples WHERE test_id = '\(test)'")
        #expect(flooded == (acked - 1) * Self.floodBatchSamples)
        #expect(try database.scalar("SELECT count(DISTINCT seq) FROM samples WHERE test_id = '\(test)'") == flooded)
        #expect(try database.scalar("SELECT coalesce(max(seq), 0) FROM samples WHERE test_id = '\(test)'") == flooded)

        print("back-pressure: coordinator RSS idle \(idle.rssMB) MB, peak seen \(peakSeen) MB, VmHWM \(final.peakMB) MB (bound \(Self.rssBoundMB) MB); flood: \(acked) acked, \(creditExceeded) CREDIT_EXCEEDED, \(codes.count - creditExceeded) SEQUENCE_GAP, \(flooded) rows; flooder's connection cut \(flooder.disconnects) times; good agent alone \(String(format: "%.1f", alone.seconds)) s, beside the flood \(String(format: "%.1f", beside.seconds)) s")
        #expect(final.peakMB > 0 && final.peakMB < Self.rssBoundMB, "codes \(Set(codes)); coordinator: \(coordinator.stderr.split(separator: "\n").filter { $0.contains("error") || $0.contains("warning") }.suffix(30).joined(separator: "\n"))")
        // Served as if alone: never refused (its re-sends after a timeout crossing their acks
        // are late copies, not over its credit), and not starved. The time is only a coarse
        // bound — starvation would be unbounded — with slack for a machine busy with other
        // tests; the figures are printed above.
        #expect(!beside.stderr.contains("creditExceeded") && !alone.stderr.contains("creditExceeded"), "its log: \(beside.stderr.suffix(3000))")
        // Beside the flood the good agent waits for the flood's admitted batches to commit
        // (a million rows on two cores: 58–74 s against 13 s alone, measured), so the bound is
        // loose; starvation would not finish at all.
        #expect(beside.seconds < alone.seconds * 6 + 30, "alone \(alone.seconds) s, beside the flood \(beside.seconds) s; its log: \(beside.stderr.suffix(3000))")
        #expect(beside.report.samples_produced > 16 * 200 * 10)
    }

    static let hostileDeliveries = 5

    /// A 200 MB hello — from a process of its own (pyzmq), so building and sending it loads
    /// neither the coordinator's cores' share of this process nor the flooder beside it — then
    /// absurd test starts and batches stamped at infinity; the codes of the answers.
    static func hostileAgent(port: Int) async throws -> [Cellfleet_Wire_V1_ErrorCode] {
        let python = ProcessInfo.processInfo.environment["CELLFLEET_PYTHON"] ?? "python3"
        let huge = try TestProcess(python, ["-c", """
            import time, zmq
            def varint(v):
                out = bytearray()
                while v >= 0x80:
                    out.append((v & 0x7F) | 0x80); v >>= 7
                out.append(v); return bytes(out)
            n = 200 << 20
            hello = b"\\x12" + varint(n) + b"9" * n              # software_version
            envelope = b"\\x08\\x01" + b"\\x52" + varint(len(hello)) + hello   # protocol 1, field 10 (hello)
            socket = zmq.Context().socket(zmq.DEALER)
            socket.setsockopt(zmq.ROUTING_ID, b"hostile-hello")
            socket.setsockopt(zmq.LINGER, 0)
            socket.connect("tcp://127.0.0.1:\(port)")
            socket.send(envelope)
            time.sleep(3)
            """])
        _ = await huge.waitForExit(timeoutSeconds: 30)

        let client = try WireTestClient(endpoint: "tcp://127.0.0.1:\(port)", routingID: "hostile", key: nil, serverPublicKey: nil)
        defer { client.close() }
        guard await client.handshake(agentID: "hostile") != nil else { return [] }
        let test = UUID().uuidString.lowercased()
        var nanArea = Cellfleet_Wire_V1_TestStart.test(deliveryID: 1, testID: test, agentID: "hostile")
        nanArea.cell.electrodeAreaM2 = .nan
        var negativeMass = Cellfleet_Wire_V1_TestStart.test(deliveryID: 2, testID: test, agentID: "hostile")
        negativeMass.cell.activeMassKg = -1e-6
        var nul = Cellfleet_Wire_V1_TestStart.test(deliveryID: 3, testID: test, agentID: "hostile")
        nul.cell.cellID = "cell\u{0}"
        for start in [nanArea, negativeMass, nul] { client.send(WireEnvelope(.testStart(start))) }
        for id: UInt64 in [4, 5] {
            var batch = Cellfleet_Wire_V1_SampleBatch.test(deliveryID: id, testID: test, firstSeq: 1, count: 1000)
            batch.unixTimeS[0] = .infinity
            client.send(WireEnvelope(.sampleBatch(batch)))
        }
        let deadline = Date().addingTimeInterval(120)
        var codes: [UInt64: Cellfleet_Wire_V1_ErrorCode] = [:]
        while codes.count < hostileDeliveries, Date() < deadline {
            for envelope in client.receivedSoFar {
                if case .error(let error) = envelope.body { codes[error.deliveryID] = error.code }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        return codes.sorted { $0.key < $1.key }.map(\.value)
    }
}
