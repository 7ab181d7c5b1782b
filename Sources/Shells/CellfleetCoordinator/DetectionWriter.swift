import CellDetection
import CellModel
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Writes live detection's decisions for one test in the ingest transaction. Every write is
/// idempotent on its natural key, so a replay that derives a decision again changes nothing:
/// an alert is stored once per (test, rule, kind, seq), a cycle once per (test, cycle), and an
/// episode's end resolves its alert only while it is open.
struct DetectionWriter {
    let test: LiveTestDetection.Context
    let connection: PostgresConnection
    let logger: Logger
    var counts = DetectionCounts()

    init(test: LiveTestDetection.Context, connection: PostgresConnection, logger: Logger) {
        self.test = test
        self.connection = connection
        self.logger = logger
    }

    /// `unixOffsetSeconds`: unix time minus test time of the samples the decisions came from.
    mutating func write(_ decisions: [DetectionDecision], unixOffsetSeconds: Double?) async throws {
        for decision in decisions {
            switch decision {
            case .raise(let alert, let key):
                try await raise(alert, key: key)
            case .episode(let episode):
                try await record(episode)
            case .cycleCompleted(let cycle):
                try await store(cycle, unixOffsetSeconds: unixOffsetSeconds)
            case .replay:
                // The caller does replays; one reaching here would be a bug in the caller.
                preconditionFailure("replays are done by LiveTestDetection before writing")
            }
        }
    }

    private mutating func raise(_ alert: Alert, key: AlertKey) async throws {
        let evidence = Self.json(alert.evidence)
        let rows = try await connection.query("""
            INSERT INTO alerts (test_id, agent_id, channel_id, cell_id, rule, kind, severity, seq, test_time_s, cycle_index,
                                occurrences, last_test_time_s, message, evidence, source)
            VALUES (\(test.testID), \(test.agentID), \(test.channelID), \(test.cellID), \(key.rule.rawValue), \(key.kind),
                    \(alert.severity.rawValue), \(key.sequence), \(Self.finite(alert.testTimeSeconds)), \(alert.cycle),
                    \(alert.count), \(alert.lastTestTimeSeconds.flatMap(Self.finite)), \(alert.message), \(evidence)::jsonb, 'detector')
            ON CONFLICT (test_id, rule, (COALESCE(kind, '')), seq) WHERE seq IS NOT NULL DO NOTHING
            RETURNING alert_id
            """, logger: logger)
        var inserted = false
        for try await _ in rows { inserted = true }
        if inserted {
            counts.alertsRaised += 1
            logger.notice("alert", metadata: [
                "test": "\(test.testID.lowercased)", "cell": "\(test.cellID)", "rule": "\(key.rule.rawValue)",
                "severity": "\(alert.severity.rawValue)", "message": "\(alert.message)"])
        } else {
            counts.alertsAlreadyStored += 1
        }
    }

    /// An episode's end: its count and last time, and — for a warn or a data-quality note — its
    /// alert resolved (a fail alert latches: a person resolves it).
    private mutating func record(_ episode: AlertEpisode) async throws {
        guard episode.phase == .closed else { return }
        let resolves = episode.severity != .fail
        _ = try await connection.query("""
            UPDATE alerts SET occurrences = \(episode.count), last_test_time_s = \(Self.finite(episode.lastTestTimeSeconds)),
                              state = CASE WHEN \(resolves) THEN 'resolved' ELSE state END,
                              resolved_at = CASE WHEN \(resolves) THEN now() ELSE resolved_at END,
                              resolved_by = CASE WHEN \(resolves) THEN 'detector' ELSE resolved_by END
            WHERE test_id = \(test.testID) AND rule = \(episode.rule.rawValue) AND kind IS NOT DISTINCT FROM \(episode.kind)
              AND test_time_s = \(Self.finite(episode.startTestTimeSeconds)) AND source = 'detector' AND state <> 'resolved'
            """, logger: logger).collect()
        counts.episodesEnded += 1
    }

