import CellfleetCoordinator
import Foundation
import Logging
import PostgresNIO
import TestSupport
import Testing

/// The HTTP API (issue 15; docs/api.md) through real processes: `cellfleet token`, `cellfleet
/// api` and `coordinator --http` over a real PostgreSQL, checked against schemas/openapi.yaml.
@Suite(.serialized) struct APIEndToEndTests {
    static let logger: Logger = {
        var logger = Logger(label: "test.api")
        logger.logLevel = .warning
        return logger
    }()

    static let spec = TestPaths.repositoryRoot.appendingPathComponent("schemas/openapi.yaml").path
    static var python: String { ProcessInfo.processInfo.environment["CELLFLEET_PYTHON"] ?? "python3" }

    /// A migrated database with a small fleet written by SQL: two agents, five channels, tests
    /// with study attributes, one long test with samples and a spike, cycle summaries, alerts.
    struct Fleet {
        let database: TestDatabase
        let longTest = "0b5d1c52-1f7a-4a3e-9d60-5a0e1c2b3d4e"
        /// Samples of the long test; its spike is at `spikeSeq`.
        let sampleCount = 150_000
        let spikeSeq = 98_765
        var url: String { database.url }
    }

    static func fleet() async throws -> Fleet {
        let database = try TestDatabase()
        let client = try database.makeClient()
        let clientTask = Task { await client.run() }
        defer { clientTask.cancel() }
        try await SchemaMigrations(directory: TestPaths.repositoryRoot.appendingPathComponent("schemas/migrations"))
            .apply(client: client, logger: logger)
        let fleet = Fleet(database: database)
        _ = try database.query("""
            INSERT INTO agents (agent_id, software_version) VALUES ('lab-a', '0.1.0'), ('lab-b', '0.1.0');
            INSERT INTO channels (agent_id, channel_id, cycler_make, cycler_model) VALUES
                ('lab-a', 'ch1', 'Neware', 'BTS4000'), ('lab-a', 'ch2', 'Neware', 'BTS4000'), ('lab-a', 'ch3', 'Neware', 'BTS4000'),
                ('lab-b', 'ch1', 'Arbin', 'LBT21084'), ('lab-b', 'ch2', 'Arbin', 'LBT21084');
            INSERT INTO tests (test_id, agent_id, channel_id, cell_id, cell_type, electrode_area_m2, attributes, started_at, ended_at, end_reason, last_seq)
            SELECT ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid,
                   CASE WHEN i % 2 = 0 THEN 'lab-a' ELSE 'lab-b' END, 'ch' || (1 + i % 2), 'cell-' || i, 'symmetric', 7.85e-5,
                   jsonb_build_object('coating', CASE WHEN i % 3 = 0 THEN 'LiAlO2' ELSE 'none' END, 'batch', i % 4),
                   now() - make_interval(hours => 30 - i), now() - make_interval(hours => 29 - i), 'completed', 10
            FROM generate_series(1, 23) AS i;
            INSERT INTO tests (test_id, agent_id, channel_id, cell_id, cell_type, attributes, started_at)
            VALUES ('\(fleet.longTest)', 'lab-a', 'ch3', 'cell-long', 'symmetric', '{"coating": "LiAlO2", "batch": 9}', now() - interval '1 hour');
            INSERT INTO test_progress (test_id, committed_seq) VALUES ('\(fleet.longTest)', \(fleet.sampleCount));
            INSERT INTO samples (test_id, seq, unix_time_s, test_time_s, voltage_v, current_a, cycle_index, step_index, step_type, temperature_c)
            SELECT '\(fleet.longTest)', s, 1.7e9 + s * 10, s * 10.0,
                   CASE WHEN s = \(fleet.spikeSeq) THEN 4.5 ELSE 0.2 * sin(s / 500.0) END,
                   CASE WHEN (s / 500) % 2 = 0 THEN 1e-4 ELSE -1e-4 END, 1 + s / 1000, 1 + s / 500, 1, 25.0
            FROM generate_series(1, \(fleet.sampleCount)) AS s;
            INSERT INTO cycle_summaries (test_id, cycle_index, charge_capacity_ah, discharge_capacity_ah, coulombic_efficiency,
                                         charge_plateau_overpotential_v, discharge_plateau_overpotential_v)
            SELECT '\(fleet.longTest)', c, 1e-3, 0.99e-3, 0.99, 0.2, 0.21 FROM generate_series(1, 150) AS c;
            INSERT INTO alerts (test_id, rule, severity, agent_id, channel_id, cell_id, seq, test_time_s, message, evidence)
            VALUES ('\(fleet.longTest)', 'P2', 'fail', 'lab-a', 'ch3', 'cell-long', \(fleet.spikeSeq), \(fleet.spikeSeq * 10), 'overpotential blew up', '{}'),
                   ('\(fleet.longTest)', 'R1', 'warn', 'lab-a', 'ch3', 'cell-long', 50, 500, 'resistance rising', '{}');
            """)
        // The summary the coordinators keep (SampleSummaryService), made here by its function.
        _ = try database.query("SELECT cellfleet_summarise_test('\(fleet.longTest)', 1000000)")
        return fleet
    }

