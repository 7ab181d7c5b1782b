import TestSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// Delivery to people through real processes (docs/live-detection.md §4): the built coordinator
/// on a real PostgreSQL, Debian's real Alertmanager, and a webhook receiver (a small Python
/// server) that refuses its first attempts. Every alert state change reaches the webhook exactly
/// once per idempotency key, signed; Alertmanager lists the alert with its labels and ends it on
/// resolution; a coordinator killed with `kill -9` while the webhook is down loses nothing.
@Suite(.serialized) struct AlertDeliveryEndToEndTests {
    static let alertmanagerBinary = "/usr/bin/prometheus-alertmanager"
    /// The hidden periods, shortened so a test takes seconds: polls, retries, re-posts, leases.
    static let fastPeriods = [
        "--alert-poll-seconds", "0.5", "--alert-retry-initial-seconds", "0.2", "--alert-retry-maximum-seconds", "1",
        "--alertmanager-repost-seconds", "1", "--alert-claim-lease-seconds", "3", "--alert-request-timeout-seconds", "2",
    ]

    /// A webhook receiver of the test's own: 503 to the first `refuseFirst` requests and while
    /// `downFile` exists; one JSON line per request in `log`.
    final class WebhookReceiver {
        let port = TestPaths.freePort()
        let directory = TestPaths.temporaryDirectory("webhook")
        let process: TestProcess
        var log: URL { directory.appendingPathComponent("requests.jsonl") }
        var downFile: URL { directory.appendingPathComponent("down") }
        var secretFile: URL { directory.appendingPathComponent("hook.secret") }
        var url: String { "http://127.0.0.1:\(port)/hook" }

        init(refuseFirst: Int, startDown: Bool = false) async throws {
            try "s3cret-for-tests\n".write(to: directory.appendingPathComponent("hook.secret"), atomically: true, encoding: .utf8)
            if startDown { FileManager.default.createFile(atPath: directory.appendingPathComponent("down").path, contents: nil) }
            let python = ProcessInfo.processInfo.environment["CELLFLEET_PYTHON"] ?? "python3"
            let script = TestPaths.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Python/webhook_receiver.py").path
            process = try TestProcess("/usr/bin/env", [
                python, script, "--port", "\(port)", "--log", directory.appendingPathComponent("requests.jsonl").path,
                "--secret-file", directory.appendingPathComponent("hook.secret").path, "--refuse-first", "\(refuseFirst)",
                "--down-file", directory.appendingPathComponent("down").path,
            ])
            let up = await eventually(timeoutSeconds: 20) { self.process.stdout.contains("listening") }
            try #require(up, "the webhook receiver did not start: \(process.stderr)")
        }

        func setDown(_ down: Bool) {
            if down { FileManager.default.createFile(atPath: downFile.path, contents: nil) } else { try? FileManager.default.removeItem(at: downFile) }
        }

        struct Request: Decodable {
            var status: Int
            var signature_ok: Bool?
            var version: String?
            var idempotency_key: String?
            var header_key: String?
            var alert_id: Int?
            var state: String?
            var test_id: String?
            var rule: String?
            var parse_error: String?
        }

        var requests: [Request] {
            guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
            return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
        }

        /// The keys the receiver accepted (answered 200), as often as it accepted each.
        var accepted: [String: Int] {
            requests.filter { $0.status == 200 }.reduce(into: [:]) { $0[$1.idempotency_key ?? "?", default: 0] += 1 }
        }

        func stop() {
            process.terminate()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Debian's Alertmanager with a temporary config (one receiver that sends nothing) and
    /// storage, on a free port, clustering off.
    final class Alertmanager {
        let port = TestPaths.freePort()
        let directory = TestPaths.temporaryDirectory("alertmanager")
        let process: TestProcess
        var url: String { "http://127.0.0.1:\(port)" }

        init() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: AlertDeliveryEndToEndTests.alertmanagerBinary),
                         "Debian's prometheus-alertmanager is needed (deploy/install-dependencies.sh installs it)")
            let config = directory.appendingPathComponent("alertmanager.yml")
            try """
                route:
                  receiver: nobody
                receivers:
                  - name: nobody
                """.write(to: config, atomically: true, encoding: .utf8)
            process = try TestProcess(AlertDeliveryEndToEndTests.alertmanagerBinary, [
                "--config.file=\(config.path)", "--storage.path=\(directory.appendingPathComponent("data").path)",
                "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=",
            ])
            var ready = false
            let deadline = Date().addingTimeInterval(30)
            while !ready && Date() < deadline && process.process.isRunning {
                ready = (try? await Self.get("\(url)/-/ready"))?.status == 200
                if !ready { try await Task.sleep(for: .milliseconds(200)) }
            }
            try #require(ready, "Alertmanager did not become ready: \(process.stderr.suffix(2000))")
        }

