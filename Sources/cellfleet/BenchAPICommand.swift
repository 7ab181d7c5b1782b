import ArgumentParser
import CellfleetAPI
import CellfleetCoordinator
import EmbeddedPostgres
import Foundation
import Logging
import PostgresNIO

/// `cellfleet bench api`: the HTTP API's latency with wrk on loopback (issue 15's benchmark) —
/// `GET /fleet` over 10 000 channels, `GET /tests/{id}/samples?points=2000` over a
/// 10-million-sample test, `GET /stats` over 10 000 tests — against references in the same run:
/// `GET /session` (the HTTP, token and JSON floor) and one scan of the long test's rows in
/// PostgreSQL (what a downsample without the summary would cost at the least).
struct BenchAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api", abstract: "HTTP API latency (wrk on loopback) over a generated fleet, against a floor and a raw scan (docs/api.md).")

    @Option(help: "Channels in the fleet, each with a running test.") var channels = 10_000
    @Option(help: "Samples of the long test.") var samples = 10_000_000
    @Option(help: "Seconds of wrk per route.") var seconds = 10
    @Option(help: "wrk's open connections.") var connections = 4
    @Option(help: "Keep the generated database here (reused when it exists) instead of a temporary one.") var dataDir: String?

    func run() async throws {
        guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ValidationError("wrk is not installed (deploy/install-dependencies.sh installs it)")
        }
        var logger = Logger(label: "cellfleet.bench.api")
        logger.logLevel = .warning
        let root = URL(fileURLWithPath: dataDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("cellfleet-bench-api-\(UUID().uuidString)").path)
        let temporary = dataDir == nil
        defer { if temporary { try? FileManager.default.removeItem(at: root) } }
        let postgres = EmbeddedPostgres(rootDirectory: root.appendingPathComponent("pg"), logger: logger)
        try postgres.start()
        defer { try? postgres.stop() }
        let client = PostgresClient(configuration: try DatabaseLocation(url: postgres.url).clientConfiguration, backgroundLogger: logger)
        let clientTask = Task { await client.run() }
        defer { clientTask.cancel() }
        try await SchemaMigrations(directory: try SchemaMigrations.locateDirectory()).apply(client: client, logger: logger)

        let longTest = UUID(uuidString: "10000000-0000-4000-8000-000000000001")!
        var line: [String: Any] = ["channels": channels, "samples": samples, "wrk_seconds": seconds, "wrk_connections": connections]
        let generated = try await Self.generate(channels: channels, samples: samples, longTest: longTest, client: client, logger: logger)
        line.merge(generated) { $1 }
        // The steady state of a fleet's database, which autovacuum keeps: statistics for the
        // planner and visibility maps for index-only scans (also after a migration backfilled a
        // table of a kept --data-dir).
        _ = try await client.query("VACUUM ANALYZE", logger: logger).collect()
        let token = try await Self.benchToken(client: client, logger: logger)

        let port = LockedPort()
        let settings = APIServerSettings(host: "127.0.0.1", port: 0)
        let server = Task {
            try await APIServer.application(client: client, settings: settings, logger: logger) { await port.set($0) }.run()
        }
        defer { server.cancel() }
        let base = "http://127.0.0.1:\(try await port.wait())/api/v1"

        let scanStart = ContinuousClock.now
        _ = try await client.query("""
            SELECT count(*), min(voltage_v), max(voltage_v), min(test_time_s), max(test_time_s) FROM samples WHERE test_id = \(longTest)
            """, logger: logger).collect()
        let scanDuration = scanStart.duration(to: .now)
        let scan = Double(scanDuration.components.seconds) + Double(scanDuration.components.attoseconds) / 1e18
        line["samples_raw_scan_ms"] = scan * 1000
        let routes: [(name: String, path: String, goalMs: Double?)] = [
            ("session", "/session", nil),
            ("fleet", "/fleet", 100),
            ("samples_points_2000", "/tests/\(longTest.uuidString.lowercased())/samples?points=2000", 300),
            ("stats", "/stats?group_by=group", 200),
        ]
        var floor: Double?
        for route in routes {
            // Once first: the answer must be a 200 (a route this build lacks is reported so).
            let probe = try Self.curlStatus(base + route.path, token: token)
            guard probe == 200 else {
                line["\(route.name)_status"] = probe
                continue
            }
            let result = try Self.wrk(wrk, url: base + route.path, token: token, seconds: seconds, connections: connections)
            line["\(route.name)_p50_ms"] = result.p50Ms
            line["\(route.name)_p99_ms"] = result.p99Ms
            line["\(route.name)_requests_per_s"] = result.requestsPerSecond
            if route.name == "session" { floor = result.p99Ms }
            if let floor, route.name != "session" { line["\(route.name)_p99_to_session_p99_ratio"] = result.p99Ms / max(floor, 1e-9) }
            if let goal = route.goalMs {
                line["\(route.name)_goal_p99_ms"] = goal
                line["\(route.name)_goal_met"] = result.p99Ms <= goal
            }
        }
        if let p99 = line["samples_points_2000_p99_ms"] as? Double { line["samples_points_2000_p99_to_raw_scan_ratio"] = p99 / max(scan * 1000, 1e-9) }
        let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// The fleet by SQL: `channels` channels on agents of 1000, a running test on each with a
    /// group attribute, cycle summaries and some alerts; one long test of `samples` samples at
    /// 1 Hz with its summary built as the coordinators build it.
    static func generate(channels: Int, samples: Int, longTest: UUID, client: PostgresClient, logger: Logger) async throws -> [String: Any] {
        let existing = try await client.query("SELECT count(*) FROM channels", logger: logger).collect().first?.decode(Int.self) ?? 0
        guard existing == 0 else { return ["generated": false] }
        let started = ContinuousClock.now
        for statement in [
            "INSERT INTO agents (agent_id, software_version) SELECT 'bench-' || a, '0.1.0' FROM generate_series(0, \(max(0, (channels - 1) / 1000))) a",
            """
            INSERT INTO channels (agent_id, channel_id, cycler_make, cycler_model)
            SELECT 'bench-' || (i / 1000), 'ch' || (i % 1000), 'simulated', 'bench' FROM generate_series(0, \(channels - 1)) i
            """,
            """
            INSERT INTO tests (test_id, agent_id, channel_id, cell_id, cell_type, attributes, started_at)
            SELECT md5('bench-test-' || i)::uuid, 'bench-' || (i / 1000), 'ch' || (i % 1000), 'cell-' || i, 'full',
                   jsonb_build_object('group', 'g' || (i % 4), 'coating', CASE WHEN i % 2 = 0 THEN 'LiAlO2' ELSE 'none' END),
                   now() - make_interval(secs => i)
            FROM generate_series(0, \(channels - 1)) i
            """,
            // As the ingest transaction keeps them: the newest sample's test time with the mark.
            "INSERT INTO test_progress (test_id, committed_seq, last_test_time_s) SELECT test_id, 1000, 1000 * 7200.0 FROM tests",
            """
            INSERT INTO cycle_summaries (test_id, cycle_index, charge_capacity_ah, discharge_capacity_ah, coulombic_efficiency,
                                         state_of_health, start_test_time_s, end_test_time_s)
            SELECT t.test_id, c, 1e-3, 1e-3 * (1 - c * 0.001 * (1 + (h % 7))), 0.995, 1 - c * 0.001 * (1 + (h % 7)), (c - 1) * 7200.0, c * 7200.0
            FROM (SELECT test_id, abs(hashtext(test_id::text)) AS h FROM tests) t, generate_series(1, 40 + (t.h % 160)::int) c
            """,
            """
            INSERT INTO alerts (test_id, rule, severity, agent_id, channel_id, cell_id, seq, test_time_s, message, evidence)
            SELECT test_id, 'P2', 'fail', agent_id, channel_id, cell_id, 500, 100 * 7200.0, 'bench failure', '{}'
            FROM tests WHERE abs(hashtext(test_id::text)) % 5 = 0
            """,
            """
            INSERT INTO tests (test_id, agent_id, channel_id, cell_id, cell_type, attributes, started_at)
            VALUES ('\(longTest.uuidString.lowercased())', 'bench-0', 'ch-long', 'cell-long', 'symmetric', '{"group": "long"}', now() - interval '120 days')
            """,
            "INSERT INTO channels (agent_id, channel_id) VALUES ('bench-0', 'ch-long')",
        ] {
            do {
                _ = try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger).collect()
            } catch let error as PSQLError {
                throw ValidationError("generating the fleet failed: \(error.serverInfo?[.message] ?? String(reflecting: error))\n\(statement)")
            }
        }
        // The long test in batches of a million, as a cycler at 1 Hz wrote it over 116 days.
        var inserted = 0
        while inserted < samples {
            let upper = min(samples, inserted + 1_000_000)
            _ = try await client.query("""
                INSERT INTO samples (test_id, seq, unix_time_s, test_time_s, voltage_v, current_a, cycle_index, step_index, step_type, temperature_c)
                SELECT \(longTest), s, 1.7e9 + s, s::float8,
                       0.2 * sin(s / 3600.0) + CASE WHEN s % 1000003 = 0 THEN 2 ELSE 0 END + s * 1e-8,
                       CASE WHEN (s / 3600) % 2 = 0 THEN 1e-4 ELSE -1e-4 END, 1 + s / 7200, 1 + s / 3600, 1, 25.0
                FROM generate_series(\(inserted + 1), \(upper)) s
                """, logger: logger).collect()
            inserted = upper
        }
        _ = try await client.query("INSERT INTO test_progress (test_id, committed_seq, last_test_time_s) VALUES (\(longTest), \(samples), \(Double(samples)))", logger: logger).collect()
        _ = try await client.query("ANALYZE", logger: logger).collect()
        let generatedAt = ContinuousClock.now
        while true {
            let rows = try await client.query("SELECT cellfleet_summarise_test(\(longTest), 1048576)", logger: logger).collect()
            if try rows.first?.decode(Int64.self) ?? 0 == 0 { break }
        }
        let summarised = ContinuousClock.now
        func seconds(_ duration: Duration) -> Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18 }
        let summarySeconds = seconds(generatedAt.duration(to: summarised))
        return [
            "generated": true, "generate_s": seconds(started.duration(to: generatedAt)), "summary_build_s": summarySeconds,
            "summary_samples_per_s": Double(samples) / max(summarySeconds, 1e-9),
        ]
    }

    static func benchToken(client: PostgresClient, logger: Logger) async throws -> String {
        let name = "bench-\(UUID().uuidString.prefix(8))"
        return try await TokenRecords.create(name: name, role: .viewer, actor: "bench", client: client, logger: logger).text
    }

    static func curlStatus(_ url: String, token: String) throws -> Int {
        let output = try Self.capture("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(token)", url])
        return Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    struct WrkResult {
        var p50Ms: Double
        var p99Ms: Double
        var requestsPerSecond: Double
    }

    static func wrk(_ wrk: String, url: String, token: String, seconds: Int, connections: Int) throws -> WrkResult {
        let output = try capture(wrk, ["-t1", "-c\(connections)", "-d\(seconds)s", "--timeout", "30s", "--latency", "-H", "Authorization: Bearer \(token)", url])
        func milliseconds(_ text: Substring) -> Double? {
            for (suffix, factor) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where text.hasSuffix(suffix) {
                return Double(text.dropLast(suffix.count)).map { $0 * factor }
            }
            return nil
        }
        var p50: Double?, p99: Double?, rate: Double?
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count >= 2 else { continue }
            if words[0] == "50%" { p50 = milliseconds(words[1]) }
            if words[0] == "99%" { p99 = milliseconds(words[1]) }
            if words[0] == "Requests/sec:" { rate = Double(words[1]) }
        }
        guard let p50, let p99, let rate, rate > 0, !output.contains(" 0 requests in") else {
            throw ValidationError("wrk measured nothing at \(url) (every request slower than its run?):\n\(output)")
        }
        if output.contains("Non-2xx") { throw ValidationError("wrk saw non-2xx answers from \(url):\n\(output)") }
        return WrkResult(p50Ms: p50, p99Ms: p99, requestsPerSecond: rate)
    }

    static func capture(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

/// The port the in-process server bound, once it has.
actor LockedPort {
    private var port: Int?
    func set(_ value: Int) { port = value }
    func wait() async throws -> Int {
        for _ in 0..<600 {
            if let port { return port }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("the API server did not start within 60 s")
    }
}
