import TestSupport
import Foundation
import Testing

/// `cellfleet stats --database` and `cellfleet tests list` against real fleets: a running
/// coordinator with simulated agents whose bare cells blow up, and a database of hand-made rows
/// for each censoring case (docs/statistics.md §7).
@Suite(.serialized) struct FleetStatisticsEndToEndTests {
    static var python: String {
        ProcessInfo.processInfo.environment["CELLFLEET_PYTHON"] ?? "python3"
    }

    /// A live fleet: the bare cells fail by P2, the coated ones run on. The database's report is
    /// the `stats --input` report of the lives it wrote, and lifelines agrees with it.
    @Test func theFleetsReportIsTheInputReportOfItsLivesAndLifelinesAgrees() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let spool = TestPaths.temporaryDirectory("fleet-stats")
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: spool)
        }
        let coordinator = try await TestProcess.insecureCoordinator(database, port: port)
        defer { coordinator.terminate() }
        // 60 s of test time a sample, 10 test hours a second: the bare cells' blow-up (≈ 106 h)
        // within ~11 s; the coated cells are still running when the agent stops.
        let agent = try TestProcess(TestPaths.cellfleet, [
            "agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.path, "--simulate", "6",
            "--scenarios", "paper-sym-bare-0.1,paper-sym-coated-0.1", "--rate", "600", "--speed", "36000",
            "--duration", "18", "--insecure", "--agent-id", "stats-agent",
        ])
        #expect(await agent.waitForExit(timeoutSeconds: 180) == 0, "agent stderr: \(agent.stderr.suffix(2000))")
        let failSQL = "SELECT count(DISTINCT test_id) FROM alerts WHERE source = 'detector' AND severity = 'fail'"
        let deadline = Date().addingTimeInterval(60)
        while try database.scalar(failSQL) < 3 && Date() < deadline { try await Task.sleep(for: .milliseconds(500)) }
        try #require(try database.scalar(failSQL) >= 3, "the bare cells did not fail: \(coordinator.stderr.suffix(2000))")

        let directory = TestPaths.temporaryDirectory("fleet-stats-lives")
        defer { try? FileManager.default.removeItem(at: directory) }
        for unit in ["cycles", "hours"] {
            let livesCSV = directory.appendingPathComponent("lives-\(unit).csv").path
            let fromDatabase = try TestProcess.run(TestPaths.cellfleet, [
                "stats", "--database", database.url, "--group-by", "scenario", "--unit", unit, "--json", "--lives-csv", livesCSV,
            ])
            let fromInput = try TestProcess.run(TestPaths.cellfleet, ["stats", "--input", livesCSV, "--json"])
            var report = try Self.object(fromDatabase)
            #expect(report["group_by"] as? String == "scenario" && report["event"] as? String == "fail" && report["unit"] as? String == unit)
            #expect(report["excluded_tests"] as? Int == 0, "\(fromDatabase)")
            for added in ["group_by", "event", "unit", "excluded_tests", "excluded"] { report.removeValue(forKey: added) }
            #expect(NSDictionary(dictionary: report).isEqual(to: try Self.object(fromInput)), "database:\n\(fromDatabase)\ninput:\n\(fromInput)")

            let groups = try #require(report["groups"] as? [String: [String: Any]])
            #expect(groups["paper-sym-bare-0.1"]?["n"] as? Int == 3 && groups["paper-sym-bare-0.1"]?["events"] as? Int == 3, "\(groups)")
            #expect(groups["paper-sym-coated-0.1"]?["n"] as? Int == 3 && groups["paper-sym-coated-0.1"]?["events"] as? Int == 0, "\(groups)")
            // The table is the same report for people.
            let table = try TestProcess.run(TestPaths.cellfleet, ["stats", "--database", database.url, "--group-by", "scenario", "--unit", unit])
            #expect(table.contains("paper-sym-bare-0.1") && table.contains(unit), "\(table)")

            try Self.expectLifelinesAgrees(livesCSV: livesCSV, report: report)
        }
    }

    /// Every censoring case on hand-made rows: a running and an ended-without-fail test are
    /// censored at their current count, fleet-health and scheduler alerts and detector warnings do
    /// not count, the first fail alert does (in the cycle it fell in), soh80 is the first cycle
    /// below 0.8, and tests without the attribute or without a life yet are left out and counted.
    @Test func livesAreCensoredAtTheCurrentCountAndOnlyDetectorFailsCount() async throws {
        let database = try TestDatabase()
        defer { database.stop() }
        try await Self.migrate(database)
        _ = try database.query(Self.handMadeFleet)
        let directory = TestPaths.temporaryDirectory("fleet-stats-censoring")
        defer { try? FileManager.default.removeItem(at: directory) }

        func lives(_ arguments: [String]) throws -> (lives: [String: (life: Double, failed: Bool, kind: String)], report: [String: Any]) {
            let csv = directory.appendingPathComponent("lives.csv").path
            let json = try TestProcess.run(TestPaths.cellfleet, ["stats", "--database", database.url, "--group-by", "coating", "--json", "--lives-csv", csv] + arguments)
            let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            #expect(lines.first == ["cell", "group", "life", "failed", "channel", "cycler"] || lines.first == ["cell", "group", "life", "failed", "channel", "cycler", "kind"])
            var byCell: [String: (life: Double, failed: Bool, kind: String)] = [:]
            for fields in lines.dropFirst() {
                byCell[fields[0]] = (Double(fields[2])!, fields[3] == "1", fields.count > 6 ? fields[6] : "")
            }
            return (byCell, try Self.object(json))
        }

        let cycles = try lives([])
        #expect(cycles.lives["running"]! == (5, false, ""), "censored at its 5 completed cycles (the cycler counts from 0)")
        #expect(cycles.lives["ended"]! == (3, false, ""), "ended without a fail: censored at 3")
        #expect(cycles.lives["failed"]! == (3, true, "P2"), "the first detector fail fell in the 3rd cycle")
        #expect(cycles.lives["failed-midcycle"]! == (3, true, "S6"), "after 2 completed cycles, in the 3rd")
        #expect(cycles.lives["faded"]! == (4, false, ""), "no fail alert: censored at 4 cycles")
        #expect(cycles.lives.count == 5, "\(cycles.lives)")
        #expect(cycles.report["excluded_tests"] as? Int == 2)
        let excluded = try #require(cycles.report["excluded"] as? [String: Int])
        #expect(excluded["without_group"] == 1 && excluded["not_yet_at_risk"] == 1, "\(excluded)")
        let groups = try #require(cycles.report["groups"] as? [String: [String: Any]])
        #expect(groups["LiAlO2"]?["n"] as? Int == 3 && groups["LiAlO2"]?["events"] as? Int == 0, "\(groups)")
        #expect(groups["bare"]?["n"] as? Int == 2 && groups["bare"]?["events"] as? Int == 2, "\(groups)")

        let hours = try lives(["--unit", "hours"])
        #expect(hours.lives["running"]! == (5, false, ""), "the last committed sample at 18000 s")
        #expect(hours.lives["ended"]! == (2, false, ""))
        #expect(hours.lives["failed"]! == (2.5, true, "P2"))
        #expect(hours.lives["failed-midcycle"]!.life == 8000.0 / 3600)

        let soh = try lives(["--event", "soh80"])
        #expect(soh.lives["faded"]! == (3, true, ""), "the first cycle below 0.8 is the 3rd")
        #expect(soh.lives["failed"]! == (4, false, ""), "no SOH below 0.8: censored at its 4 cycles")
        #expect(soh.lives["running"]! == (5, false, ""))
        let sohHours = try lives(["--event", "soh80", "--unit", "hours"])
        #expect(sohHours.lives["faded"]! == (3, true, ""), "the 3rd cycle ends at 10800 s")

        // A filter leaves the rest out; a query without lives and a bad flag are a sentence, not a crash.
        let bare = try lives(["--where", "coating=bare"])
        #expect(Set(bare.lives.keys) == ["failed", "failed-midcycle"])
        let none = try TestProcess(TestPaths.cellfleet, ["stats", "--database", database.url, "--group-by", "nonesuch"])
        #expect(await none.waitForExit(timeoutSeconds: 30) == 1)
        #expect(none.stderr.contains("none has the attribute 'nonesuch'"), "\(none.stderr)")
        let both = try TestProcess(TestPaths.cellfleet, ["stats", "--database", database.url, "--input", "x.csv", "--group-by", "coating"])
        #expect(await both.waitForExit(timeoutSeconds: 30) != 0)
        #expect(both.stderr.contains("mutually exclusive"), "\(both.stderr)")
    }

    /// `tests list --where coating=…` lists exactly the matching tests, as JSON lines and as CSV.
    @Test func testsListReturnsExactlyTheMatchingTests() async throws {
        let database = try TestDatabase()
        defer { database.stop() }
        try await Self.migrate(database)
        _ = try database.query(Self.handMadeFleet)
        let expected = Set(try database.query("SELECT test_id FROM tests WHERE attributes ->> 'coating' = 'LiAlO2'"))
        #expect(expected.count == 3)

        let json = try TestProcess.run(TestPaths.cellfleet, ["tests", "list", "--database", database.url, "--where", "coating=LiAlO2", "--json"])
        let objects = try json.split(separator: "\n").map { try Self.object(String($0)) }
        #expect(Set(objects.compactMap { $0["test_id"] as? String }) == expected, "\(json)")
        #expect(objects.count == 3)
        let running = try #require(objects.first { $0["cell_id"] as? String == "running" })
        #expect(running["state"] as? String == "running" && running["committed_seq"] as? Int == 5)
        #expect((running["attributes"] as? [String: Any])?["coating"] as? String == "LiAlO2")
        let ended = try #require(objects.first { $0["cell_id"] as? String == "ended" })
        #expect(ended["state"] as? String == "ended" && ended["end_reason"] as? String == "completed")

        let csv = try TestProcess.run(TestPaths.cellfleet, ["tests", "list", "--database", database.url, "--where", "coating=LiAlO2", "--csv"])
        let lines = csv.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("test_id,agent_id,channel_id,cell_id,state,") == true, "\(csv)")
        #expect(Set(lines.dropFirst().map { String($0.prefix(36)) }) == expected, "\(csv)")
        #expect(lines.dropFirst().allSatisfy { $0.contains("\"{\"\"coating\"\":\"\"LiAlO2\"\"") }, "attributes as JSON text: \(csv)")

        let endedOnly = try TestProcess.run(TestPaths.cellfleet, ["tests", "list", "--database", database.url, "--where", "coating=LiAlO2", "--state", "ended", "--json"])
        #expect(endedOnly.split(separator: "\n").count == 1, "\(endedOnly)")
        let table = try TestProcess.run(TestPaths.cellfleet, ["tests", "list", "--database", database.url, "--where", "coating=bare"])
        #expect(table.contains("failed-midcycle") && table.contains("not-started") && !table.contains("faded"), "\(table)")
    }

    // MARK: - support

    /// The schema, as a coordinator's start leaves it.
    static func migrate(_ database: TestDatabase) async throws {
        let coordinator = try await TestProcess.insecureCoordinator(database, port: TestPaths.freePort())
        coordinator.terminate()
    }

    /// Seven tests, by cell id: `running` (coated, 5 cycles numbered from 0, samples to 18000 s,
    /// a fleet-health F1 "fail", a scheduler L1 and a detector warning); `ended` (coated, 3 cycles,
    /// ended without a fail); `failed` (bare, P2 at 9000 s in its 3rd cycle, a later S6); `failed-
    /// midcycle` (bare, S6 at 8000 s after 2 completed cycles); `faded` (coated, SOH 1, 0.9, 0.79,
    /// 0.7); `no-group` (no coating); `not-started` (bare, nothing committed yet).
    static let handMadeFleet = """
        INSERT INTO tests (test_id, agent_id, channel_id, cell_id, attributes, started_at, ended_at, end_reason, last_seq) VALUES
          ('00000000-0000-4000-8000-000000000001', 'a1', '1', 'running', '{"coating":"LiAlO2"}', now() - interval '7 hours', NULL, NULL, NULL),
          ('00000000-0000-4000-8000-000000000002', 'a1', '2', 'ended', '{"coating":"LiAlO2"}', now() - interval '6 hours', now(), 'completed', 3),
          ('00000000-0000-4000-8000-000000000003', 'a1', '3', 'failed', '{"coating":"bare"}', now() - interval '5 hours', NULL, NULL, NULL),
          ('00000000-0000-4000-8000-000000000004', 'a2', '1', 'failed-midcycle', '{"coating":"bare"}', now() - interval '4 hours', NULL, NULL, NULL),
          ('00000000-0000-4000-8000-000000000005', 'a2', '2', 'faded', '{"coating":"LiAlO2"}', now() - interval '3 hours', NULL, NULL, NULL),
          ('00000000-0000-4000-8000-000000000006', 'a2', '3', 'no-group', '{"batch":"7"}', now() - interval '2 hours', NULL, NULL, NULL),
          ('00000000-0000-4000-8000-000000000007', 'a2', '4', 'not-started', '{"coating":"bare"}', now() - interval '1 hours', NULL, NULL, NULL);
        INSERT INTO test_progress (test_id, committed_seq) VALUES
          ('00000000-0000-4000-8000-000000000001', 5), ('00000000-0000-4000-8000-000000000002', 3),
          ('00000000-0000-4000-8000-000000000003', 4), ('00000000-0000-4000-8000-000000000004', 3),
          ('00000000-0000-4000-8000-000000000005', 4), ('00000000-0000-4000-8000-000000000006', 1);
        -- Samples: one per cycle end; the running test's last committed one at 18000 s, one past
        -- its committed seq (not yet committed) later still.
        INSERT INTO samples (test_id, seq, unix_time_s, test_time_s, voltage_v, current_a) VALUES
          ('00000000-0000-4000-8000-000000000001', 1, 1, 3600, 0.1, 0.001), ('00000000-0000-4000-8000-000000000001', 5, 5, 18000, 0.1, 0.001),
          ('00000000-0000-4000-8000-000000000001', 6, 6, 21600, 0.1, 0.001),
          ('00000000-0000-4000-8000-000000000002', 3, 3, 7200, 0.1, 0.001),
          ('00000000-0000-4000-8000-000000000003', 4, 4, 14400, 0.1, 0.001),
          ('00000000-0000-4000-8000-000000000004', 3, 3, 8000, 0.1, 0.001),
          ('00000000-0000-4000-8000-000000000005', 4, 4, 14400, 3.7, 0.001),
          ('00000000-0000-4000-8000-000000000006', 1, 1, 3600, 0.1, 0.001);
        INSERT INTO cycle_summaries (test_id, cycle_index, start_test_time_s, end_test_time_s, state_of_health)
        SELECT '00000000-0000-4000-8000-000000000001'::uuid, i, i * 3600.0, (i + 1) * 3600.0, NULL::double precision FROM generate_series(0, 4) i
        UNION ALL SELECT '00000000-0000-4000-8000-000000000002', i, (i - 1) * 2400, i * 2400, NULL FROM generate_series(1, 3) i
        UNION ALL SELECT '00000000-0000-4000-8000-000000000003', i, (i - 1) * 3600, i * 3600, NULL FROM generate_series(1, 4) i
        UNION ALL SELECT '00000000-0000-4000-8000-000000000004', i, (i - 1) * 3600, i * 3600, NULL FROM generate_series(1, 2) i
        UNION ALL SELECT '00000000-0000-4000-8000-000000000005', i, (i - 1) * 3600, i * 3600, (ARRAY[1.0, 0.9, 0.79, 0.7])[i] FROM generate_series(1, 4) i
        UNION ALL SELECT '00000000-0000-4000-8000-000000000006', 1, 0, 3600, NULL;
        INSERT INTO alerts (test_id, agent_id, channel_id, cell_id, rule, severity, source, seq, test_time_s, message, evidence) VALUES
          ('00000000-0000-4000-8000-000000000001', 'a1', '1', 'running', 'F1', 'fail', 'coordinator', NULL, NULL, 'silent', '{}'),
          ('00000000-0000-4000-8000-000000000001', 'a1', '1', 'running', 'L1', 'info', 'scheduler', NULL, NULL, 'load', '{"request_id":"r1"}'),
          ('00000000-0000-4000-8000-000000000001', 'a1', '1', 'running', 'P1', 'warn', 'detector', 2, 7000, 'rising', '{}'),
          ('00000000-0000-4000-8000-000000000003', 'a1', '3', 'failed', 'S6', 'fail', 'detector', 4, 12000, 'later', '{}'),
          ('00000000-0000-4000-8000-000000000003', 'a1', '3', 'failed', 'P2', 'fail', 'detector', 3, 9000, 'blow-up', '{}'),
          ('00000000-0000-4000-8000-000000000004', 'a2', '1', 'failed-midcycle', 'S6', 'fail', 'detector', 3, 8000, 'CE', '{}');
        """

    static func object(_ text: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(text.prefix(500))")
        }
        return object
    }

    static func number(_ value: Any?) -> Double? {
        (value as? NSNumber)?.doubleValue
    }

    static func relativeError(_ got: Double, _ want: Double) -> Double {
        abs(got - want) / max(abs(want), 1e-300)
    }

    /// lifelines on the lives CSV, within the tolerances of the statistics core's own
    /// cross-check (LifelinesAgreementTests): KM and its bounds 1e-9, Weibull 1e-4, log-rank 1e-9.
    static func expectLifelinesAgrees(livesCSV: String, report: [String: Any]) throws {
        let script = TestPaths.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Python/lives_lifelines.py").path
        let output = try TestProcess.run(python, [script, livesCSV])
        let lifelines = try object(output)
        let ours = try #require(report["groups"] as? [String: [String: Any]])
        let theirs = try #require(lifelines["groups"] as? [String: [String: Any]])
        #expect(Set(ours.keys) == Set(theirs.keys))
        for (name, want) in theirs {
            let got = try #require(ours[name])
            #expect(got["n"] as? Int == want["n"] as? Int && got["events"] as? Int == want["events"] as? Int, "\(name)")
            #expect(number(got["median"]) == number(want["median"]), "\(name) median")
            let gotRows = try #require(got["km"] as? [[String: Any]]), wantRows = try #require(want["km"] as? [[String: Any]])
            try #require(gotRows.count == wantRows.count, "\(name) KM rows \(gotRows.count) vs lifelines \(wantRows.count)")
            for (row, reference) in zip(gotRows, wantRows) {
                #expect(number(row["time"]) == number(reference["time"]), "\(name) time")
                for key in ["survival", "lower", "upper"] {
                    #expect(abs((number(row[key]) ?? .nan) - number(reference[key])!) <= 1e-9, "\(name) \(key) at \(row["time"] ?? "?")")
                }
            }
            let gotFit = got["weibull"] as? [String: Any], wantFit = want["weibull"] as? [String: Any]
            if gotFit == nil, let note = got["weibull_note"] as? String, let wantFit {
                // Every failure at one life (the simulated bare cells blow up alike): the shape has
                // no finite estimate; we say so, lifelines returns a shape near infinity.
                #expect(note.contains("no Weibull fit"), "\(name): \(note)")
                #expect(number(wantFit["shape"])! > 1e6, "\(name): lifelines found a finite shape \(wantFit)")
                continue
            }
            #expect((gotFit != nil) == (wantFit != nil), "\(name): a Weibull fit from 3 failures")
            if let gotFit, let wantFit {
                for key in ["shape", "scale", "b10"] {
                    #expect(relativeError(number(gotFit[key])!, number(wantFit[key])!) < 1e-4, "\(name) Weibull \(key)")
                }
            }
        }
        if let want = lifelines["logrank"] as? [String: Any] {
            let got = try #require(report["logrank"] as? [String: Any])
            #expect(got["df"] as? Int == want["df"] as? Int)
            #expect(relativeError(number(got["chi2"])!, number(want["chi2"])!) < 1e-9, "log-rank chi2")
            #expect(relativeError(number(got["p"])!, number(want["p"])!) < 1e-9, "log-rank p")
        }
    }
}
