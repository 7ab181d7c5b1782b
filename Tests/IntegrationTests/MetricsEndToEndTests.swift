import Foundation
import TestSupport
import Testing

/// `/metrics` of a real coordinator (issue 15's acceptance: it parses as Prometheus text and its
/// ingest counter grows while samples arrive), with a simulated agent reporting its spool.
@Suite(.serialized) struct MetricsEndToEndTests {
    static var python: String { ProcessInfo.processInfo.environment["CELLFLEET_PYTHON"] ?? "python3" }

    /// `name{labels} value` lines by series, as written.
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    static func scrape(_ url: String) async throws -> (text: String, samples: [String: Double]) {
        let answer = try await HTTPTest.request(.GET, url)
        #expect(answer.status == 200)
        #expect(answer.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
        return (answer.text, samples(answer.text))
    }

    @Test func theIngestCounterGrowsWhileAnAgentSendsAndEndsAtTheSamplesStored() async throws {
        let database = try TestDatabase()
        defer { database.stop() }
        let zmqPort = TestPaths.freePort(), httpPort = TestPaths.freePort()
        let coordinator = try TestProcess(TestPaths.cellfleet, [
            "coordinator", "--database", database.url, "--listen", "tcp://127.0.0.1:\(zmqPort)", "--insecure",
            "--http", "127.0.0.1:\(httpPort)", "--insecure-http",
        ])
        defer { coordinator.terminate() }
        let metrics = "http://127.0.0.1:\(httpPort)/metrics"
        try await HTTPTest.waitUntilListening(metrics)

        // Registered at start-up: the counter reads 0 before the first sample.
        let before = try await Self.scrape(metrics)
        #expect(before.samples["cellfleet_ingest_samples_total"] == 0, "\(before.text.prefix(2000))")
        #expect(before.samples["cellfleet_ingest_bytes_total"] == 0)
        #expect(before.samples["cellfleet_ingest_commit_latency_seconds_count"] == 0)
        #expect(before.samples["cellfleet_agents_connected"] == 0)

        let spool = TestPaths.temporaryDirectory("metrics-agent")
        defer { try? FileManager.default.removeItem(at: spool) }
        let agent = try TestProcess(TestPaths.cellfleet, [
            "agent", "--agent-id", "metrics-agent", "--coordinator", "tcp://127.0.0.1:\(zmqPort)", "--insecure", "--spool", spool.path,
            "--simulate", "2", "--rate", "200", "--duration", "12",
        ])
        defer { agent.terminate() }

        // While the agent runs, three scrapes a second or more apart see the counter grow.
        var seen: [Double] = []
        var during: [String: Double] = [:]
        let deadline = Date().addingTimeInterval(60)
        while seen.count < 3 && Date() < deadline {
            let scrape = try await Self.scrape(metrics)
            let count = scrape.samples["cellfleet_ingest_samples_total"] ?? -1
            if count > (seen.last ?? 0) { seen.append(count); during = scrape.samples }
            try await Task.sleep(for: .seconds(1))
        }
        #expect(seen.count == 3, "the ingest counter grew while the agent sent: \(seen)")
        #expect(during["cellfleet_agents_connected"] == 1)
        #expect(during["cellfleet_agent_connected{agent=\"metrics-agent\"}"] == 1)
        #expect(during["cellfleet_agent_spool_deliveries{agent=\"metrics-agent\"}"] != nil, "the agent reports its spool in its heartbeats")
        #expect((during["cellfleet_agent_spool_bytes{agent=\"metrics-agent\"}"] ?? 0) > 0)
        #expect(during["cellfleet_agent_ack_lag_seconds{agent=\"metrics-agent\"}"] != nil)

        let status = await agent.waitForExit(timeoutSeconds: 120)
        #expect(status == 0, "\(agent.stderr.suffix(2000))")

        // Each sample counted once: the counter ends at what the database holds.
        let stored = try database.scalar("SELECT count(*) FROM samples")
        #expect(stored > 0)
        var after: (text: String, samples: [String: Double]) = ("", [:])
        let settle = Date().addingTimeInterval(10)
        repeat {
            after = try await Self.scrape(metrics)
            if after.samples["cellfleet_ingest_samples_total"] == Double(stored) { break }
            try await Task.sleep(for: .milliseconds(300))
        } while Date() < settle
        #expect(after.samples["cellfleet_ingest_samples_total"] == Double(stored))
        #expect((after.samples["cellfleet_ingest_bytes_total"] ?? 0) > Double(stored) * 8, "bytes of the batches")
        let committed = after.samples["cellfleet_ingest_deliveries_committed_total"] ?? 0
        #expect(committed > 0 && after.samples["cellfleet_ingest_commit_latency_seconds_count"] == committed,
                "one latency per committed delivery")
        #expect(after.samples["cellfleet_ingest_commit_latency_seconds_bucket{le=\"+Inf\"}"] == committed)
        #expect((after.samples["cellfleet_detection_lag_seconds_count"] ?? 0) > 0, "live detection ran in the commits")

        // Alerts by rule, severity and state, read from the rows every few seconds: one made by
        // SQL (as another process would) appears, and moves from firing to resolved.
        _ = try database.query("""
            INSERT INTO alerts (test_id, rule, severity, message, state)
            SELECT test_id, 'M9', 'warn', 'metrics test', 'firing' FROM tests ORDER BY test_id LIMIT 1
            """)
        let firing = "cellfleet_alerts{rule=\"M9\",severity=\"warn\",state=\"firing\"}"
        let resolved = "cellfleet_alerts{rule=\"M9\",severity=\"warn\",state=\"resolved\"}"
        var alerts = try await Self.scrape(metrics).samples
        let alertsDeadline = Date().addingTimeInterval(20)
        while alerts[firing] != 1 && Date() < alertsDeadline {
            try await Task.sleep(for: .milliseconds(500))
            alerts = try await Self.scrape(metrics).samples
        }
        #expect(alerts[firing] == 1, "\(alerts.filter { $0.key.hasPrefix("cellfleet_alerts") })")
        _ = try database.query("UPDATE alerts SET state = 'resolved', resolved_at = now() WHERE rule = 'M9'")
        while (alerts[firing] != 0 || alerts[resolved] != 1) && Date() < alertsDeadline.addingTimeInterval(20) {
            try await Task.sleep(for: .milliseconds(500))
            alerts = try await Self.scrape(metrics).samples
        }
        #expect(alerts[firing] == 0 && alerts[resolved] == 1, "a combination without rows reads 0")

        // Prometheus can read it: promtool's parser, and prometheus_client's when the venv has it.
        let file = TestPaths.temporaryDirectory("metrics-scrape").appendingPathComponent("metrics.txt")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try after.text.write(to: file, atomically: true, encoding: .utf8)
        let promtool = try TestProcess("/bin/sh", ["-c", "promtool check metrics < '\(file.path)'"])
        #expect(await promtool.waitForExit(timeoutSeconds: 30) == 0, "promtool: \(promtool.stdout) \(promtool.stderr)")
        let parse = try TestProcess("/usr/bin/env", [Self.python, "-c", """
            import sys
            try:
                from prometheus_client.parser import text_string_to_metric_families
            except ImportError:
                print("skipped"); sys.exit(0)
            families = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
            total = [s.value for s in families["cellfleet_ingest_samples"].samples if s.name == "cellfleet_ingest_samples_total"]
            assert total == [\(stored)], total
            print("parsed", len(families))
            """, file.path])
        #expect(await parse.waitForExit(timeoutSeconds: 60) == 0, "prometheus_client: \(parse.stdout) \(parse.stderr)")
    }
}
