import CellModel
import Foundation
import Logging
import NIOCore
import PostgresNIO
import DeliveryProtocol
import FleetHealth
import WireProtocol

/// One group commit: the test starts, sample batches, test ends and source quarantines of many
/// deliveries, from many agents, in one transaction. It carries out what `IngestPlanner`
/// decides: record the starts, lock each touched test's high-water mark, copy the new rows and
/// advance the marks, record the ends and the quarantines (with their F4 alerts), and let the
/// commit stages see the new samples — all before the one COMMIT.
struct IngestTransaction {
    var deliveries: [IngestDelivery]

    struct Result: Sendable {
        var outcomes: [IngestOutcome]
        var samplesCommitted = 0
        var samplesDuplicate = 0
        var nonFiniteValues = 0
        var samplesLost = 0
        var encodeSeconds = 0.0
        var copySeconds = 0.0
        var statementSeconds = 0.0
        /// The stages as they are once this transaction commits (to be kept only if it does).
        var stages: [any CommitStage] = []
    }

    func run(on connection: PostgresConnection, stages: [any CommitStage] = [], logger: Logger) async throws -> Result {
        let planner = IngestPlanner(deliveries: deliveries)
        let clock = ContinuousClock()
        var mark = clock.now
        func lap() -> Double {
            let now = clock.now
            defer { mark = now }
            let elapsed = now - mark
            return elapsed.inSeconds
        }

        // 1. Test starts (idempotent), before the marks are locked so the lock sees their owners.
        for index in planner.startsToRecord {
            guard case .start(let start) = deliveries[index].body, let testID = deliveries[index].testID else { continue }
            // The coordinator refused a cell with a `problem` on receipt, so what is left maps
            // straight onto the columns (and their checks); unknown values are NULL.
            let cell = start.cell
            let cellType = cell.knownCellType?.rawValue
            let workingElectrode = cell.knownWorkingElectrode?.rawValue
            let attributes = String(decoding: try JSONSerialization.data(withJSONObject: cell.attributes, options: [.sortedKeys]), as: UTF8.self)
            _ = try await connection.query("""
                INSERT INTO tests (test_id, agent_id, channel_id, cell_id, cell_type, working_electrode, electrode_area_m2,
                                   active_mass_kg, nominal_capacity_ah, voltage_min_v, voltage_max_v, attributes, started_at)
                VALUES (\(testID), \(start.agentID), \(start.channelID), \(cell.cellID), \(cellType), \(workingElectrode),
                        \(cell.electrodeAreaSquareMeters), \(cell.activeMassKilograms), \(cell.nominalCapacityAmpHours),
                        \(cell.voltageMinVolts), \(cell.voltageMaxVolts), \(attributes)::jsonb, to_timestamp(\(start.startUnixTimeS)))
                ON CONFLICT (test_id) DO NOTHING
                """, logger: logger).collect()
            _ = try await connection.query(
                "INSERT INTO test_progress (test_id) VALUES (\(testID)) ON CONFLICT (test_id) DO NOTHING",
                logger: logger).collect()
        }

        // 2. Lock the high-water marks of every test touched, in a fixed order (no deadlocks
        //    between coordinators).
        //    With them, each test's arrival cadence so far (fleet health, F1) and the
        //    transaction's time on the database's clock, the one every coordinator shares.
        var marks: [UUID: TestMark] = [:]
        var cadences: [UUID: ArrivalCadence] = [:]
        var databaseNow = 0.0
        let rows = try await connection.query("""
            SELECT p.test_id, p.committed_seq, t.agent_id, extract(epoch FROM p.last_sample_at)::float8, p.usual_interval_s,
                   extract(epoch FROM now())::float8, extract(epoch FROM t.started_at)::float8,
                   CASE WHEN t.ended_at IS NULL THEN NULL ELSE t.last_seq END
            FROM test_progress p JOIN tests t ON t.test_id = p.test_id
            WHERE p.test_id = ANY(\(planner.testsToLock))
            ORDER BY p.test_id
            FOR UPDATE OF p
            """, logger: logger)
        for try await (testID, committed, agentID, lastArrival, usualInterval, now, started, endedAt)
            in rows.decode((UUID, Int64, String, Double?, Double?, Double, Double?, Int64?).self) {
            marks[testID] = TestMark(committedSequence: committed, ownerAgentID: agentID, startUnixTimeSeconds: started, endedAtSequence: endedAt)
            cadences[testID] = ArrivalCadence(lastArrivalSeconds: lastArrival, usualIntervalSeconds: usualInterval)
            databaseNow = now
        }

        // 3. Decide each delivery against the marks (cheap; nothing encoded yet).
        let plan = planner.plan(marks: marks, nowUnixTimeSeconds: databaseNow == 0 ? nil : databaseNow)
        var result = Result(outcomes: plan.outcomes, samplesCommitted: plan.samplesCommitted, samplesDuplicate: plan.samplesDuplicate)
        result.statementSeconds += lap()

        // 4. COPY the rows and advance the marks, in the same transaction. Rows are encoded in
        //    chunks and each chunk is sent as soon as it is full, so the server parses one chunk
        //    while the next is encoded rather than after all of them.
        // 3b. Holes the agents declared, with their F5 alerts (their marks move below, or with
        //     the test's end).
        for loss in plan.losses {
            result.samplesLost += Int(loss.sampleCount)
            try await SampleLossRecords.record(loss, agentID: deliveries[loss.delivery].agentID, in: connection, logger: logger)
        }

        if plan.samplesCommitted > 0 || !plan.advancedMarks.isEmpty {
            var encodeDuration = Duration.zero
            var nonFinite = 0
            let deliveries = self.deliveries
            if plan.samplesCommitted > 0 { try await connection.copyFrom(
                table: "samples",
                columns: ["test_id", "seq", "unix_time_s", "test_time_s", "voltage_v", "current_a", "capacity_ah",
                          "energy_wh", "temperature_c", "step_index", "step_type", "cycle_index"],
                logger: logger
            ) { writer in
                var encoder = CopyTextEncoder(capacity: Self.copyChunkBytes + 4096)
                for entry in plan.rows {
                    guard case .batch(let batch) = deliveries[entry.delivery].body else { continue }
                    let testID = entry.testID.uuidString.lowercased()
                    var row = entry.skip
                    while row < entry.skip + entry.count {
                        let started = clock.now
                        row = Self.encode(batch, testID: testID, from: row, into: &encoder, untilBytes: Self.copyChunkBytes)
                        encodeDuration += clock.now - started
                        if encoder.buffer.readableBytes >= Self.copyChunkBytes {
                            nonFinite += encoder.nonFiniteValues
                            try await writer.write(encoder.buffer)
                            encoder = CopyTextEncoder(capacity: Self.copyChunkBytes + 4096)
                        }
                    }
                }
                nonFinite += encoder.nonFiniteValues
                if encoder.buffer.readableBytes > 0 { try await writer.write(encoder.buffer) }
            } }
            result.nonFiniteValues = nonFinite
            let copyAndEncode = lap()
            let encodeSeconds = encodeDuration.inSeconds
            result.encodeSeconds += encodeSeconds
            result.copySeconds += max(0, copyAndEncode - encodeSeconds)
            let advanced = plan.advancedMarks.sorted { $0.key.uuidString < $1.key.uuidString }
            let ids = advanced.map(\.key)
            let sequences = advanced.map(\.value)
            // Fleet health rides on the same UPDATE: the arrival (now), the cadence it makes and
            // how far the newest sample's clock is ahead of this coordinator's (NaN for unknown).
            let health = Self.arrivals(of: plan, deliveries: deliveries, tests: ids, cadences: cadences,
                                       databaseNowSeconds: databaseNow, coordinatorNowSeconds: Date().timeIntervalSince1970)
            _ = try await connection.query("""
                UPDATE test_progress SET committed_seq = u.seq, updated_at = now(), last_sample_at = now(),
                       usual_interval_s = NULLIF(u.usual, 'NaN'::float8),
                       sample_clock_ahead_s = COALESCE(NULLIF(u.ahead, 'NaN'::float8), test_progress.sample_clock_ahead_s),
                       last_test_time_s = COALESCE(NULLIF(u.test_time, 'NaN'::float8), test_progress.last_test_time_s)
                FROM unnest(\(ids)::uuid[], \(sequences)::int8[], \(health.usualIntervals)::float8[], \(health.clockAhead)::float8[],
                            \(health.lastTestTimes)::float8[])
                     AS u(test_id, seq, usual, ahead, test_time)
                WHERE test_progress.test_id = u.test_id
                """, logger: logger).collect()
        }

        // 5. Test ends.
        for index in plan.endsToRecord {
            guard case .end(let end) = deliveries[index].body, let testID = deliveries[index].testID else { continue }
            _ = try await connection.query("""
                UPDATE tests SET ended_at = COALESCE(ended_at, to_timestamp(\(end.endUnixTimeS))),
                                 end_reason = COALESCE(end_reason, \(end.reason)),
                                 last_seq = \(Int64(clamping: end.lastSeq))
                WHERE test_id = \(testID)
                """, logger: logger).collect()
        }

        // 5b. Source quarantines and their F4 alerts (after the starts, so a quarantine names a
        //     test started in this same group); a re-sent one is found recorded and changes nothing.
        for index in plan.quarantinesToRecord {
            guard case .quarantine(let quarantine) = deliveries[index].body else { continue }
            try await SourceQuarantineRecords.record(quarantine, from: deliveries[index].agentID, deliveryID: deliveries[index].deliveryID,
                                                     in: connection, logger: logger)
        }

        // 6. The commit stages, on copies: their writes commit or roll back with the samples.
        var staged = stages
        if !staged.isEmpty {
            for (testID, rows) in plan.rowsByTest {
                let samples = CommittedSamples(testID: testID, rows: rows, deliveries: deliveries)
                for index in staged.indices {
                    try await staged[index].stage(samples, in: connection, logger: logger)
                }
            }
            for index in plan.endsToRecord {
                guard case .end(let end) = deliveries[index].body, let testID = deliveries[index].testID else { continue }
                let committed = plan.advancedMarks[testID] ?? marks[testID]?.committedSequence ?? 0
                for stage in staged.indices {
                    try await staged[stage].ended(testID, lastSequence: Int64(clamping: end.lastSeq), committedSequence: committed,
                                                  in: connection, logger: logger)
                }
            }
        }
        result.stages = staged
        result.statementSeconds += lap()
        return result
    }

