import CellfleetAgent
import CellfleetCoordinator
import CellModel
import Foundation
import Logging
import PostgresNIO
import TestSupport
import Testing

/// The commands for people (issue 12 §6) through the built `cellfleet` binary on a real, migrated
/// PostgreSQL, with alerts, samples and cycle summaries inserted by SQL (seconds, not an agent
/// run; LiveDetectionTests runs them on a real agent's data).
@Suite(.serialized) struct PeopleCommandsTests {
    static let logger: Logger = {
        var logger = Logger(label: "test.people")
        logger.logLevel = .warning
        return logger
    }()

    static let testID = "7b0c0f5e-5a55-4d3e-9a36-2f1e7c1a9b01"
    /// A test time with 17 significant digits (in SQL and in the file by Swift's shortest text).
    static let longTime = 123456789.98765432

    /// A migrated database with one test, and a webhook receiver so the trigger makes deliveries.
    static func migratedDatabase() async throws -> TestDatabase {
        let database = try TestDatabase()
        let client = try database.makeClient()
        let clientTask = Task { await client.run() }
        defer { clientTask.cancel() }
        try await SchemaMigrations(directory: TestPaths.repositoryRoot.appendingPathComponent("schemas/migrations"))
            .apply(client: client, logger: logger)
        _ = try database.query("""
            INSERT INTO tests (test_id, agent_id, channel_id, cell_id, cell_type, started_at)
            VALUES ('\(testID)', 'lab-agent', 'ch3', 'sym-07', 'symmetric', now());
            INSERT INTO alert_receivers (receiver_id, kind, url) VALUES ('hook', 'webhook', 'http://127.0.0.1:9/hook');
            """)
        return database
    }