        static func get(_ url: String) async throws -> (status: Int, body: Data) {
            let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
        }

        /// `GET /api/v2/alerts`: the active alerts' labels and `endsAt`.
        func alerts() async throws -> [(labels: [String: String], endsAt: String?)] {
            let (status, body) = try await Self.get("\(url)/api/v2/alerts")
            guard status == 200, let array = try JSONSerialization.jsonObject(with: body) as? [[String: Any]] else { return [] }
            return array.map { (($0["labels"] as? [String: String]) ?? [:], $0["endsAt"] as? String) }
        }

        func stop() {
            process.terminate()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// A test row and its alerts, as the ingest path writes them (the trigger makes the outbox
    /// rows in the same transaction).
    static func insertTest(_ database: TestDatabase, testID: String, attributes: String = #"{"coating": "none", "batch-id": "B7", "scenario": "4"}"#) throws {
        _ = try database.query("""
            INSERT INTO tests (test_id, agent_id, channel_id, cell_id, attributes, started_at)
            VALUES ('\(testID)', 'rig-1', 'ch-3', 'cell-\(testID.prefix(4))', '\(attributes)'::jsonb, now())
            """)
    }

    static func insertAlert(_ database: TestDatabase, testID: String, rule: String, severity: String, seq: Int) throws -> Int {
        try database.scalar("""
            INSERT INTO alerts (test_id, agent_id, channel_id, cell_id, rule, severity, seq, test_time_s, cycle_index, message, evidence)
            VALUES ('\(testID)', 'rig-1', 'ch-3', 'cell-\(testID.prefix(4))', '\(rule)', '\(severity)', \(seq), \(seq * 60), \(seq / 100),
                    '\(rule) in the test', '{"voltage_v": 0.01}'::jsonb)
            RETURNING alert_id
            """)
    }

    func startCoordinator(_ database: TestDatabase, port: Int, extra: [String]) async throws -> TestProcess {
        let coordinator = try TestProcess(TestPaths.cellfleet, [
            "coordinator", "--database", database.url, "--listen", "tcp://127.0.0.1:\(port)", "--insecure",
        ] + Self.fastPeriods + extra)
        let started = await coordinator.waitForStderr("alert delivery started")
        try #require(started, "coordinator stderr: \(coordinator.stderr.suffix(3000))")
        return coordinator
    }

    @Test func everyStateChangeReachesTheWebhookOnceSignedAndAlertmanagerListsAndEndsIt() async throws {
        let database = try TestDatabase()
        let webhook = try await WebhookReceiver(refuseFirst: 3)
        let alertmanager = try await Alertmanager()
        var coordinator: TestProcess?
        defer {
            coordinator?.terminate()
            webhook.stop()
            alertmanager.stop()
            database.stop()
        }
        // A second webhook that answers 404: refused for good, kept, retried only after 10 min.
        let gone = "http://127.0.0.1:\(webhook.port)/gone"
        coordinator = try await startCoordinator(database, port: TestPaths.freePort(), extra: [
            "--alertmanager", alertmanager.url, "--webhook", webhook.url, "--webhook", gone, "--webhook-secret-file", webhook.secretFile.path,
        ])
        #expect(try database.scalar("SELECT count(*) FROM alert_receivers WHERE enabled") == 3)

        let testID = UUID().uuidString.lowercased()
        try Self.insertTest(database, testID: testID)
        let p2 = try Self.insertAlert(database, testID: testID, rule: "P2", severity: "fail", seq: 6100)
        let r1 = try Self.insertAlert(database, testID: testID, rule: "R1", severity: "warn", seq: 3000)
        #expect(p2 > 0 && r1 > 0)

        // Alertmanager lists both, with the labels of the issue and the cell's group attributes.
        #expect(await eventuallyAsync(timeoutSeconds: 20) {
            Set(try await alertmanager.alerts().map { $0.labels["alertname"] ?? "" }) == ["P2", "R1"]
        }, "coordinator stderr: \(coordinator?.stderr.suffix(3000) ?? "")")
        let listed = try await alertmanager.alerts()
        let p2Labels = try #require(listed.first { $0.labels["alertname"] == "P2" }?.labels)
        #expect(p2Labels["severity"] == "fail")
        #expect(p2Labels["test_id"] == testID)
        #expect(p2Labels["cell_id"] == "cell-\(testID.prefix(4))")
        #expect(p2Labels["channel_id"] == "ch-3")
        #expect(p2Labels["agent_id"] == "rig-1")
        #expect(p2Labels["coating"] == "none")
        #expect(p2Labels["batch_id"] == "B7")

