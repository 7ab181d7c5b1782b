import ArgumentParser
import CellfleetCoordinator
import EmbeddedPostgres
import Foundation
import Logging
import PostgresNIO

/// `cellfleet bench compact`: the bytes a sample on disk as rows of `samples` and as compacted
/// chunks, measured with `pg_total_relation_size` on the same data, and the compaction rate
/// against a reference in the same run: reading the same rows out of PostgreSQL into Swift,
/// which compaction must do anyway (issue 16 §4).
struct BenchCompactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Bytes a sample before and after compaction, and the compaction rate against reading the same rows.")

    @Option(help: "Tests (channels) of back-filled history.")
    var tests = 16

    @Option(help: "Days of history per test, at 1 Hz.")
    var days = 2

    @Option(help: "Scratch directory (a fresh database is made under it and removed).")
    var scratch = "/var/tmp"

    func run() async throws {
        var logger = Logger(label: "cellfleet.bench.compact")
        logger.logLevel = .warning
        let root = URL(fileURLWithPath: scratch).appendingPathComponent("cellfleet-bench-compact-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let postgres = EmbeddedPostgres(rootDirectory: root.appendingPathComponent("pg"), logger: logger)
        try postgres.start()
        defer { try? postgres.stop() }
        let client = PostgresClient(configuration: try DatabaseLocation(url: postgres.url).clientConfiguration, backgroundLogger: logger)
        let clientTask = Task { await client.run() }
        defer { clientTask.cancel() }
        try await SchemaMigrations(directory: try SchemaMigrations.locateDirectory()).apply(client: client, logger: logger)

        let samples = tests * days * 86_400
        say("bench compact: \(tests) tests × \(days) days at 1 Hz = \(samples) samples, quantised as instruments store them")
        try postgres.psql(Self.history(tests: tests, days: days))
        // Their days' partitions, as a coordinator's maintenance makes them.
        var maintenance = SamplePartitionMaintenance(policy: SamplePartitionPolicy())
        maintenance.maximumDaysPerPass = 1000
        _ = try await maintenance.runOnce(client: client, logger: logger)
        try postgres.psql("VACUUM ANALYZE")
        let rowsBytes = try Self.bytes(postgres, of: "samples")
        let clock = ContinuousClock()

        // Reference: every row read into Swift, decoded as the compactor decodes them.
        let readStart = clock.now
        var read = 0
        let rows = try await client.query("SELECT \(unescaped: SampleChunkStore.columns) FROM samples", logger: logger)
        for try await _ in rows.decode(SampleChunkStore.RowTuple.self) { read += 1 }
        let readSeconds = readStart.duration(to: clock.now).inSeconds

        let compactStart = clock.now
        var policy = SampleCompactionPolicy()
        policy.olderThanSeconds = 0
        let pass = try await SampleCompactionPass(policy: policy).runUntilDone(client: client, logger: logger)
        let compactSeconds = compactStart.duration(to: clock.now).inSeconds
        try postgres.psql("VACUUM ANALYZE")
        let chunkBytes = try Self.bytes(postgres, of: "sample_chunks")
        let left = Int(try postgres.psql("SELECT count(*) FROM samples").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        guard read == samples, pass.compacted.rows == samples, left == 0 else {
            throw ValidationError("bench compact: read \(read), compacted \(pass.compacted.rows), left \(left) of \(samples) samples")
        }
        let readRate = Double(read) / readSeconds, compactRate = Double(samples) / compactSeconds
        say(String(format: "rows of samples: %.1f bytes a sample on disk (pg_total_relation_size of its partitions)", Double(rowsBytes) / Double(samples)))
        say(String(format: "chunks: %.2f bytes a sample on disk (%.2f encoded), %.1f× smaller", Double(chunkBytes) / Double(samples),
                   Double(pass.compacted.bytes) / Double(samples), Double(rowsBytes) / Double(chunkBytes)))
        say(String(format: "reading the rows: %.0f samples/s; compacting them: %.0f samples/s; ratio (compaction / read) %.2f", readRate, compactRate, compactRate / readRate))
        let line: [String: Any] = [
            "samples": samples, "bytes_per_sample": Double(rowsBytes) / Double(samples),
            "bytes_per_sample_compacted": Double(chunkBytes) / Double(samples),
            "encoded_bytes_per_sample": Double(pass.compacted.bytes) / Double(samples),
            "read_samples_per_s": readRate, "compacted_samples_per_s": compactRate, "ratio_compaction_to_read": compactRate / readRate,
        ]
        print(String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self))
    }

    /// Bytes on disk of a table and, for a partitioned one, of its partitions (its own size is 0).
    static func bytes(_ postgres: EmbeddedPostgres, of table: String) throws -> Int {
        let sql = """
            SELECT pg_total_relation_size('\(table)'::regclass)
                 + coalesce((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = '\(table)'::regclass), 0)
            """
        return Int(try postgres.psql(sql).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// A galvanostatic cycle per test at 1 Hz ending three days ago, every column quantised as
    /// issue 16 says instruments store them: voltage 0.1 mV, current 0.1 µA, time 1 ms,
    /// temperature 0.01 °C, capacity 1 nAh; the clock jitters by a few ms, voltage and
    /// temperature are noisy (a fixed seed: the same data every run).
    static func history(tests: Int, days: Int) -> String {
        """
        SELECT setseed(0.25);
        INSERT INTO tests (test_id, agent_id, channel_id, cell_id, started_at)
        SELECT ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 'bench', 'ch' || i, 'cell-' || i,
               to_timestamp(floor(extract(epoch FROM now()) / 86400 - \(days + 3)) * 86400)
        FROM generate_series(1, \(tests)) AS i;
        INSERT INTO samples (test_id, seq, unix_time_s, test_time_s, voltage_v, current_a, capacity_ah, energy_wh, temperature_c,
                             step_index, step_type, cycle_index)
        SELECT t.test_id, s,
               (floor(extract(epoch FROM now()) / 86400 - \(days + 3)) * 86400 * 1000 + s * 1000 + floor(random() * 5))::float8 / 1000,
               (s * 1000 + floor(random() * 5))::float8 / 1000,
               (36000 + (s % 3600) / 3 * (CASE WHEN (s / 3600) % 2 = 0 THEN 1 ELSE -1 END) + floor(random() * 7) - 3)::float8 / 10000,
               (CASE WHEN (s / 3600) % 2 = 0 THEN 10000 ELSE -10000 END + floor(random() * 5) - 2)::float8 / 10000000,
               ((s % 3600) * 278)::float8 / 1000000000,
               ((s % 3600) * 1)::float8 / 1000000,
               (2500 + floor(random() * 5) - 2)::float8 / 100,
               s / 3600, CASE WHEN (s / 3600) % 2 = 0 THEN 1 ELSE 2 END, s / 7200
        FROM tests t, generate_series(1, \(days * 86_400)) AS s WHERE t.agent_id = 'bench';
        """
    }
}
