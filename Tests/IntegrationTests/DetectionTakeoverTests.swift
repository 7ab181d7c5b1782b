import CellModel
import CellSimulator
@testable import CellfleetCoordinator
import DeliveryProtocol
import Foundation
import Logging
import PostgresNIO
import TestSupport
import Testing
import WireProtocol

/// Live detection when the coordinator that committed a test's samples is not the one that
/// records its end (a restart, or a second coordinator taking the agent over between its last
/// batch and its `TestEnd`): the new coordinator catches up from the checkpoint and the stored
/// samples before it finishes, so the test ends exactly as if one coordinator had seen it all.
@Suite(.serialized) struct DetectionTakeoverTests {
    static let logger: Logger = {
        var logger = Logger(label: "test.takeover")
        logger.logLevel = .warning
        return logger
    }()

    /// The bare-lithium blow-up preset at one sample a minute for 150 h: its P2 fires past the
    /// first batch, so the samples after the checkpoint matter to the finish.
    static func samples() throws -> SampleColumns {
        let preset = try #require(ScenarioCatalog.preset(named: "4"))
        var simulation = CellSimulation(preset: preset, seed: 7, sampleIntervalSeconds: 60, durationSeconds: 150 * 3600)
        simulation.startUnixTimeSeconds = Date().timeIntervalSince1970 - 150 * 3600
        return SampleColumns(simulation)
    }

    static func start(_ testID: String, cell: CellMetadata) -> IngestDelivery {
        var start = Cellfleet_Wire_V1_TestStart()
        start.testID = testID
        start.agentID = "takeover-agent"
        start.channelID = "ch-\(testID.prefix(4))"
        start.cell = Cellfleet_Wire_V1_Cell(cell)
        start.startUnixTimeS = Date().timeIntervalSince1970 - 150 * 3600
        start.deliveryID = 1
        return IngestDelivery(agentID: "takeover-agent", deliveryID: 1, testID: UUID(uuidString: testID)!, body: .start(start))
    }

    static func batch(_ testID: String, _ columns: SampleColumns, range: Range<Int>, deliveryID: UInt64) -> IngestDelivery {
        var part = SampleColumns()
        for index in range { part.append(columns[index]) }
        let batch = Cellfleet_Wire_V1_SampleBatch(deliveryID: deliveryID, testID: testID, firstSeq: UInt64(range.lowerBound + 1), columns: part)
        return IngestDelivery(agentID: "takeover-agent", deliveryID: deliveryID, testID: UUID(uuidString: testID)!, body: .batch(batch))
    }

    static func end(_ testID: String, lastSequence: Int, deliveryID: UInt64) -> IngestDelivery {
        var end = Cellfleet_Wire_V1_TestEnd()
        end.testID = testID
        end.lastSeq = UInt64(lastSequence)
        end.endUnixTimeS = Date().timeIntervalSince1970
        end.reason = "completed"
        end.deliveryID = deliveryID
        return IngestDelivery(agentID: "takeover-agent", deliveryID: deliveryID, testID: UUID(uuidString: testID)!, body: .end(end))
    }

    /// Commits `deliveries` in one transaction through `stage`; returns the stage as committed.
    static func commit(_ deliveries: [IngestDelivery], stage: DetectionStage, client: PostgresClient) async throws -> DetectionStage {
        let result = try await client.withTransaction(logger: logger) { connection in
            try await IngestTransaction(deliveries: deliveries).run(on: connection, stages: [stage], logger: logger)
        }
        var committed = try #require(result.stages.first as? DetectionStage)
        committed.didCommit()
        return committed
    }

    @Test func aCoordinatorThatSeesOnlyTheEndFinishesTheTestAsOneThatSawItAll() async throws {
        let database = try TestDatabase()
        defer { database.stop() }
        let client = try database.makeClient()
        let clientTask = Task { await client.run() }
        defer { clientTask.cancel() }
        try await SchemaMigrations(directory: TestPaths.repositoryRoot.appendingPathComponent("schemas/migrations"))
            .apply(client: client, logger: Self.logger)

        let columns = try Self.samples()
        let cell = try #require(ScenarioCatalog.preset(named: "4")).cell
        let firstPart = 0..<2_000, secondPart = 2_000..<columns.count
        // Checkpoints only at the first transaction and at the finish: everything after sample
        // 2 000 must come from `samples` for the new coordinator.
        var policy = DetectionCheckpointPolicy()
        policy.everySamples = 1_000_000
        policy.everySeconds = 1_000_000

        // The reference: one coordinator sees the whole test.
        let reference = UUID().uuidString.lowercased()
        var alone = DetectionStage(policy: policy)
        alone = try await Self.commit([Self.start(reference, cell: cell), Self.batch(reference, columns, range: firstPart, deliveryID: 2)],
                                      stage: alone, client: client)
        alone = try await Self.commit([Self.batch(reference, columns, range: secondPart, deliveryID: 3)], stage: alone, client: client)
        _ = try await Self.commit([Self.end(reference, lastSequence: columns.count, deliveryID: 4)], stage: alone, client: client)

        // Taken over: the first coordinator commits every sample, a fresh one records the end.
        let takenOver = UUID().uuidString.lowercased()
        var first = DetectionStage(policy: policy)
        first = try await Self.commit([Self.start(takenOver, cell: cell), Self.batch(takenOver, columns, range: firstPart, deliveryID: 2)],
                                      stage: first, client: client)
        _ = try await Self.commit([Self.batch(takenOver, columns, range: secondPart, deliveryID: 3)], stage: first, client: client)
        #expect(try database.scalar("SELECT covered_seq FROM detector_checkpoints WHERE test_id = '\(takenOver)'") == firstPart.count)
        let newcomer = DetectionStage(policy: policy)
        _ = try await Self.commit([Self.end(takenOver, lastSequence: columns.count, deliveryID: 4)], stage: newcomer, client: client)
        // It replayed exactly what the checkpoint did not cover.
        #expect(newcomer.statistics.snapshot.samplesReplayed == secondPart.count)

        for test in [reference, takenOver] {
            #expect(try database.query("SELECT covered_seq, finished FROM detector_checkpoints WHERE test_id = '\(test)'")
                    == ["\(columns.count)|t"], "the finish covers every sample of \(test)")
        }
        func alerts(_ test: String) throws -> [String] {
            try database.query("SELECT rule, COALESCE(kind, ''), seq, severity, state FROM alerts WHERE test_id = '\(test)' ORDER BY seq, rule")
        }
        func cycles(_ test: String) throws -> [String] {
            try database.query("SELECT cycle_index, sample_count, end_test_time_s FROM cycle_summaries WHERE test_id = '\(test)' ORDER BY cycle_index")
        }
        let referenceAlerts = try alerts(reference)
        #expect(referenceAlerts.contains { $0.hasPrefix("P2|") }, "the blow-up is found: \(referenceAlerts)")
        #expect(try alerts(takenOver) == referenceAlerts)
        let referenceCycles = try cycles(reference)
        #expect(referenceCycles.count > 10)
        #expect(try cycles(takenOver) == referenceCycles)
    }
}