        // A person acknowledges the P2 and resolves the R1.
        _ = try database.query("UPDATE alerts SET state = 'acknowledged', acknowledged_by = 'ana', acknowledged_at = now() WHERE alert_id = \(p2)")
        _ = try database.query("UPDATE alerts SET state = 'resolved', resolved_at = now(), resolved_by = 'ana' WHERE alert_id = \(r1)")

        let expected = ["\(p2)-firing", "\(p2)-acknowledged", "\(r1)-firing", "\(r1)-resolved"]
        #expect(await eventually(timeoutSeconds: 30) { Set(webhook.accepted.keys) == Set(expected) },
                "accepted \(webhook.accepted); coordinator stderr: \(coordinator?.stderr.suffix(3000) ?? "")")
        // The resolution reaches Alertmanager: the R1 is no longer active, the acknowledged P2 still is.
        #expect(await eventuallyAsync(timeoutSeconds: 20) {
            Set(try await alertmanager.alerts().map { $0.labels["alertname"] ?? "" }) == ["P2"]
        })
        // Re-posts keep the P2 alive in Alertmanager (its firing row is posted again each second)
        // and the R1's resolution is posted once more.
        #expect(await eventually(timeoutSeconds: 10) {
            try database.scalar("""
                SELECT count(*) FROM alert_deliveries d JOIN alert_receivers r USING (receiver_id)
                WHERE r.kind = 'alertmanager' AND d.reposted_at IS NOT NULL
                  AND ((d.alert_id = \(p2) AND d.alert_state = 'firing') OR (d.alert_id = \(r1) AND d.alert_state = 'resolved'))
                """) == 2
        })

        // Once resolved, never re-posted again; the acknowledged P2 still is.
        func repostedAt(_ alert: Int, _ state: String) throws -> String {
            try database.query("""
                SELECT COALESCE(d.reposted_at::text, '-') FROM alert_deliveries d JOIN alert_receivers r USING (receiver_id)
                WHERE r.kind = 'alertmanager' AND d.alert_id = \(alert) AND d.alert_state = '\(state)'
                """).first ?? "missing"
        }
        let before = try [repostedAt(p2, "firing"), repostedAt(r1, "firing"), repostedAt(r1, "resolved")]
        try await Task.sleep(for: .seconds(2.5))
        let after = try [repostedAt(p2, "firing"), repostedAt(r1, "firing"), repostedAt(r1, "resolved")]
        #expect(after[0] != before[0], "the acknowledged P2 is re-posted")
        #expect(after[1] == before[1] && after[2] == before[2], "the resolved R1 is not: \(before) → \(after)")

        let requests = webhook.requests.filter { $0.status != 404 }
        #expect(requests.filter { $0.status == 503 }.count == 3, "the first three attempts were refused")
        #expect(webhook.accepted.values.allSatisfy { $0 == 1 }, "each (alert, state) accepted exactly once: \(webhook.accepted)")
        #expect(requests.allSatisfy { $0.signature_ok == true && $0.parse_error == nil }, "signatures: \(requests.map(\.signature_ok))")
        #expect(requests.allSatisfy { $0.version == "cellfleet.alert/v1" && $0.header_key == $0.idempotency_key && $0.test_id == testID })
        // Every outbox row of the working receivers is delivered; the refused ones say how often
        // they were tried.
        let working = "receiver_id IN (SELECT receiver_id FROM alert_receivers WHERE url <> '\(gone)')"
        #expect(try database.scalar("SELECT count(*) FROM alert_deliveries WHERE delivered_at IS NULL AND \(working)") == 0)
        #expect(try database.scalar("SELECT count(*) FROM alert_deliveries WHERE delivered_by IS NOT NULL AND \(working)") == 7)
        #expect(try database.scalar("SELECT sum(attempts) FROM alert_deliveries d JOIN alert_receivers r USING (receiver_id) WHERE r.kind = 'webhook' AND \(working)") == 4 + 3)
        // The 404 receiver's rows: each tried once, kept undelivered with its status, next in ~10 min.
        let refused = try database.query("""
            SELECT attempts || ' ' || last_status || ' ' || (next_attempt_at > now() + interval '500 s') || ' ' || (last_error LIKE 'HTTP 404%')
            FROM alert_deliveries d JOIN alert_receivers r USING (receiver_id) WHERE r.url = '\(gone)'
            """)
        #expect(refused == Array(repeating: "1 404 true true", count: 4), "\(refused)")
        #expect(webhook.requests.filter { $0.status == 404 }.count == 4)
    }

    /// Alerts of the ingest path: a simulated blow-up cell's P2 fail (LiveDetectionTests'
    /// scenario 4) reaches a webhook and Alertmanager configured by `--config FILE.toml`.
    @Test func aLiveP2FromAnAgentRunReachesReceiversConfiguredByTOML() async throws {
        let database = try TestDatabase()
        let webhook = try await WebhookReceiver(refuseFirst: 1)
        let alertmanager = try await Alertmanager()
        let port = TestPaths.freePort()
        let spool = TestPaths.temporaryDirectory("delivery-agent")
        var coordinator: TestProcess?
        defer {
            coordinator?.terminate()
            webhook.stop()
            alertmanager.stop()
            database.stop()
            try? FileManager.default.removeItem(at: spool)
        }
        let config = webhook.directory.appendingPathComponent("receivers.toml")
        try """
            [[alertmanager]]
            url = "\(alertmanager.url)"

            [[webhook]]
            url = "\(webhook.url)"
            secret_file = "hook.secret"
            """.write(to: config, atomically: true, encoding: .utf8)
        coordinator = try await startCoordinator(database, port: port, extra: ["--config", config.path])
        let agent = try TestProcess(TestPaths.cellfleet, [
            "agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.path, "--simulate", "1", "--scenarios", "4",
            "--rate", "1000", "--speed", "60000", "--duration", "20", "--insecure", "--agent-id", "delivery-agent",
        ])
        defer { agent.terminate() }
        #expect(await eventually(timeoutSeconds: 60) {
            webhook.requests.contains { $0.status == 200 && $0.rule == "P2" && $0.state == "firing" }
        }, "webhook requests \(webhook.requests.map { "\($0.rule ?? "?") \($0.status)" }); coordinator stderr: \(coordinator?.stderr.suffix(3000) ?? "")")
        let testID = try #require(try database.query("SELECT test_id FROM tests WHERE agent_id = 'delivery-agent'").first)
        let p2 = try database.scalar("SELECT alert_id FROM alerts WHERE rule = 'P2' AND test_id = '\(testID)'")
        #expect(webhook.requests.contains { $0.idempotency_key == "\(p2)-firing" && $0.test_id == testID && $0.signature_ok == true })
        #expect(await eventuallyAsync(timeoutSeconds: 20) {
            try await alertmanager.alerts().contains {
                $0.labels["alertname"] == "P2" && $0.labels["test_id"] == testID && $0.labels["agent_id"] == "delivery-agent"
                    && $0.labels["scenario"] == "4" && $0.labels["severity"] == "fail" && $0.labels["alert_id"] == "\(p2)"
            }
        })
        #expect(await agent.waitForExit(timeoutSeconds: 90) == 0, "agent stderr: \(agent.stderr.suffix(2000))")
        // Every alert the run raised, each once, whatever else it raised beside the P2.
        let raised = Set(try database.query("SELECT alert_id || '-' || state FROM alerts WHERE test_id = '\(testID)'"))
        #expect(await eventually(timeoutSeconds: 20) { raised.isSubset(of: Set(webhook.accepted.keys)) }, "\(raised) vs \(webhook.accepted)")
        #expect(webhook.accepted.values.allSatisfy { $0 == 1 }, "\(webhook.accepted)")
    }

    /// Two coordinators on one database serving the same webhook: `FOR UPDATE SKIP LOCKED`
    /// claims keep them from sending the same row twice, and between them everything goes.
    @Test func twoCoordinatorsOnOneDatabaseSendEachAlertOnce() async throws {
        let database = try TestDatabase()
        let webhook = try await WebhookReceiver(refuseFirst: 5)
        var coordinators: [TestProcess] = []
        defer {
            coordinators.forEach { $0.terminate() }
            webhook.stop()
            database.stop()
        }
        let flags = ["--webhook", webhook.url, "--webhook-secret-file", webhook.secretFile.path]
        coordinators.append(try await startCoordinator(database, port: TestPaths.freePort(), extra: flags))
        coordinators.append(try await startCoordinator(database, port: TestPaths.freePort(), extra: flags))
        #expect(try database.scalar("SELECT count(*) FROM alert_receivers") == 1)

        let testID = UUID().uuidString.lowercased()
        try Self.insertTest(database, testID: testID)
        // Sixty alerts in one transaction, then half of them resolved in another.
        _ = try database.query("""
            INSERT INTO alerts (test_id, agent_id, channel_id, cell_id, rule, severity, seq, test_time_s, message)
            SELECT '\(testID)', 'rig-1', 'ch-3', 'cell-x', 'R1', 'warn', n, n * 60, 'R1 ' || n FROM generate_series(1, 60) n
            """)
        _ = try database.query("UPDATE alerts SET state = 'resolved', resolved_at = now() WHERE seq % 2 = 0")
        let expected = Set(try database.query("SELECT alert_id || '-firing' FROM alerts")
                           + database.query("SELECT alert_id || '-resolved' FROM alerts WHERE state = 'resolved'"))
        #expect(expected.count == 90)
        #expect(await eventually(timeoutSeconds: 40) { Set(webhook.accepted.keys) == expected },
                "\(webhook.accepted.count) of \(expected.count) accepted")
        try await Task.sleep(for: .seconds(2))
        #expect(webhook.accepted.values.allSatisfy { $0 == 1 }, "repeats: \(webhook.accepted.filter { $0.value > 1 })")
        #expect(webhook.requests.filter { $0.status == 200 }.count == 90)
        #expect(webhook.requests.allSatisfy { $0.signature_ok == true })
        #expect(try database.scalar("SELECT count(*) FROM alert_deliveries WHERE delivered_at IS NULL") == 0)
        // Both took part (each claims at most 32 rows at a time and wakes on the same NOTIFY).
        #expect(try database.scalar("SELECT count(DISTINCT delivered_by) FROM alert_deliveries") == 2)
    }

    @Test func aCoordinatorKilledWhileTheWebhookIsDownLosesNothingAndRepeatsNothing() async throws {
        let database = try TestDatabase()
        let webhook = try await WebhookReceiver(refuseFirst: 0, startDown: true)
        let port = TestPaths.freePort()
        var coordinators: [TestProcess] = []
        defer {
            coordinators.forEach { $0.terminate() }
            webhook.stop()
            database.stop()
        }
        let flags = ["--webhook", webhook.url, "--webhook-secret-file", webhook.secretFile.path]
        coordinators.append(try await startCoordinator(database, port: port, extra: flags))

        let testID = UUID().uuidString.lowercased()
        try Self.insertTest(database, testID: testID)
        var ids: [Int] = []
        for (index, rule) in ["P2", "E2", "R1", "Q1", "H1"].enumerated() {
            ids.append(try Self.insertAlert(database, testID: testID, rule: rule, severity: index < 2 ? "fail" : "warn", seq: 100 * (index + 1)))
        }
        _ = try database.query("UPDATE alerts SET state = 'resolved', resolved_at = now() WHERE alert_id = \(ids[2])")
        // Tried and refused a few times each, then the coordinator dies holding some claims.
        #expect(await eventually(timeoutSeconds: 20) {
            try database.scalar("SELECT min(attempts) FROM alert_deliveries") >= 2
        })
        coordinators.last?.kill9()
        #expect(try database.scalar("SELECT count(*) FROM alert_deliveries WHERE delivered_at IS NOT NULL") == 0)
        // While it is down, a person acknowledges an alert: the outbox keeps it for later.
        _ = try database.query("UPDATE alerts SET state = 'acknowledged', acknowledged_at = now(), acknowledged_by = 'bo' WHERE alert_id = \(ids[0])")
        coordinators.append(try await startCoordinator(database, port: port, extra: flags))
        webhook.setDown(false)

        let expected = Set(ids.map { "\($0)-firing" } + ["\(ids[2])-resolved", "\(ids[0])-acknowledged"])
        #expect(await eventually(timeoutSeconds: 30) { Set(webhook.accepted.keys) == expected },
                "accepted \(webhook.accepted); coordinator stderr: \(coordinators.last?.stderr.suffix(3000) ?? "")")
        // A little longer: a claim the killed coordinator held must not come back as a repeat.
        try await Task.sleep(for: .seconds(4))
        #expect(webhook.accepted.values.allSatisfy { $0 == 1 }, "each (alert, state) accepted exactly once: \(webhook.accepted)")
        #expect(Set(webhook.accepted.keys) == expected)
        #expect(webhook.requests.filter { $0.status == 503 }.count >= 2 * 6)
        #expect(webhook.requests.allSatisfy { $0.signature_ok == true })
        #expect(try database.scalar("SELECT count(*) FROM alert_deliveries WHERE delivered_at IS NULL") == 0)
    }
}

/// `eventually` for a condition that awaits (an HTTP GET).
func eventuallyAsync(timeoutSeconds: Double, _ condition: () async throws -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while Date() < deadline {
        if (try? await condition()) == true { return true }
        try? await Task.sleep(for: .milliseconds(200))
    }
    return (try? await condition()) == true
}