    private mutating func store(_ cycle: CycleSummary, unixOffsetSeconds: Double?) async throws {
        let f = Self.finite
        let start = unixOffsetSeconds.map { cycle.startTestTimeSeconds + $0 }.flatMap(f)
        let end = unixOffsetSeconds.map { cycle.endTestTimeSeconds + $0 }.flatMap(f)
        let rows = try await connection.query("""
            INSERT INTO cycle_summaries (
                test_id, cycle_index, start_unix_time_s, end_unix_time_s, charge_capacity_ah, discharge_capacity_ah,
                charge_energy_wh, discharge_energy_wh, coulombic_efficiency, mean_charge_voltage_v, mean_discharge_voltage_v,
                sample_count, start_test_time_s, end_test_time_s, charge_seconds, discharge_seconds, rest_seconds,
                cell_coulombic_efficiency, energy_efficiency, charge_plateau_overpotential_v, discharge_plateau_overpotential_v,
                dc_resistance_ohm, state_of_health, temperature_max_c, end_of_charge_voltage_v, end_of_discharge_voltage_v)
            VALUES (\(test.testID), \(cycle.cycle), \(start), \(end), \(f(cycle.chargeCapacityAmpHours)), \(f(cycle.dischargeCapacityAmpHours)),
                    \(f(cycle.chargeEnergyWattHours)), \(f(cycle.dischargeEnergyWattHours)), \(cycle.coulombicEfficiency.flatMap(f)),
                    \(cycle.meanChargeVoltageVolts.flatMap(f)), \(cycle.meanDischargeVoltageVolts.flatMap(f)),
                    \(Int64(cycle.sampleCount)), \(f(cycle.startTestTimeSeconds)), \(f(cycle.endTestTimeSeconds)),
                    \(f(cycle.chargeSeconds)), \(f(cycle.dischargeSeconds)), \(f(cycle.restSeconds)),
                    \(cycle.cellCoulombicEfficiency.flatMap(f)), \(cycle.energyEfficiency.flatMap(f)),
                    \(cycle.chargePlateauOverpotentialVolts.flatMap(f)), \(cycle.dischargePlateauOverpotentialVolts.flatMap(f)),
                    \(cycle.directCurrentResistanceOhms.flatMap(f)), \(cycle.stateOfHealth.flatMap(f)),
                    \(cycle.temperatureMaxCelsius.flatMap(f)), \(cycle.endOfChargeVoltageVolts.flatMap(f)),
                    \(cycle.endOfDischargeVoltageVolts.flatMap(f)))
            ON CONFLICT (test_id, cycle_index) DO NOTHING
            RETURNING cycle_index
            """, logger: logger)
        var inserted = false
        for try await _ in rows { inserted = true }
        if inserted { counts.cyclesStored += 1 }
    }

    /// The state and the sequence number it covers; never moves a newer checkpoint back.
    mutating func writeCheckpoint(_ live: LiveTestDetection) async throws {
        let state = ByteBuffer(bytes: try live.detection.checkpoint())
        _ = try await connection.query("""
            INSERT INTO detector_checkpoints (test_id, covered_seq, format_version, state, finished, updated_at)
            VALUES (\(test.testID), \(live.coveredSequence), \(TestDetection.checkpointFormatVersion), \(state), \(live.finished), now())
            ON CONFLICT (test_id) DO UPDATE SET covered_seq = EXCLUDED.covered_seq, format_version = EXCLUDED.format_version,
                state = EXCLUDED.state, finished = EXCLUDED.finished, updated_at = now()
            WHERE detector_checkpoints.covered_seq <= EXCLUDED.covered_seq
            """, logger: logger).collect()
        counts.checkpointsWritten += 1
    }

    /// NaN and infinities have no place in a summary column or in JSON: stored as NULL.
    static func finite(_ value: Double) -> Double? { value.isFinite ? value : nil }

    /// Evidence as a JSON object, keys sorted, non-finite values as null.
    static func json(_ evidence: [String: Double]) -> String {
        let object: [String: Any] = evidence.mapValues { $0.isFinite ? $0 as Any : NSNull() }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