    /// Per test of `tests` (in that order), for fleet health: the usual interval between arrivals
    /// once this one is counted, and how far the unix time of its newest row is ahead of the
    /// coordinator's clock — NaN where unknown.
    static func arrivals(of plan: IngestPlan, deliveries: [IngestDelivery], tests: [UUID], cadences: [UUID: ArrivalCadence],
                         databaseNowSeconds: Double, coordinatorNowSeconds: Double)
        -> (usualIntervals: [Double], clockAhead: [Double], lastTestTimes: [Double]) {
        // The last new row of each batch stands for it (a source stamps its samples in order):
        // no per-row work on the ingest path.
        var newest: [UUID: Double] = [:]
        // The test time of each test's highest new seq: where a running test's life is censored
        // (`GET /stats`), without a look into `samples` per test.
        var lastTestTime: [UUID: (seq: Int64, time: Double)] = [:]
        for entry in plan.rows where entry.count > 0 {
            guard case .batch(let batch) = deliveries[entry.delivery].body else { continue }
            let lastRow = entry.skip + entry.count - 1
            let last = batch.unixTimeS[lastRow]
            if last.isFinite { newest[entry.testID] = max(newest[entry.testID] ?? -.infinity, last) }
            let seq = Int64(batch.firstSeq) + Int64(lastRow), time = batch.testTimeS[lastRow]
            if time.isFinite, seq > lastTestTime[entry.testID]?.seq ?? .min { lastTestTime[entry.testID] = (seq, time) }
        }
        var usualIntervals: [Double] = [], clockAhead: [Double] = [], lastTestTimes: [Double] = []
        for test in tests {
            var cadence = cadences[test] ?? ArrivalCadence()
            cadence.arrived(atSeconds: databaseNowSeconds)
            usualIntervals.append(cadence.usualIntervalSeconds ?? .nan)
            let latest = newest[test] ?? -.infinity
            clockAhead.append(latest.isFinite ? latest - coordinatorNowSeconds : .nan)
            lastTestTimes.append(lastTestTime[test]?.time ?? .nan)
        }
        return (usualIntervals, clockAhead, lastTestTimes)
    }

