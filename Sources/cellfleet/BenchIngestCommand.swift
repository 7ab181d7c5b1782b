import ArgumentParser
import CellModel
import CellfleetAgent
import CellfleetCoordinator
import EmbeddedPostgres
import Foundation
import Logging
import PostgresNIO

/// `cellfleet bench ingest`: simulated channels as fast as possible through the real path
/// (spool → ZeroMQ → coordinator → committed rows) against a database it starts, then, in the
/// same run, `psql` CSV `\copy` of the same rows into an equivalent table with the same keys.
struct BenchIngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Ingest rate through the real path against psql COPY of the same rows.")

    @Option(help: "Simulated channels.")
    var channels = 16

    @Option(help: "Samples per channel.")
    var samplesPerChannel = 50_000

    @Option(help: "Samples per delivery (agent batch size).")
    var batchSamples = 2_000

    @Option(help: "Rows per coordinator transaction at most.")
    var rowsPerTransaction = 20_000

    @Option(help: "Scratch directory (a fresh database and spool are made under it and removed).")
    var scratch = "/var/tmp"

    @Option(help: "Rounds of detection off then on; the medians are compared (one pair is mostly the disk's noise).")
    var rounds = 3

    /// One pass through the real path, into a database of its own.
    struct PathRun {
        var rows: Int
        var seconds: Double
        var counts: IngestCounts
        var detection: DetectionCounts?
        var postgres: EmbeddedPostgres
        var rate: Double { Double(rows) / seconds }
    }

    func run() async throws {
        var logger = Logger(label: "cellfleet.bench")
        logger.logLevel = .warning
        let root = URL(fileURLWithPath: scratch).appendingPathComponent("cellfleet-bench-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        say("bench ingest: \(channels) channels × \(samplesPerChannel) samples, \(batchSamples) per delivery, ≤ \(rowsPerTransaction) rows per transaction")
        // Detection off, then on, `rounds` times: the same samples (the same seed) through the
        // same path, each into a database of its own. The last round's "on" database stays for
        // the reference; the others are dropped as soon as they are measured.
        var offs: [PathRun] = [], ons: [PathRun] = []
        for round in 0..<max(1, rounds) {
            let off = try await runPath(detection: false, root: root.appendingPathComponent("off-\(round)"), logger: logger)
            try? off.postgres.stop()
            offs.append(off)
            let on = try await runPath(detection: true, root: root.appendingPathComponent("on-\(round)"), logger: logger)
            if round < max(1, rounds) - 1 { try? on.postgres.stop() }
            ons.append(on)
            say(String(format: "round %d: detection off %.0f rows/s, on %.0f rows/s (%+.1f %%)", round + 1, off.rate, on.rate, (1 - on.rate / off.rate) * 100))
        }
        func median(_ runs: [PathRun]) -> PathRun { runs.sorted { $0.rate < $1.rate }[runs.count / 2] }
        let off = median(offs), on = median(ons)
        let postgres = ons.last!.postgres
        defer { try? postgres.stop() }
        let clock = ContinuousClock()

        // Reference: the same rows, exported as CSV, loaded by psql \copy in one transaction into
        // a table laid out as `samples` is: same columns, keys and daily partitions.
        let csv = postgres.rootDirectory.appendingPathComponent("samples.csv").path  // writable by the postgres user
        try postgres.psql("\\copy (SELECT * FROM samples) TO '\(csv)' CSV")
        try postgres.psql("CREATE TABLE samples_reference (LIKE samples INCLUDING ALL) PARTITION BY RANGE (unix_time_s)")
        try postgres.psql("""
            DO $$ DECLARE p record; BEGIN
              FOR p IN SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
                       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                       WHERE i.inhparent = 'samples'::regclass LOOP
                EXECUTE format('CREATE TABLE %I PARTITION OF samples_reference %s', 'reference_' || p.relname, p.bound);
              END LOOP;
            END $$
            """)
        try postgres.psql("CHECKPOINT")
        let copyStarted = clock.now
        try postgres.psql("\\copy samples_reference FROM '\(csv)' CSV")
        let copySeconds = copyStarted.duration(to: clock.now).inSeconds
        let copyRate = Double(ons.last!.rows) / copySeconds

        for (name, run) in [("detection off", off), ("detection on ", on)] {
            say(String(format: "cellfleet path (%@, median of %d): %9.0f rows/s  (%d rows in %.2f s, %d transactions, %.0f rows each)",
                       name, offs.count, run.rate, run.rows, run.seconds, run.counts.transactions, Double(run.rows) / Double(max(1, run.counts.transactions))))
        }
        say(String(format: "psql \\copy CSV: %9.0f rows/s  (%.2f s)", copyRate, copySeconds))
        say(String(format: "ratio (detection off): %.2f  (goal ≥ 0.8)", off.rate / copyRate))
        say(String(format: "ratio (detection on) : %.2f", on.rate / copyRate))
        say(String(format: "detection costs %.1f %% of ingest throughput, medians (goal ≤ 10 %%)", (1 - on.rate / off.rate) * 100))
        // What detection itself adds to the writer, less noisy than the throughputs: its time in
        // the transactions plus the statements it adds (alerts, cycles, checkpoints).
        if let detection = on.detection {
            let added = detection.detectionSeconds + max(0, on.counts.statementSeconds - off.counts.statementSeconds)
            let busy = on.counts.encodeSeconds + on.counts.copySeconds + on.counts.statementSeconds + on.counts.commitSeconds
            say(String(format: "detection's own work in the writer: %.2f s of %.2f s busy (%.1f %%)", added, busy, added / busy * 100))
        }
        if let detection = on.detection {
            say(String(format: "detection: %.2f s in the transactions, %d alerts, %d cycle summaries, %d checkpoints",
                       detection.detectionSeconds, detection.alertsRaised, detection.cyclesStored, detection.checkpointsWritten))
        }
        for (name, run) in [("off", off), ("on", on)] {
            let counts = run.counts
            let writer = counts.encodeSeconds + counts.copySeconds + counts.statementSeconds + counts.commitSeconds
            say(String(format: "coordinator writer (detection %@) busy %.2f s of %.2f s: encode %.2f, COPY %.2f, other statements %.2f, commit %.2f",
                       name, writer, run.seconds, counts.encodeSeconds, counts.copySeconds, counts.statementSeconds, counts.commitSeconds))
        }
    }

    func runPath(detection: Bool, root: URL, logger: Logger) async throws -> PathRun {
        let stage = DetectionStage()
        let bench = try await BenchCoordinator(root: root, stages: detection ? [stage] : [], logger: logger) { configuration in
            configuration.maximumRowsPerTransaction = rowsPerTransaction
            configuration.credit = 64
        }
        defer { bench.stopClient() }
        let postgres = bench.postgres

        var agentConfiguration = AgentConfiguration(
            agentID: "bench", coordinatorEndpoint: bench.endpoint, spoolDirectory: root.appendingPathComponent("spool"))
        agentConfiguration.simulatedChannels = channels
        agentConfiguration.unpaced = true
        agentConfiguration.samplesPerChannel = samplesPerChannel
        agentConfiguration.maximumBatchSamples = batchSamples
        agentConfiguration.insecure = true
        agentConfiguration.sampleRateHertz = 1
        let agent = Agent(configuration: agentConfiguration, logger: logger)

        let clock = ContinuousClock()
        let started = clock.now
        let summary = try await agent.runUntilFinished()
        let seconds = started.duration(to: clock.now).inSeconds
        let counts = bench.coordinator.statistics.snapshot
        await bench.stopCoordinator()

        let rows = Int(try postgres.psql("SELECT count(*) FROM samples").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        guard rows == summary.samplesProduced, summary.samplesAcked == rows else {
            throw ValidationError("the database holds \(rows) rows for \(summary.samplesProduced) produced / \(summary.samplesAcked) acknowledged")
        }
        return PathRun(rows: rows, seconds: seconds, counts: counts, detection: detection ? stage.statistics.snapshot : nil, postgres: postgres)
    }
}

/// psql against the embedded cluster, as the postgres user (files it writes are in /var/tmp).