    /// `cellfleet api` on a free port; returns the process and its base URL.
    static func startAPI(_ database: String, insecure: Bool = false) async throws -> (TestProcess, String) {
        let port = TestPaths.freePort()
        let process = try TestProcess(TestPaths.cellfleet, ["api", "--database", database, "--listen", "127.0.0.1:\(port)"]
                                      + (insecure ? ["--insecure-http"] : []))
        let base = "http://127.0.0.1:\(port)"
        try await HTTPTest.waitUntilListening(base + "/api/v1/session")
        return (process, base)
    }

    static func token(_ database: String, name: String, role: String) throws -> String {
        let child = try TestProcess(TestPaths.cellfleet, ["token", "create", "--database", database, "--name", name, "--role", role])
        child.process.waitUntilExit()
        guard child.process.terminationStatus == 0 else { throw TestFailure("token create failed: \(child.stderr)") }
        // The contract: the token is the last word of the output.
        guard let last = child.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).last else { throw TestFailure("no output") }
        return String(last)
    }

    static func python(_ script: String, _ arguments: [String]) throws -> TestProcess {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("api-\(UUID().uuidString).py")
        try script.write(to: path, atomically: true, encoding: .utf8)
        let child = try TestProcess(python, [path.path] + arguments)
        child.process.waitUntilExit()
        return child
    }

    // MARK: tokens, roles, audit

    @Test func tokensRolesAndTheAuditLog() async throws {
        let fleet = try await Self.fleet()
        defer { fleet.database.stop() }
        let viewer = try Self.token(fleet.url, name: "viewer-vera", role: "viewer")
        let operatorToken = try Self.token(fleet.url, name: "operator-otto", role: "operator")
        #expect(viewer.hasPrefix("cft_") && viewer.count == 47)
        // Only the hash is stored.
        let stored = try fleet.database.query("SELECT name || ' ' || encode(token_sha256, 'hex') FROM api_tokens ORDER BY token_id")
        #expect(stored.count == 2)
        let dump = try fleet.database.query("SELECT row_to_json(t)::text FROM api_tokens t").joined()
        #expect(!dump.contains(viewer) && !dump.contains(String(viewer.dropFirst(4))))
        #expect(try fleet.database.scalar("""
            SELECT count(*) FROM api_tokens WHERE name = 'viewer-vera' AND token_sha256 = sha256(convert_to('\(viewer)', 'UTF8'))
            """) == 1)
        let duplicate = try TestProcess(TestPaths.cellfleet, ["token", "create", "--database", fleet.url, "--name", "viewer-vera", "--role", "admin"])
        duplicate.process.waitUntilExit()
        #expect(duplicate.process.terminationStatus != 0 && duplicate.stderr.contains("exists already"))

        let (api, base) = try await Self.startAPI(fleet.url)
        defer { api.terminate() }
        let alertID = try fleet.database.scalar("SELECT alert_id FROM alerts WHERE rule = 'P2'")
        // Without a token every API route (and an unknown one, and /metrics) is 401, with the challenge.
        let routes: [(String, String)] = [
            ("GET", "/api/v1/session"), ("GET", "/api/v1/fleet"), ("GET", "/api/v1/tests"), ("GET", "/api/v1/tests/\(fleet.longTest)"),
            ("GET", "/api/v1/tests/\(fleet.longTest)/samples"), ("GET", "/api/v1/tests/\(fleet.longTest)/samples.csv"),
            ("GET", "/api/v1/tests/\(fleet.longTest)/cycles"), ("GET", "/api/v1/alerts"), ("GET", "/api/v1/alerts/\(alertID)"),
            ("POST", "/api/v1/alerts/\(alertID)/ack"), ("POST", "/api/v1/alerts/\(alertID)/resolve"), ("GET", "/api/v1/studies"),
            ("GET", "/api/v1/queue"), ("GET", "/api/v1/channels"), ("POST", "/api/v1/channels/lab-a/ch1/load"),
            ("GET", "/api/v1/no-such-route"), ("GET", "/metrics"),
        ]
        for (method, path) in routes {
            let answer = try await HTTPTest.request(method == "POST" ? .POST : .GET, base + path)
            #expect(answer.status == 401, "\(method) \(path): \(answer.status) \(answer.text)")
            #expect(answer.headers["WWW-Authenticate"].first?.hasPrefix("Bearer") == true, "\(path)")
            #expect(answer.headers["Content-Type"].first == "application/problem+json")
            #expect(try answer.json()["status"] as? Int == 401)
        }
        let wrong = try await HTTPTest.request(.GET, base + "/api/v1/fleet", token: "cft_" + String(repeating: "A", count: 43))
        #expect(wrong.status == 401)

        // A viewer reads, and may not acknowledge.
        let session = try await HTTPTest.request(.GET, base + "/api/v1/session", token: viewer).json()
        #expect(session["name"] as? String == "viewer-vera" && session["role"] as? String == "viewer" && session["authentication"] as? String == "bearer")
        #expect(try await HTTPTest.request(.GET, base + "/api/v1/fleet", token: viewer).status == 200)
        #expect(try await HTTPTest.request(.GET, base + "/metrics", token: viewer).status == 200)
        let refused = try await HTTPTest.request(.POST, base + "/api/v1/alerts/\(alertID)/ack", token: viewer)
        #expect(refused.status == 403, "\(refused.text)")
        #expect(try fleet.database.query("SELECT state FROM alerts WHERE alert_id = \(alertID)") == ["firing"])

        // An operator acknowledges and resolves; the token's name is who did it, in the audit log too.
        let acked = try await HTTPTest.request(.POST, base + "/api/v1/alerts/\(alertID)/ack", token: operatorToken, body: #"{"note": "looking at it"}"#)
        #expect(acked.status == 200, "\(acked.text)")
        let ackedAlert = try acked.json()
        #expect(ackedAlert["state"] as? String == "acknowledged" && ackedAlert["acknowledged_by"] as? String == "operator-otto")
        #expect(ackedAlert["note"] as? String == "looking at it")
        let badBody = try await HTTPTest.request(.POST, base + "/api/v1/alerts/\(alertID)/resolve", token: operatorToken, body: #"{"notes": "x"}"#)
        #expect(badBody.status == 400 && badBody.text.contains("unknown key 'notes'"))
        let resolved = try await HTTPTest.request(.POST, base + "/api/v1/alerts/\(alertID)/resolve", token: operatorToken)
        let resolvedState = try resolved.json()["state"] as? String
        #expect(resolved.status == 200 && resolvedState == "resolved")
        let late = try await HTTPTest.request(.POST, base + "/api/v1/alerts/\(alertID)/ack", token: operatorToken)
        #expect(late.status == 409, "acknowledging a resolved alert is refused: \(late.text)")
        let missing = try await HTTPTest.request(.POST, base + "/api/v1/alerts/999999/ack", token: operatorToken)
        #expect(missing.status == 404)
        #expect(try fleet.database.query("""
            SELECT actor || ' ' || action || ' ' || target || ' ' || (detail ->> 'via') FROM audit_log
            WHERE action IN ('ack', 'resolve') ORDER BY audit_id
            """) == ["operator-otto ack \(alertID) api", "operator-otto resolve \(alertID) api"])
        #expect(try fleet.database.scalar("SELECT count(*) FROM audit_log WHERE action = 'token_create'") == 2)

        // Revoked: refused on the next request.
        let revoke = try TestProcess(TestPaths.cellfleet, ["token", "revoke", "--database", fleet.url, "--name", "viewer-vera"])
        revoke.process.waitUntilExit()
        #expect(revoke.process.terminationStatus == 0, "\(revoke.stderr)")
        #expect(try await HTTPTest.request(.GET, base + "/api/v1/fleet", token: viewer).status == 401)
        let listed = try TestProcess(TestPaths.cellfleet, ["token", "list", "--database", fleet.url, "--json"])
        listed.process.waitUntilExit()
        #expect(listed.stdout.contains(#""name":"viewer-vera""#) && listed.stdout.contains(#""revoked_at":"20"#))
        #expect(!listed.stdout.contains(operatorToken))

        // --insecure-http asks nothing, and says so.
        let (open, openBase) = try await Self.startAPI(fleet.url, insecure: true)
        defer { open.terminate() }
        let anonymous = try await HTTPTest.request(.GET, openBase + "/api/v1/session")
        let authentication = try anonymous.json()["authentication"] as? String
        #expect(anonymous.status == 200 && authentication == "none")
        #expect(open.stderr.contains("WITHOUT AUTHENTICATION"))
    }

    // MARK: fleet, tests, cycles

    @Test func fleetTestsFiltersAndPaginationReturnEveryRowOnce() async throws {
        let fleet = try await Self.fleet()
        defer { fleet.database.stop() }
        let token = try Self.token(fleet.url, name: "reader", role: "viewer")
        let (api, base) = try await Self.startAPI(fleet.url)
        defer { api.terminate() }

        let fleetDocument = try await HTTPTest.request(.GET, base + "/api/v1/fleet", token: token).json()
        let channels = try #require(fleetDocument["channels"] as? [[String: Any]])
        #expect(channels.map { $0["channel"] as? String } == ["lab-a/ch1", "lab-a/ch2", "lab-a/ch3", "lab-b/ch1", "lab-b/ch2"])
        let ch3 = try #require(channels.first { $0["channel"] as? String == "lab-a/ch3" })
        #expect(ch3["state"] as? String == "running" && ch3["test_id"] as? String == fleet.longTest)
        let open = try #require(ch3["open_alerts"] as? [String: Any])
        #expect(open["count"] as? Int == 2 && open["worst_severity"] as? String == "fail")
        #expect(channels.first { $0["channel"] as? String == "lab-a/ch1" }?["state"] as? String == "idle")
        #expect(fleetDocument["open_alerts"] as? Int == 2)

        // attr.coating=LiAlO2: tests 3, 6, …, 21 and the long one; pages of 3 give each once, newest first.
        var seen: [String] = []
        var cursor: String? = nil
        var pages = 0
        repeat {
            let query = "attr.coating=LiAlO2&limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await HTTPTest.request(.GET, base + "/api/v1/tests?" + query, token: token).json()
            let tests = try #require(page["tests"] as? [[String: Any]])
            #expect(tests.allSatisfy { ($0["attributes"] as? [String: Any])?["coating"] as? String == "LiAlO2" })
            seen += tests.compactMap { $0["test_id"] as? String }
            cursor = page["next_cursor"] as? String
            pages += 1
        } while cursor != nil && pages < 20
        let expected = try fleet.database.query("""
            SELECT test_id FROM tests WHERE attributes ->> 'coating' = 'LiAlO2' ORDER BY started_at DESC, test_id DESC
            """)
        #expect(seen == expected && expected.count == 8 && pages == 3)
        let running = try await HTTPTest.request(.GET, base + "/api/v1/tests?state=running", token: token).json()
        #expect((running["tests"] as? [[String: Any]])?.compactMap { $0["test_id"] as? String } == [fleet.longTest])
        let numeric = try await HTTPTest.request(.GET, base + "/api/v1/tests?attr.batch=2&agent=lab-a", token: token).json()
        let batchTwo = try fleet.database.scalar("SELECT count(*) FROM tests WHERE attributes ->> 'batch' = '2' AND agent_id = 'lab-a'")
        #expect((numeric["tests"] as? [[String: Any]])?.count == batchTwo && batchTwo > 0)
        let one = try await HTTPTest.request(.GET, base + "/api/v1/tests/\(fleet.longTest.uppercased())", token: token).json()
        #expect(one["test_id"] as? String == fleet.longTest && one["committed_seq"] as? Int == fleet.sampleCount)
        let cycles = try await HTTPTest.request(.GET, base + "/api/v1/tests/\(fleet.longTest)/cycles", token: token).json()
        #expect((cycles["cycles"] as? [[String: Any]])?.count == 150)

        // Bad input is a 400 problem naming what is wrong, never a 5xx.
        for (query, words) in [("tests?state=paused", "'state'"), ("tests?colour=red", "unknown parameter 'colour'"),
                               ("tests?limit=0", "'limit'"), ("tests?cursor=xyz", "'cursor'"), ("tests/not-a-uuid", "UUID"),
                               ("alerts?test=12", "'test'"), ("tests/\(fleet.longTest)/samples?points=1", "'points'"),
                               ("tests/\(fleet.longTest)/samples?from_time=nan", "'from_time'")] {
            let answer = try await HTTPTest.request(.GET, base + "/api/v1/" + query, token: token)
            #expect(answer.status == 400, "\(query): \(answer.status)")
            #expect((try? answer.json()["detail"] as? String)?.contains(words) == true, "\(query): \(answer.text)")
        }
        #expect(try await HTTPTest.request(.GET, base + "/api/v1/tests/\(UUID().uuidString)", token: token).status == 404)
        let wrongMethod = try await HTTPTest.request(.DELETE, base + "/api/v1/fleet", token: token)
        #expect(wrongMethod.status == 405 && wrongMethod.headers["Allow"].first == "GET")
    }

    // MARK: samples

    @Test func samplesInPagesDownsampledAndAsCSVThatPandasReads() async throws {
        let fleet = try await Self.fleet()
        defer { fleet.database.stop() }
        let token = try Self.token(fleet.url, name: "plotter", role: "viewer")
        let (api, base) = try await Self.startAPI(fleet.url)
        defer { api.terminate() }
        let samples = base + "/api/v1/tests/\(fleet.longTest)/samples"

        // Raw pages cover every sample once, in order.
        var cursor: String? = nil
        var sequenceNumbers: [Int] = []
        repeat {
            let page = try await HTTPTest.request(.GET, samples + "?limit=40000" + (cursor.map { "&cursor=\($0)" } ?? ""), token: token).json()
            let columns = try #require(page["columns"] as? [String: Any])
            sequenceNumbers += try #require(columns["seq"] as? [Int])
            #expect((columns["voltage_volt"] as? [Any])?.count == page["count"] as? Int)
            cursor = page["next_cursor"] as? String
        } while cursor != nil
        #expect(sequenceNumbers == Array(1...fleet.sampleCount))

        // points=2000 from the summary: at most 2000, the ends, the spike and the deepest trough kept.
        let down = try await HTTPTest.request(.GET, samples + "?points=2000", token: token).json()
        #expect(down["downsampled"] as? Bool == true && down["summary_level"] as? Int == 6)
        let picked = try #require((down["columns"] as? [String: Any])?["seq"] as? [Int])
        let voltages = try #require((down["columns"] as? [String: Any])?["voltage_volt"] as? [Double])
        #expect(picked.count == 2000 && picked.first == 1 && picked.last == fleet.sampleCount)
        #expect(picked.contains(fleet.spikeSeq) && voltages.max() == 4.5)
        #expect(zip(picked, picked.dropFirst()).allSatisfy { $0 < $1 })
        let lowest = try fleet.database.query("SELECT min(voltage_v) FROM samples WHERE test_id = '\(fleet.longTest)'").first.flatMap(Double.init)
        #expect(abs((voltages.min() ?? 0) - (lowest ?? 1)) < 1e-3, "the troughs survive")
        // A zoomed range by test time reads raw samples there.
        let zoom = try await HTTPTest.request(.GET, samples + "?points=500&from_time=987000&to_time=988000", token: token).json()
        let zoomSeq = try #require((zoom["columns"] as? [String: Any])?["seq"] as? [Int])
        #expect(zoom["summary_level"] as? Int == 0 && zoomSeq == Array(98_700...98_800) && zoomSeq.contains(fleet.spikeSeq))

        // The CSV (Battery Data Format headers) read by pandas has the test's rows.
        let script = """
            import sys, pandas
            frame = pandas.read_csv(sys.argv[1], storage_options={"Authorization": "Bearer " + sys.argv[2]})
            print(len(frame), list(frame.columns)[:4], frame["voltage_volt"].max(), frame["test_time_second"].iloc[-1])
            """
        let pandas = try Self.python(script, [samples + ".csv", token])
        #expect(pandas.process.terminationStatus == 0, "\(pandas.stderr)")
        #expect(pandas.stdout.hasPrefix("\(fleet.sampleCount) ['test_time_second', 'unix_time_second', 'current_ampere', 'voltage_volt'] 4.5 1500000.0"),
                "\(pandas.stdout)")
        let accepted = try await HTTPTest.request(.GET, samples + "?from_seq=10&to_seq=12", token: token, headers: [("Accept", "text/csv")])
        #expect(accepted.headers["Content-Type"].first?.hasPrefix("text/csv") == true)
        #expect(accepted.text.split(separator: "\n").count == 4, "a header and three rows: \(accepted.text)")
    }

    // MARK: the contract

    @Test func theSpecIsValidAndSchemathesisFindsNoServerErrorOrViolation() async throws {
        let check = try Self.python("""
            import sys
            from openapi_spec_validator import validate
            from openapi_spec_validator.readers import read_from_filename
            spec, _ = read_from_filename(sys.argv[1])
            validate(spec)
            assert spec["openapi"].startswith("3.1"), spec["openapi"]
            assert spec["servers"] == [{"url": "/api/v1"}]
            print("valid", len(spec["paths"]))
            """, [Self.spec])
        #expect(check.process.terminationStatus == 0, "\(check.stderr)")
        #expect(check.stdout.hasPrefix("valid"))

        let fleet = try await Self.fleet()
        defer { fleet.database.stop() }
        let token = try Self.token(fleet.url, name: "fuzzer", role: "operator")
        // A study in the queue, so /studies, /studies/{name} and /queue answer with rows.
        let study = try TestProcess(TestPaths.cellfleet, [
            "study", "submit", TestPaths.repositoryRoot.appendingPathComponent("agents/studies/two-groups-200h.toml").path, "--database", fleet.url,
        ])
        study.process.waitUntilExit()
        #expect(study.process.terminationStatus == 0, "\(study.stderr)")
        let (api, base) = try await Self.startAPI(fleet.url)
        defer { api.terminate() }
        let schemathesis = URL(fileURLWithPath: Self.python).deletingLastPathComponent().appendingPathComponent("schemathesis").path
        guard FileManager.default.isExecutableFile(atPath: schemathesis) else {
            Issue.record("schemathesis is not installed beside \(Self.python): run deploy/install-dependencies.sh")
            return
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("schemathesis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let run = try TestProcess(schemathesis, [
            "run", Self.spec, "--url", base + "/api/v1", "-H", "Authorization: Bearer \(token)", "--max-examples", "15", "--seed", "15",
        ], environment: ["NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""], directory: scratch)
        _ = await run.waitForExit(timeoutSeconds: 600)
        #expect(run.process.terminationStatus == 0, "schemathesis: \(run.stdout.suffix(4000))")
        #expect(!run.stdout.contains("Failures:") && run.stdout.contains(" passed"), "\(run.stdout.suffix(2000))")
    }

    // MARK: inside the coordinator

    @Test func theCoordinatorServesTheAPIAndSummarisesWhatItIngests() async throws {
        let database = try TestDatabase()
        defer { database.stop() }
        let zmqPort = TestPaths.freePort(), httpPort = TestPaths.freePort()
        let coordinator = try TestProcess(TestPaths.cellfleet, [
            "coordinator", "--database", database.url, "--listen", "tcp://127.0.0.1:\(zmqPort)", "--insecure",
            "--http", "127.0.0.1:\(httpPort)", "--insecure-http",
        ])
        defer { coordinator.terminate() }
        let base = "http://127.0.0.1:\(httpPort)"
        try await HTTPTest.waitUntilListening(base + "/api/v1/session")
        let spool = TestPaths.temporaryDirectory("api-agent")
        defer { try? FileManager.default.removeItem(at: spool) }
        let agent = try TestProcess(TestPaths.cellfleet, [
            "agent", "--agent-id", "api-agent", "--coordinator", "tcp://127.0.0.1:\(zmqPort)", "--insecure", "--spool", spool.path,
            "--simulate", "2", "--rate", "400", "--duration", "8",
        ])
        let status = await agent.waitForExit(timeoutSeconds: 120)
        #expect(status == 0, "\(agent.stderr)")

        let fleetDocument = try await HTTPTest.request(.GET, base + "/api/v1/fleet").json()
        let channels = try #require(fleetDocument["channels"] as? [[String: Any]])
        #expect(channels.count == 2 && channels.allSatisfy { $0["agent_id"] as? String == "api-agent" })
        let tests = try #require(try await HTTPTest.request(.GET, base + "/api/v1/tests").json()["tests"] as? [[String: Any]])
        let testID = try #require(tests.first?["test_id"] as? String)
        // The summary catches up within a few seconds of the commits (every 2 s).
        var level = 0
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let down = try await HTTPTest.request(.GET, base + "/api/v1/tests/\(testID)/samples?points=100").json()
            level = down["summary_level"] as? Int ?? 0
            if level > 0 { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(level == 6, "the coordinator summarised its samples")
        #expect(try database.scalar("SELECT count(*) FROM sample_summary_points WHERE level = 6") > 0)
        let committed = try database.scalar("SELECT committed_seq FROM test_progress WHERE test_id = '\(testID)'")
        let down = try await HTTPTest.request(.GET, base + "/api/v1/tests/\(testID)/samples?points=100").json()
        #expect(((down["columns"] as? [String: Any])?["seq"] as? [Int])?.last == committed, "the plot ends at the newest sample")

        // The ingest transaction keeps each test's newest test time beside its mark (where /stats censors).
        #expect(try database.scalar("""
            SELECT count(*) FROM test_progress p
            WHERE p.last_test_time_s IS DISTINCT FROM (SELECT s.test_time_s FROM samples s WHERE s.test_id = p.test_id AND s.seq = p.committed_seq)
            """) == 0)
        #expect(try database.scalar("SELECT count(*) FROM test_progress WHERE last_test_time_s > 0") > 0)
        // /stats is the report `stats --database` prints (which equals `stats --input` on its lives).
        let stats = try await HTTPTest.request(.GET, base + "/api/v1/stats?group_by=scenario&unit=hours")
        #expect(stats.status == 200, "\(stats.text)")
        let cli = try TestProcess(TestPaths.cellfleet, ["stats", "--database", database.url, "--group-by", "scenario", "--unit", "hours", "--json"])
        cli.process.waitUntilExit()
        #expect(cli.process.terminationStatus == 0, "\(cli.stderr)")
        let fromAPI = try stats.json() as NSDictionary
        let fromCLI = try #require(try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? NSDictionary)
        #expect(fromAPI == fromCLI, "API \(stats.text.prefix(600)) vs CLI \(cli.stdout.prefix(600))")
        let groups = try #require(fromAPI["groups"] as? [String: Any])
        #expect(!groups.isEmpty && groups.values.allSatisfy { ($0 as? [String: Any])?["n"] is Int })
    }
}
