import TestSupport
import Foundation
import Testing

/// Live detection through real processes (issue 12's acceptance, at a higher rate so it takes
/// seconds): a real coordinator and database, an agent simulating the reference study's cells,
/// the coordinator killed with `kill -9` and restarted twice mid-run. For every test, `cellfleet
/// export` → `cellfleet detect` gives the same (rule, test time) list as `cellfleet alerts list
/// --json` (issue 12's acceptance) — so the replays after each kill derived every alert once, and
/// the export with its sidecar describes the cell live detection judged — and every cycle is
/// summarised once.
@Suite(.serialized) struct LiveDetectionTests {
    /// 60 s of test time per sample, as the acceptance run (`--rate 200 --speed 12000`).
    static let rate = 1000, speed = 60_000

    @Test func alertsAreDetectsVerdictAcrossCoordinatorKills() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let spool = TestPaths.temporaryDirectory("live-detection")
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: spool)
        }
        var coordinators: [TestProcess] = []
        func startCoordinator() async throws {
            coordinators.append(try await TestProcess.insecureCoordinator(database, port: port))
        }
        defer { coordinators.forEach { $0.terminate() } }
        try await startCoordinator()
        let agent = try TestProcess(TestPaths.cellfleet, [
            "agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.path, "--simulate", "4",
            "--scenarios", "1,4,10,9", "--rate", "\(Self.rate)", "--speed", "\(Self.speed)", "--duration", "20",
            "--insecure", "--agent-id", "live-agent",
        ])
        for _ in 0..<2 {
            try await Task.sleep(for: .seconds(6))
            coordinators.last?.kill9()
            try await Task.sleep(for: .seconds(1))
            try await startCoordinator()
        }
        #expect(await agent.waitForExit(timeoutSeconds: 180) == 0, "agent stderr: \(agent.stderr.suffix(2000))")
        // The last test end commits, and with it the detectors are finished.
        #expect(await eventually(timeoutSeconds: 30) {
            try database.scalar("SELECT count(*) FROM detector_checkpoints WHERE finished") == 4
        }, "coordinator stderr: \(coordinators.last?.stderr.suffix(3000) ?? "")")

        let tests = try database.query("""
            SELECT test_id || '|' || cell_id || '|' || (attributes->>'scenario') FROM tests ORDER BY channel_id
            """).map { $0.split(separator: "|").map(String.init) }
        #expect(tests.map { $0[2] } == ["1", "4", "10", "9"])
        let exports = TestPaths.temporaryDirectory("live-export")
        defer { try? FileManager.default.removeItem(at: exports) }
        for test in tests {
            let (testID, scenario) = (test[0], test[2])
            let live = try listedAlerts(database, testID: testID)
            let offline = try exportedAlerts(database, testID: testID, into: exports)
            #expect(live == offline, "scenario \(scenario): live \(live) offline \(offline)")
            // Every cycle once, none missing between the first and the last summarised.
            let cycles = try database.query("SELECT min(cycle_index) || ' ' || max(cycle_index) || ' ' || count(*) FROM cycle_summaries WHERE test_id = '\(testID)'")
                .first!.split(separator: " ").compactMap { Int($0) }
            #expect(cycles.count == 3 && cycles[2] == cycles[1] - cycles[0] + 1 && cycles[2] > 10, "scenario \(scenario): cycles \(cycles)")
        }

        // The acceptance windows (docs/detectors.md §8): the blow-up cell's P2 inside 100–112 h,
        // the knee cell's E2 at cycle 7 ± 1, no warn or fail on the healthy cells but R1.
        let blowUp = try database.query("""
            SELECT a.test_time_s / 3600 FROM alerts a JOIN tests t USING (test_id) WHERE t.attributes->>'scenario' = '4' AND a.rule = 'P2'
            """).compactMap(Double.init)
        #expect(blowUp.count == 1 && (100...112).contains(blowUp[0]), "P2 at \(blowUp) h")
        let knee = try database.query("""
            SELECT a.cycle_index FROM alerts a JOIN tests t USING (test_id) WHERE t.attributes->>'scenario' = '10' AND a.rule = 'E2'
            """).compactMap(Int.init)
        #expect(knee.count == 1 && (6...8).contains(knee[0]), "E2 at cycle \(knee)")
        let healthy = try database.query("""
            SELECT t.attributes->>'scenario' || ' ' || a.rule FROM alerts a JOIN tests t USING (test_id)
            WHERE t.attributes->>'scenario' IN ('1', '9') AND a.severity IN ('warn', 'fail') AND a.rule <> 'R1'
            """)
        #expect(healthy.isEmpty, "\(healthy)")
        // The restarted coordinators took the tests over from their checkpoints.
        #expect(coordinators.dropFirst().contains { $0.stderr.contains("replaying samples to catch live detection up") })
    }

    struct AlertAt: Comparable, CustomStringConvertible {
        var rule: String
        var testTimeSeconds: Double
        static func < (a: Self, b: Self) -> Bool { (a.testTimeSeconds, a.rule) < (b.testTimeSeconds, b.rule) }
        var description: String { "\(rule)@\(testTimeSeconds)" }
    }

    /// `cellfleet alerts list --test ID --source detector --json`: the test's alerts as people
    /// list them, without the coordinator's fleet-health ones (which `detect` has no part in).
    func listedAlerts(_ database: TestDatabase, testID: String) throws -> [AlertAt] {
        let output = try TestProcess.run(TestPaths.cellfleet, [
            "alerts", "list", "--database", database.url, "--test", testID, "--source", "detector", "--json",
        ])
        struct Line: Decodable { var rule: String; var test_time_second: Double; var test_id: String }
        let lines = try output.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
        #expect(lines.allSatisfy { $0.test_id == testID })
        return lines.map { AlertAt(rule: $0.rule, testTimeSeconds: $0.test_time_second) }.sorted()
    }

    /// `cellfleet export` of the test, then `cellfleet detect` on the file with no flags: the
    /// sidecar the export wrote beside it describes the cell.
    func exportedAlerts(_ database: TestDatabase, testID: String, into directory: URL) throws -> [AlertAt] {
        let file = directory.appendingPathComponent("\(testID).csv")
        _ = try TestProcess.run(TestPaths.cellfleet, ["export", "--database", database.url, "--test", testID, "--out", file.path])
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("\(testID).cell.toml").path))
        let output = try TestProcess.run(TestPaths.cellfleet, ["detect", file.path])
        struct Line: Decodable { var rule: String; var test_time_second: Double }
        return try output.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
            .map { AlertAt(rule: $0.rule, testTimeSeconds: $0.test_time_second) }.sorted()
    }
}