    /// Inserts a detector alert as the ingest path does; returns its id.
    static func insertAlert(_ database: TestDatabase, rule: String, severity: String, seq: Int, testTime: Double,
                            state: String = "firing", message: String = "a message") throws -> Int {
        let resolved = state == "resolved" ? "now()" : "NULL"
        return try database.scalar("""
            INSERT INTO alerts (test_id, rule, severity, agent_id, channel_id, cell_id, seq, test_time_s, cycle_index,
                                message, evidence, state, resolved_at)
            VALUES ('\(testID)', '\(rule)', '\(severity)', 'lab-agent', 'ch3', 'sym-07', \(seq), \(testTime), 4,
                    '\(message)', '{"ratio": 0.30000000000000004, "baseline_volt": 1e-300}', '\(state)', \(resolved))
            RETURNING alert_id
            """)
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String]) throws -> Run {
        let child = try TestProcess(TestPaths.cellfleet, arguments)
        child.process.waitUntilExit()
        return Run(status: child.process.terminationStatus, stdout: child.stdout, stderr: child.stderr)
    }

    static func objects(_ jsonLines: String) throws -> [[String: Any]] {
        try jsonLines.split(separator: "\n").map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    // MARK: alerts list, ack, resolve

    @Test func listShowsTheContractFieldsAndAckResolveMoveTheStateWithClearErrors() async throws {
        let database = try await Self.migratedDatabase()
        defer { database.stop() }
        let p2 = try Self.insertAlert(database, rule: "P2", severity: "fail", seq: 6_360, testTime: 381_600)
        let r1 = try Self.insertAlert(database, rule: "R1", severity: "warn", seq: 120, testTime: 7_200)
        let url = database.url

        let listed = try Self.run(["alerts", "list", "--database", url, "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let objects = try Self.objects(listed.stdout)
        #expect(objects.count == 2)
        let first = try #require(objects.first)
        for field in ["alert_id", "test_id", "cell_id", "channel_id", "agent_id", "rule", "severity", "state", "test_time_second",
                      "cycle", "raised_at", "evidence", "message", "kind", "seq", "acknowledged_by", "acknowledged_at",
                      "resolved_at", "resolved_by", "note", "occurrences"] {
            #expect(first[field] != nil, "missing \(field)")
        }
        #expect(first["alert_id"] as? Int == p2 && first["test_id"] as? String == Self.testID)
        #expect(first["rule"] as? String == "P2" && first["severity"] as? String == "fail" && first["state"] as? String == "firing")
        #expect(first["test_time_second"] as? Double == 381_600 && first["cycle"] as? Int == 4 && first["seq"] as? Int == 6_360)
        #expect((first["raised_at"] as? String)?.hasSuffix("Z") == true)
        // Evidence as detect prints it: keys in order, every digit.
        #expect(listed.stdout.contains(#""evidence":{"baseline_volt":1e-300,"ratio":0.30000000000000004}"#), "\(listed.stdout)")

        // Filters, and the table.
        _ = try database.query("""
            INSERT INTO alerts (test_id, rule, severity, agent_id, channel_id, cell_id, message, source)
            VALUES ('\(Self.testID)', 'F1', 'warn', 'lab-agent', 'ch3', 'sym-07', 'silent', 'coordinator');
            """)
        let detectorOnly = try Self.objects(Self.run(["alerts", "list", "--database", url, "--json", "--source", "detector"]).stdout)
        #expect(detectorOnly.map { $0["rule"] as? String } == ["P2", "R1"])
        let fleet = try Self.objects(Self.run(["alerts", "list", "--database", url, "--json", "--source", "coordinator"]).stdout)
        #expect(fleet.map { $0["rule"] as? String } == ["F1"] && fleet.first?["source"] as? String == "coordinator")
        _ = try database.query("""
            DELETE FROM alert_deliveries WHERE alert_id IN (SELECT alert_id FROM alerts WHERE rule = 'F1');
            DELETE FROM alerts WHERE rule = 'F1';
            """)
        let fails = try Self.objects(Self.run(["alerts", "list", "--database", url, "--json", "--severity", "fail"]).stdout)
        #expect(fails.map { $0["alert_id"] as? Int } == [p2])
        #expect(try Self.objects(Self.run(["alerts", "list", "--database", url, "--json", "--since", "2000-01-01T00:00:00Z"]).stdout).count == 2)
        #expect(try Self.run(["alerts", "list", "--database", url, "--json", "--since", "2100-01-01T00:00:00.5Z"]).stdout.isEmpty)
        #expect(try Self.objects(Self.run(["alerts", "list", "--database", url, "--json", "--test", Self.testID.uppercased()]).stdout).count == 2)
        let table = try Self.run(["alerts", "list", "--database", url, "--rule", "R1"])
        #expect(table.status == 0 && table.stdout.contains("sym-07") && table.stdout.contains("R1") && !table.stdout.contains("P2"), "\(table.stdout)")

        // ack: firing → acknowledged; again: said, nothing changed.
        let ack = try Self.run(["alerts", "ack", "\(p2)", "--database", url, "--by", "alice", "--note", "looking at it"])
        #expect(ack.status == 0 && ack.stdout.contains("acknowledged by alice"), "\(ack.stdout) \(ack.stderr)")
        let ackAgain = try Self.run(["alerts", "ack", "\(p2)", "--database", url, "--by", "bob"])
        #expect(ackAgain.status == 0 && ackAgain.stdout.contains("already acknowledged by alice"), "\(ackAgain.stdout)")
        let acknowledged = try Self.objects(Self.run(["alerts", "list", "--database", url, "--json", "--state", "acknowledged"]).stdout)
        #expect(acknowledged.count == 1 && acknowledged.first?["acknowledged_by"] as? String == "alice")
        #expect(acknowledged.first?["note"] as? String == "looking at it" && acknowledged.first?["acknowledged_at"] is String)

        // resolve; twice is a no-op that says so; ack of a resolved alert is refused.
        let resolve = try Self.run(["alerts", "resolve", "\(p2)", "--database", url, "--by", "alice", "--note", "cell replaced"])
        #expect(resolve.status == 0 && resolve.stdout.contains("resolved by alice"), "\(resolve.stdout) \(resolve.stderr)")
        let resolveAgain = try Self.run(["alerts", "resolve", "\(p2)", "--database", url])
        #expect(resolveAgain.status == 0 && resolveAgain.stdout.contains("already resolved"), "\(resolveAgain.stdout)")
        let ackResolved = try Self.run(["alerts", "ack", "\(p2)", "--database", url, "--by", "bob"])
        #expect(ackResolved.status != 0 && ackResolved.stderr.contains("cannot be acknowledged"), "\(ackResolved.stderr)")
        #expect(try database.query("SELECT state || '|' || resolved_by || '|' || note FROM alerts WHERE alert_id = \(p2)")
                == ["resolved|alice|looking at it\ncell replaced"].flatMap { $0.split(separator: "\n").map(String.init) })

        // Unknown ids and bad arguments: a clear error, non-zero.
        let unknown = try Self.run(["alerts", "resolve", "999999", "--database", url])
        #expect(unknown.status != 0 && unknown.stderr.contains("no alert with id 999999"), "\(unknown.stderr)")
        let badState = try Self.run(["alerts", "list", "--database", url, "--state", "open"])
        #expect(badState.status != 0 && badState.stderr.contains("state"), "\(badState.stderr)")
        let unreachable = try Self.run(["alerts", "list", "--database", "postgres://nobody@127.0.0.1:\(TestPaths.freePort())/none"])
        #expect(unreachable.status != 0 && unreachable.stderr.contains("cannot reach the database"), "\(unreachable.stderr)")
        let notAURL = try Self.run(["cycles", "--database", "mysql://x", "--test", Self.testID])
        #expect(notAURL.status != 0 && notAURL.stderr.contains("postgres://"), "\(notAURL.stderr)")
        let noBy = try Self.run(["alerts", "ack", "\(r1)", "--database", url])
        #expect(noBy.status != 0 && noBy.stderr.contains("--by"), "\(noBy.stderr)")

        // The trigger made the outbox rows of every change: P2 firing, acknowledged, resolved; R1 firing.
        #expect(try database.query("SELECT alert_id || ' ' || alert_state FROM alert_deliveries ORDER BY delivery_id")
                == ["\(p2) firing", "\(r1) firing", "\(p2) acknowledged", "\(p2) resolved"])
    }

    // MARK: alerts watch

    @Test func watchPrintsEachAlertAndEachChangeOnceAsItCommits() async throws {
        let database = try await Self.migratedDatabase()
        defer { database.stop() }
        let url = database.url
        let before = try Self.insertAlert(database, rule: "E2", severity: "warn", seq: 50, testTime: 1_000)
        _ = try Self.insertAlert(database, rule: "S4", severity: "warn", seq: 40, testTime: 900, state: "resolved")

        let watch = try TestProcess(TestPaths.cellfleet, ["alerts", "watch", "--database", url, "--json"])
        defer { watch.terminate() }
        #expect(await watch.waitForStderr("watching for alerts", timeoutSeconds: 30), "\(watch.stderr)")
        let after = try Self.insertAlert(database, rule: "P2", severity: "fail", seq: 60, testTime: 2_000)
        #expect(await eventually(timeoutSeconds: 20) { watch.stdout.contains(#""alert_id":\#(after),"#) }, "\(watch.stdout)")
        #expect(try Self.run(["alerts", "ack", "\(after)", "--database", url, "--by", "carol"]).status == 0)
        // Committed already resolved: the one notification says so.
        let resolvedAtOnce = try Self.insertAlert(database, rule: "Q1", severity: "info", seq: 70, testTime: 2_100, state: "resolved")

        func lines() -> [(Int, String)] { // (alert_id, state) of each printed line
            watch.stdout.split(separator: "\n").compactMap { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let id = object["alert_id"] as? Int, let state = object["state"] as? String else { return nil }
                return (id, state)
            }
        }
        #expect(await eventually(timeoutSeconds: 20) { lines().count >= 4 }, "\(watch.stdout)\n\(watch.stderr)")
        try await Task.sleep(for: .seconds(1))
        let printed = lines().map { "\($0.0) \($0.1)" }
        #expect(printed == ["\(before) firing", "\(after) firing", "\(after) acknowledged", "\(resolvedAtOnce) resolved"], "\(printed)")
        // The alert resolved before the watch started is not open: not printed.
        #expect(watch.process.isRunning)
    }

    @Test func watchCatchesUpAfterItsConnectionIsCut() async throws {
        let database = try await Self.migratedDatabase()
        defer { database.stop() }
        let url = database.url
        let open = try Self.insertAlert(database, rule: "E2", severity: "warn", seq: 50, testTime: 1_000)
        // History: resolved before the watch started, with a higher id than anything it prints
        // before the cut. The re-read after the cut must not take it for news.
        _ = try Self.insertAlert(database, rule: "S4", severity: "warn", seq: 55, testTime: 1_100, state: "resolved")
        let watch = try TestProcess(TestPaths.cellfleet, ["alerts", "watch", "--database", url, "--json"])
        defer { watch.terminate() }
        #expect(await watch.waitForStderr("watching for alerts", timeoutSeconds: 30), "\(watch.stderr)")
        // Cut the watch's connection, and change things before it is back.
        _ = try database.query("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND datname = current_database()
            """)
        _ = try database.query("UPDATE alerts SET state = 'resolved', resolved_at = now() WHERE alert_id = \(open)")
        let raised = try Self.insertAlert(database, rule: "P2", severity: "fail", seq: 60, testTime: 2_000)
        func printed() -> [String] {
            watch.stdout.split(separator: "\n").compactMap { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let id = object["alert_id"] as? Int, let state = object["state"] as? String else { return nil }
                return "\(id) \(state)"
            }
        }
        #expect(await eventually(timeoutSeconds: 20) { printed().count >= 3 }, "\(watch.stdout)\n\(watch.stderr)")
        try await Task.sleep(for: .seconds(1))
        #expect(printed() == ["\(open) firing", "\(open) resolved", "\(raised) firing"], "\(printed())")
    }

    // MARK: export

    @Test func exportIsLosslessAndItsSidecarIsTheCellLiveDetectionJudges() async throws {
        let database = try await Self.migratedDatabase()
        defer { database.stop() }
        let directory = TestPaths.temporaryDirectory("people-export")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Values that lose digits in any fixed format, NULLs (non-finite values as stored), the
        // cycler's counters and step types, a row without voltage.
        _ = try database.query("""
            UPDATE tests SET electrode_area_m2 = 1.13e-4, nominal_capacity_ah = 0.0025,
                attributes = '{"scenario": "8", "threshold.H1.samples": "1000000", "thresholds": {"P2.ratio": 5}, "threshold.H9.samples": "3", "batch": "2026-11-A"}'
            WHERE test_id = '\(Self.testID)';
            INSERT INTO samples (test_id, seq, unix_time_s, test_time_s, voltage_v, current_a, capacity_ah, energy_wh, temperature_c,
                                 step_index, step_type, cycle_index) VALUES
              ('\(Self.testID)', 1, 1764750000.123456, 0, 0.30000000000000004, 1e-300, 0, NULL, 25.5, 1, 2, 1),
              ('\(Self.testID)', 2, 1764750001.123456, 0.1, 5e-324, -2.2250738585072014e-308, 1.0000000000000002e-7, NULL, NULL, 1, 2, 1),
              ('\(Self.testID)', 3, 1764750002.123456, 0.2, NULL, 0.001, NULL, NULL, 26, 2, 1, 1),
              ('\(Self.testID)', 4, NULL, \(Self.longTime), -0.1, 0, 3.3e-5, NULL, NULL, 2, 1, 1);
            """)
        let csv = directory.appendingPathComponent("export.csv")
        let export = try Self.run(["export", "--database", database.url, "--test", Self.testID, "--out", csv.path])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stderr.contains("1 samples with no time, voltage or current were left out"), "\(export.stderr)")
        #expect(export.stderr.contains("threshold.H9.samples") || export.stderr.contains("H9.samples"), "\(export.stderr)")
        let text = try String(contentsOf: csv, encoding: .utf8)
        #expect(text == """
            test_time_second,unix_time_second,current_ampere,voltage_volt,temperature_celsius,cycle_count,step_count,step_id,step_cumulative_capacity_ampere_hour,step_type
            0.0,1764750000.123456,1e-300,0.30000000000000004,25.5,1,1,1,0.0,constant_current_charge
            0.1,1764750001.123456,-2.2250738585072014e-308,5e-324,,1,1,1,1.0000000000000002e-07,constant_current_charge
            \(Self.longTime),,0.0,-0.1,,1,2,2,3.3e-05,rest

            """, "\(text)")
        // Read back as detect reads it: the same doubles, NULLs missing.
        let columns = try BatteryDataFormatCSV.read(contentsOf: csv)
        #expect(columns.voltageVolts == [0.1 + 0.2, 5e-324, -0.1])
        #expect(columns.currentAmperes == [1e-300, -2.2250738585072014e-308, 0])
        #expect(columns.temperatureCelsius[0] == 25.5 && columns.temperatureCelsius[1].isNaN)
        #expect(columns.capacityAmpHours == [0, 1.0000000000000002e-7, 3.3e-5])

        // The sidecar: the cell as TestMetadata gives it to live detection, in the lab's units.
        let sidecar = try CellSidecar.load(contentsOf: directory.appendingPathComponent("export.cell.toml"))
        #expect(sidecar.cellID == "sym-07" && sidecar.cellType == .symmetric)
        #expect(sidecar.areaSquareCentimeters == 1.13e-4 * 10_000 && sidecar.nominalCapacityMilliampHours == 0.0025 * 1000)
        #expect(sidecar.thresholdAssignments == ["H1.samples=1000000", "P2.ratio=5"], "\(sidecar.thresholdAssignments)")
        #expect(sidecar.attributes == ["scenario": "8", "batch": "2026-11-A"])

        // Errors: an unknown test, a directory that is not there.
        let unknown = try Self.run(["export", "--database", database.url, "--test", "00000000-0000-4000-8000-000000000000", "--out", csv.path])
        #expect(unknown.status != 0 && unknown.stderr.contains("no test with id 00000000-0000-4000-8000-000000000000"), "\(unknown.stderr)")
        let noDirectory = try Self.run(["export", "--database", database.url, "--test", Self.testID, "--out", "/nonexistent/x.csv"])
        #expect(noDirectory.status != 0 && noDirectory.stderr.contains("does not exist"), "\(noDirectory.stderr)")
    }

    /// A shorted symmetric cell (simulator preset 8, H1 fires) stored as two tests: one with a
    /// threshold override in its attributes that H1 cannot reach. `detect` on each export (no
    /// flags: the sidecar speaks) judges each as its test's metadata says.
    @Test func detectReadsTheExportsSidecarByItself() async throws {
        let database = try await Self.migratedDatabase()
        defer { database.stop() }
        let directory = TestPaths.temporaryDirectory("people-sidecar")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path)
        let simulated = directory.appendingPathComponent("short.csv")
        _ = try TestProcess.run(TestPaths.cellfleet, ["simulate", "8", "--seed", "2", "--out", simulated.path])
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: simulated.path)
        let header = try #require(try String(contentsOf: simulated, encoding: .utf8).split(separator: "\n").first)
        let names = header.split(separator: ",").map(String.init)
        let quiet = "9c1d2e3f-0a1b-4c5d-8e9f-0a1b2c3d4e5f"
        _ = try database.query("""
            INSERT INTO tests (test_id, agent_id, channel_id, cell_id, cell_type, started_at, attributes)
            VALUES ('\(quiet)', 'lab-agent', 'ch4', 'sym-08', 'symmetric', now(), '{"threshold.H1.samples": "1000000"}');
            CREATE TEMP TABLE staged (n serial, \(names.map { "\($0) double precision" }.joined(separator: ", ")));
            COPY staged (\(names.joined(separator: ", "))) FROM '\(simulated.path)' WITH (FORMAT csv, HEADER);
            INSERT INTO samples (test_id, seq, test_time_s, voltage_v, current_a, temperature_c, cycle_index, step_index)
            SELECT t.id::uuid, row_number() OVER (PARTITION BY t.id ORDER BY s.n), s.test_time_second, s.voltage_volt,
                   s.current_ampere, \(names.contains("temperature_celsius") ? "s.temperature_celsius" : "NULL"),
                   \(names.contains("cycle_count") ? "s.cycle_count::integer" : "NULL"),
                   \(names.contains("step_count") ? "s.step_count::integer" : "NULL")
            FROM staged s CROSS JOIN (VALUES ('\(Self.testID)'), ('\(quiet)')) AS t(id);
            """)
        func exportedRules(_ testID: String) throws -> (rules: Set<String>, cells: Set<String>) {
            let csv = directory.appendingPathComponent("\(testID).csv")
            _ = try TestProcess.run(TestPaths.cellfleet, ["export", "--database", database.url, "--test", testID, "--out", csv.path])
            let lines = try Self.objects(TestProcess.run(TestPaths.cellfleet, ["detect", csv.path]))
            return (Set(lines.compactMap { $0["rule"] as? String }), Set(lines.compactMap { $0["cell"] as? String }))
        }
        let plain = try exportedRules(Self.testID)
        // The die live detection assumes for a test without an area, written out.
        let sidecar = try CellSidecar.load(contentsOf: directory.appendingPathComponent("\(Self.testID).cell.toml"))
        #expect(sidecar.areaSquareCentimeters == 0.785 && sidecar.cellType == .symmetric && sidecar.thresholdAssignments.isEmpty)
        #expect(plain.rules.contains("H1") && plain.cells == ["sym-07"], "\(plain)")
        let overridden = try exportedRules(quiet)
        #expect(!overridden.rules.contains("H1") && overridden.cells.isSubset(of: ["sym-08"]), "\(overridden)")
    }

    // MARK: cycles

    @Test func cyclesPrintsEveryColumnExactly() async throws {
        let database = try await Self.migratedDatabase()
        defer { database.stop() }
        _ = try database.query("""
            INSERT INTO cycle_summaries (test_id, cycle_index, charge_capacity_ah, discharge_capacity_ah, coulombic_efficiency,
                                         dc_resistance_ohm, sample_count, state_of_health)
            VALUES ('\(Self.testID)', 2, 0.0025, 0.00249, 0.30000000000000004, 'NaN', 120, NULL),
                   ('\(Self.testID)', 1, 0.0026, 0.0025, 0.9615384615384615, 12.5, 118, 1);
            """)
        let columnCount = try database.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'cycle_summaries'")
        let url = database.url
        let json = try Self.run(["cycles", "--database", url, "--test", Self.testID, "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let objects = try Self.objects(json.stdout)
        #expect(objects.count == 2 && objects.allSatisfy { $0.count == columnCount })
        #expect(objects.map { $0["cycle_index"] as? Int } == [1, 2])
        #expect(json.stdout.contains(#""coulombic_efficiency":0.30000000000000004"#) && json.stdout.contains(#""dc_resistance_ohm":null"#))
        #expect(objects[1]["test_id"] as? String == Self.testID && objects[1]["updated_at"] is String)

        let csv = try Self.run(["cycles", "--database", url, "--test", Self.testID, "--csv"])
        let csvLines = csv.stdout.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(csvLines.count == 3 && csvLines[0].split(separator: ",").count == columnCount, "\(csv.stdout)")
        #expect(csvLines[2].contains("0.30000000000000004"))

        let table = try Self.run(["cycles", "--database", url, "--test", Self.testID])
        #expect(table.status == 0 && table.stdout.contains("cycle") && table.stdout.contains("0.961538"), "\(table.stdout)")
        let bothFlags = try Self.run(["cycles", "--database", url, "--test", Self.testID, "--json", "--csv"])
        #expect(bothFlags.status != 0)
    }
}
