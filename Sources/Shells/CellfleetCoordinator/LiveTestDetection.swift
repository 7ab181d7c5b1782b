import CellDetection
import CellModel
import Foundation
import Logging
import PostgresNIO

/// What the coordinator knows of one test for live detection: the test's identity (for the rows
/// it writes), its `TestDetection`, and how far it has come (the end the agent announced, the
/// last checkpoint).
struct LiveTestDetection: Sendable {
    struct Context: Sendable {
        var testID: UUID
        var agentID: String
        var channelID: String
        var cellID: String
    }

    var context: Context
    var detection: TestDetection
    /// The agent's last sequence number, once the test's end is recorded.
    var endSequence: Int64?
    var finished = false
    var checkpointedSequence: Int64 = 0
    var lastCheckpointAt: Date?

    var coveredSequence: Int64 { detection.coveredSequence ?? 0 }

    /// Samples read back from `samples` per query when replaying.
    static let replayPageRows: Int64 = 50_000

    // MARK: feeding

    /// Feeds samples (sequence numbers from `firstSequence`), doing the replays the core asks for
    /// as they come, and hands every decision to the writer.
    mutating func drive(_ columns: SampleColumns, firstSequence: Int64, writer: inout DetectionWriter) async throws {
        var index = 0
        let unixOffset = Self.unixOffset(columns)
        while index < columns.count {
            var decisions: [DetectionDecision] = []
            index = detection.ingest(columns, firstSequence: firstSequence, from: index, into: &decisions)
            if case .replay(let from, let through) = decisions.last {
                decisions.removeLast()
                try await writer.write(decisions, unixOffsetSeconds: unixOffset)
                try await feedStored(from: from, through: through, writer: &writer)
            } else {
                try await writer.write(decisions, unixOffsetSeconds: unixOffset)
            }
        }
    }

    /// Feeds the stored samples `from…through` in pages (a replay, or a catch-up after a
    /// takeover). Rows that are gone (retention dropped their day) are skipped and logged.
    mutating func feedStored(from: Int64, through: Int64, writer: inout DetectionWriter) async throws {
        var next = from
        while next <= through {
            let last = min(through, next + Self.replayPageRows - 1)
            let runs = try await StoredSamples.read(test: context.testID, from: next, through: last, connection: writer.connection, logger: writer.logger)
            var expected = next
            for run in runs {
                if run.firstSequence > expected {
                    writer.logger.warning("samples missing from storage are left out of live detection", metadata: [
                        "test": "\(context.testID.lowercased)", "from": "\(expected)", "through": "\(run.firstSequence - 1)"])
                }
                try await drive(run.columns, firstSequence: run.firstSequence, writer: &writer)
                writer.counts.samplesReplayed += run.columns.count
                expected = run.firstSequence + Int64(run.columns.count)
            }
            next = last + 1
        }
    }

    /// The test has ended and every sample up to its end is in: finish as `detect` does at the
    /// end of a file (a type still being inferred asks for its replay first).
    mutating func finish(writer: inout DetectionWriter) async throws {
        while true {
            var decisions: [DetectionDecision] = []
            detection.finish(into: &decisions)
            if case .replay(let from, let through) = decisions.last {
                decisions.removeLast()
                try await writer.write(decisions, unixOffsetSeconds: nil)
                try await feedStored(from: from, through: through, writer: &writer)
                continue
            }
            try await writer.write(decisions, unixOffsetSeconds: nil)
            break
        }
        finished = true
    }

    /// Unix time minus test time, from the first sample that has both: places the core's cycles
    /// (in test time) on the wall clock.
    static func unixOffset(_ columns: SampleColumns) -> Double? {
        for index in columns.unixTimeSeconds.indices where columns.unixTimeSeconds[index].isFinite && columns.testTimeSeconds[index].isFinite {
            return columns.unixTimeSeconds[index] - columns.testTimeSeconds[index]
        }
        return nil
    }

    // MARK: restoring

    /// The test's state from the database: its checkpoint if one of this detector's format is
    /// stored, else a new detection from the test's metadata (replayed from the first sample).
    static func restore(_ testID: UUID, in connection: PostgresConnection, logger: Logger) async throws -> LiveTestDetection {
        let rows = try await connection.query("""
            SELECT t.agent_id, t.channel_id, t.cell_id, t.cell_type, t.working_electrode, t.electrode_area_m2,
                   t.active_mass_kg, t.nominal_capacity_ah, t.voltage_min_v, t.voltage_max_v, t.attributes::text,
                   CASE WHEN t.ended_at IS NULL THEN NULL ELSE t.last_seq END,
                   c.covered_seq, c.format_version, c.state, c.finished
            FROM tests t LEFT JOIN detector_checkpoints c ON c.test_id = t.test_id
            WHERE t.test_id = \(testID)
            """, logger: logger).collect()
        // Collected, not left mid-stream (see DetectionStage.committedSequence).
        for row in rows {
            let r = row.makeRandomAccess()
            let context = Context(testID: testID, agentID: try r[0].decode(String.self), channelID: try r[1].decode(String.self),
                                  cellID: try r[2].decode(String.self))
            let metadata = TestMetadata(
                cellType: try r[3].decode(String?.self), workingElectrode: try r[4].decode(String?.self),
                electrodeAreaSquareMeters: try r[5].decode(Double?.self), activeMassKilograms: try r[6].decode(Double?.self),
                nominalCapacityAmpHours: try r[7].decode(Double?.self), voltageMinVolts: try r[8].decode(Double?.self),
                voltageMaxVolts: try r[9].decode(Double?.self), attributesJSON: try r[10].decode(String.self))
            let endSequence = try r[11].decode(Int64?.self)
            var live = LiveTestDetection(context: context, detection: metadata.detection(cellID: context.cellID, logger: logger), endSequence: endSequence)
            if let covered = try r[12].decode(Int64?.self), let version = try r[13].decode(Int?.self),
               let state = try r[14].decode(ByteBuffer?.self) {
                if version == TestDetection.checkpointFormatVersion {
                    do {
                        live.detection = try TestDetection(checkpoint: Data(state.readableBytesView))
                        live.finished = try r[15].decode(Bool?.self) ?? false
                        live.checkpointedSequence = covered
                        live.lastCheckpointAt = Date()
                    } catch {
                        logger.warning("an unreadable detector checkpoint; replaying the test from its first sample", metadata: [
                            "test": "\(testID.lowercased)", "error": "\(error)"])
                    }
                } else {
                    logger.info("a detector checkpoint of another format; replaying the test from its first sample", metadata: [
                        "test": "\(testID.lowercased)", "format": "\(version)"])
                }
            }
            return live
        }
        throw DetectionStageError.unknownTest(testID)
    }
}