    /// Bytes of COPY text sent per write: large enough that the per-message overhead is small,
    /// small enough that the server starts on the rows early.
    static let copyChunkBytes = 256 << 10

    /// Encodes rows from `start` until the batch ends or the buffer holds `untilBytes`; returns the
    /// next row to encode.
    static func encode(_ batch: Cellfleet_Wire_V1_SampleBatch, testID: String, from start: Int, into encoder: inout CopyTextEncoder, untilBytes: Int = .max) -> Int {
        let first = Int64(batch.firstSeq)
        let hasCapacity = !batch.capacityAh.isEmpty, hasEnergy = !batch.energyWh.isEmpty
        let hasTemperature = !batch.temperatureC.isEmpty, hasStep = !batch.stepIndex.isEmpty
        let hasStepType = !batch.stepType.isEmpty, hasCycle = !batch.cycleIndex.isEmpty
        for i in start..<batch.testTimeS.count {
            if encoder.buffer.readableBytes >= untilBytes { return i }
            encoder.writeUUID(testID)
            encoder.writeInteger(first + Int64(i))
            encoder.writeDouble(batch.unixTimeS[i])
            encoder.writeDouble(batch.testTimeS[i])
            encoder.writeDouble(batch.voltageV[i])
            encoder.writeDouble(batch.currentA[i])
            if hasCapacity { encoder.writeDouble(batch.capacityAh[i]) } else { encoder.writeNull() }
            if hasEnergy { encoder.writeDouble(batch.energyWh[i]) } else { encoder.writeNull() }
            if hasTemperature { encoder.writeDouble(batch.temperatureC[i]) } else { encoder.writeNull() }
            if hasStep { encoder.writeInteger(batch.stepIndex[i]) } else { encoder.writeNull() }
            if hasStepType { encoder.writeInteger(Int16(clamping: batch.stepType[i].rawValue)) } else { encoder.writeNull() }
            if hasCycle { encoder.writeInteger(batch.cycleIndex[i], last: true) } else { encoder.writeNull(last: true) }
        }
        return batch.testTimeS.count
    }
}
