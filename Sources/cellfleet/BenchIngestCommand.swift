import ArgumentParser
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

    func run() async throws {
        var logger = Logger(label: "cellfleet.bench")
        logger.logLevel = .warning
        let root = URL(fileURLWithPath: scratch).appendingPathComponent("cellfleet-bench-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let postgres = EmbeddedPostgres(rootDirectory: root.appendingPathComponent("pg"), logger: logger)
        try postgres.start()
        defer { try? postgres.stop() }
        let location = try DatabaseLocation(url: postgres.url)

        let client = PostgresClient(configuration: location.clientConfiguration, backgroundLogger: logger)
        let port = 20_000 + Int.random(in: 0..<20_000)
        var coordinatorConfiguration = CoordinatorConfiguration(listenEndpoint: "tcp://127.0.0.1:\(port)", coordinatorID: "bench")
        coordinatorConfiguration.insecure = true
        coordinatorConfiguration.maximumRowsPerTransaction = rowsPerTransaction
        coordinatorConfiguration.credit = 64
        let coordinator = Coordinator(configuration: coordinatorConfiguration, client: client, logger: logger)
        let clientTask = Task { await client.run() }
        let coordinatorTask = Task { try await coordinator.run() }
        await coordinator.waitUntilReady()

        var agentConfiguration = AgentConfiguration(
            agentID: "bench", coordinatorEndpoint: "tcp://127.0.0.1:\(port)", spoolDirectory: root.appendingPathComponent("spool"))
        agentConfiguration.simulatedChannels = channels
        agentConfiguration.unpaced = true
        agentConfiguration.samplesPerChannel = samplesPerChannel
        agentConfiguration.maximumBatchSamples = batchSamples
        agentConfiguration.insecure = true
        agentConfiguration.sampleRateHertz = 1
        let agent = Agent(configuration: agentConfiguration, logger: logger)

        say("bench ingest: \(channels) channels × \(samplesPerChannel) samples, \(batchSamples) per delivery, ≤ \(rowsPerTransaction) rows per transaction")
        let clock = ContinuousClock()
        let started = clock.now
        let summary = try await agent.runUntilFinished()
        let pathSeconds = Self.seconds(started.duration(to: clock.now))
        let counts = coordinator.statistics.snapshot
        coordinatorTask.cancel()
        _ = try? await coordinatorTask.value

        let rows = Int(try postgres.psql("SELECT count(*) FROM samples").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        guard rows == summary.samplesProduced, summary.samplesAcked == rows else {
            throw ValidationError("the database holds \(rows) rows for \(summary.samplesProduced) produced / \(summary.samplesAcked) acknowledged")
        }

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
        let copySeconds = Self.seconds(copyStarted.duration(to: clock.now))
        clientTask.cancel()

        let pathRate = Double(rows) / pathSeconds
        let copyRate = Double(rows) / copySeconds
        say(String(format: "cellfleet path : %9.0f rows/s  (%d rows in %.2f s, %d transactions, %.0f rows each)",
                   pathRate, rows, pathSeconds, counts.transactions, Double(rows) / Double(max(1, counts.transactions))))
        say(String(format: "psql \\copy CSV: %9.0f rows/s  (%.2f s)", copyRate, copySeconds))
        say(String(format: "ratio          : %.2f  (goal ≥ 0.8)", pathRate / copyRate))
        let writer = counts.encodeSeconds + counts.copySeconds + counts.statementSeconds + counts.commitSeconds
        say(String(format: "coordinator writer busy %.2f s of %.2f s: encode %.2f, COPY %.2f, other statements %.2f, commit %.2f",
                   writer, pathSeconds, counts.encodeSeconds, counts.copySeconds, counts.statementSeconds, counts.commitSeconds))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}

/// psql against the embedded cluster, as the postgres user (files it writes are in /var/tmp).
