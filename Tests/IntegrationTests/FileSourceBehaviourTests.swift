import TestSupport
import Foundation
import Testing

/// What else a watched folder does, through real processes, with a TOML configuration: an
/// experiment split over parts is one test; a declared channel is announced before any file
/// names it; the watch's cell defaults, the file's header and a sidecar combine in their order;
/// a file not grown for `idle_end_hours` ends its test; a finished file moved into an archive
/// folder is not a new test.
@Suite(.serialized) struct FileSourceBehaviourTests {
    static let fixtures = TestPaths.repositoryRoot.appendingPathComponent("Tests/Core/CyclerReadersTests/Fixtures")

    @Test func partsDeclaredChannelsMetadataIdleEndAndArchiving() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let root = TestPaths.temporaryDirectory("watch-behaviour")
        let watch = root.appendingPathComponent("export")
        try FileManager.default.createDirectory(at: watch, withIntermediateDirectories: true)
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: root)
        }
        let coordinator = try await TestProcess.insecureCoordinator(database, port: port)
        defer { coordinator.terminate() }

        // An Arbin export split in two workbooks: header + first half, header + second half.
        let arbin = try String(contentsOf: Self.fixtures.appendingPathComponent("arbin_csv/arbin_example.csv"), encoding: .utf8)
        // CR LF, as Arbin writes it (a Swift Character holds the pair: split on the string).
        var lines = arbin.components(separatedBy: "\r\n")
        if lines.last == "" { lines.removeLast() }
        let header = lines[0], records = Array(lines.dropFirst())
        let half = records.count / 2
        try ([header] + records[..<half]).joined(separator: "\r\n").appending("\r\n").write(to: watch.appendingPathComponent("NMC-07_Channel_12_Wb_1.csv"), atomically: true, encoding: .utf8)
        // A second split experiment whose second part's clock starts again at 0: it continues the
        // test's time. Each part is a whole Neware export (9 064 records: two batches each, so the
        // offset must hold beyond the part's first batch).
        let neware = try String(contentsOf: Self.fixtures.appendingPathComponent("neware_csv/neware_uio.csv"), encoding: .utf8)
        let newareRecords = neware.split(separator: "\n").count - 1
        try neware.write(to: watch.appendingPathComponent("LFP-02_Channel_13_Wb_1.csv"), atomically: true, encoding: .utf8)
        // A Novonix file (its header gives mass, capacity and area) and a LAND file with a sidecar.
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("novonix_csv/sample_data_novonix.csv"), to: watch.appendingPathComponent("novonix_CH01.csv"))
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("synthetic/land_synthetic.csv"), to: watch.appendingPathComponent("land_3-1.csv"))
        try "nominal_capacity_mah = 2.4\n".write(to: watch.appendingPathComponent("land_3-1.cell.toml"), atomically: true, encoding: .utf8)

        let config = root.appendingPathComponent("agent.toml")
        try """
            agent_id = "behaviour-pc"
            [coordinator]
            endpoint = "tcp://127.0.0.1:\(port)"
            insecure = true
            [spool]
            directory = "spool"
            [cycler]
            make = "Arbin"
            model = "LBT21084"

            [[channel]]
            id = "99"
            make = "Arbin"
            model = "MSTAT"
            current_min_a = -0.5
            current_max_a = 0.5
            voltage_min_v = 0
            voltage_max_v = 5

            [[watch]]
            directory = "export"
            channel = "_(?:Channel_|CH|)(\\\\d+(?:-\\\\d+)?)(?:_Wb_\\\\d+)?\\\\.csv$"
            settle_seconds = 1
            poll_seconds = 0.3
            idle_end_hours = 0.002
            [watch.cell]
            cell_type = "full"
            area_cm2 = 2.0
            [watch.cell.attributes]
            batch = "2026-11-A"
            """.write(to: config, atomically: true, encoding: .utf8)
        let agent = try TestProcess(TestPaths.cellfleet, ["agent", "--config", config.path])
        defer { agent.terminate() }

        // The declared channel is announced at once, with what the config says of it.
        #expect(await eventually(timeoutSeconds: 60) {
            try database.query("SELECT cycler_make, cycler_model, current_max_a FROM channels WHERE channel_id = '99'") == ["Arbin|MSTAT|0.5"]
        }, "declared channel 99 announced: \((try? database.query("SELECT * FROM channels")) ?? [])")
        // The second workbook appears while the first test runs: one test, numbered on.
        try await Task.sleep(for: .seconds(2))
        try ([header] + records[half...]).joined(separator: "\r\n").appending("\r\n").write(to: watch.appendingPathComponent("NMC-07_Channel_12_Wb_2.csv"), atomically: true, encoding: .utf8)
        try neware.write(to: watch.appendingPathComponent("LFP-02_Channel_13_Wb_2.csv"), atomically: true, encoding: .utf8)

        #expect(await eventually(timeoutSeconds: 90) {
            try database.scalar("SELECT count(*) FROM tests WHERE end_reason = 'idle'") == 4
        }, "every test ended idle: \((try? database.query("SELECT attributes->>'source_file', end_reason FROM tests")) ?? []) \(agent.stderr.suffix(3000))")
        let arbinTests = try database.query("SELECT test_id, channel_id, cell_id FROM tests WHERE attributes->>'source_file' = 'NMC-07_Channel_12_Wb_1.csv'")
        #expect(arbinTests.count == 1 && arbinTests.first?.hasSuffix("|12|NMC-07_Channel_12") == true, "\(arbinTests)")
        let arbinID = String(arbinTests.first?.split(separator: "|").first ?? "")
        let counts = try database.query("SELECT count(*), max(seq) FROM samples WHERE test_id = '\(arbinID)'")
        #expect(counts == ["\(records.count)|\(records.count)"], "both parts, numbered 1…n: \(counts)")
        #expect(try database.scalar("SELECT count(*) FROM tests WHERE attributes->>'source_file' LIKE '%Wb_2%'") == 0)
        // The restarted clock: both parts' samples, test time never going back, the second part after the first.
        let lfp = try database.query("""
            SELECT count(*), max(s.test_time_s) > 1.9 * (SELECT max(test_time_s) FROM samples x WHERE x.test_id = s.test_id AND x.seq <= \(newareRecords)),
                   bool_and(s.test_time_s >= coalesce(p.test_time_s, s.test_time_s))
            FROM samples s JOIN tests t ON t.test_id = s.test_id
            LEFT JOIN samples p ON p.test_id = s.test_id AND p.seq = s.seq - 1
            WHERE t.attributes->>'source_file' = 'LFP-02_Channel_13_Wb_1.csv' GROUP BY s.test_id
            """)
        // (Failed once in a full run on a busy machine, 15 230 of 18 130 rows: what the agent set
        // aside and what the coordinator refused say which side lost them.)
        #expect(lfp == ["\(2 * newareRecords)|t|t"], """
            \(lfp); set aside: \((try? String(contentsOf: root.appendingPathComponent("spool/rejected/index.jsonl"), encoding: .utf8)) ?? "nothing")
            coordinator: \(coordinator.stderr.split(separator: "\n").filter { $0.contains("refus") || $0.contains("error") }.suffix(20).joined(separator: "\n"))
            agent: \(agent.stderr.suffix(4000))
            """)

        // Novonix: the header's mass and capacity, the watch's area, type and batch.
        let novonix = try database.query("""
            SELECT channel_id, cell_type, electrode_area_m2, active_mass_kg, nominal_capacity_ah, attributes->>'batch', attributes->>'profile'
            FROM tests WHERE attributes->>'source_file' = 'novonix_CH01.csv'
            """)
        #expect(novonix == ["01|full|0.0002|0.001|5|2026-11-A|novonix_csv"], "\(novonix)")
        // LAND: the sidecar's capacity over everything.
        let land = try database.query("SELECT channel_id, nominal_capacity_ah, electrode_area_m2 FROM tests WHERE attributes->>'source_file' = 'land_3-1.csv'")
        #expect(land == ["3-1|0.0024|0.0002"], "\(land)")

        // Finished files moved into an archive folder of the watched tree are not new tests.
        let archive = watch.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: archive, withIntermediateDirectories: true)
        for name in ["novonix_CH01.csv", "land_3-1.csv"] {
            try FileManager.default.moveItem(at: watch.appendingPathComponent(name), to: archive.appendingPathComponent(name))
        }
        #expect(await agent.waitForStderr("a followed file moved", timeoutSeconds: 30), "\(agent.stderr.suffix(2000))")
        try await Task.sleep(for: .seconds(3))
        #expect(try database.scalar("SELECT count(*) FROM tests") == 4)
        #expect(try database.scalar("SELECT count(*) FROM samples") == records.count + 2 * newareRecords + 207 + (try Self.rows(of: "synthetic/land_synthetic.csv")))
    }

    /// Both parts of a split experiment already old when the agent finds them: the first part
    /// is idle the moment it has been read, but only that part is finished — the test goes on
    /// in the second part and ends idle after it, with every record of both.
    @Test func anOldFirstPartIdleOnceReadHandsOnToTheNextPart() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let root = TestPaths.temporaryDirectory("watch-old-parts")
        let watch = root.appendingPathComponent("export")
        try FileManager.default.createDirectory(at: watch, withIntermediateDirectories: true)
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: root)
        }
        let coordinator = try await TestProcess.insecureCoordinator(database, port: port)
        defer { coordinator.terminate() }
        let neware = try String(contentsOf: Self.fixtures.appendingPathComponent("neware_csv/neware_uio.csv"), encoding: .utf8)
        let records = neware.split(separator: "\n").count - 1
        let anHourAgo = Date().addingTimeInterval(-3600)
        for part in 1...2 {
            let file = watch.appendingPathComponent("LFP-09_Channel_4_Wb_\(part).csv")
            try neware.write(to: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.modificationDate: anHourAgo], ofItemAtPath: file.path)
        }
        let config = root.appendingPathComponent("agent.toml")
        try """
            agent_id = "old-parts-pc"
            [coordinator]
            endpoint = "tcp://127.0.0.1:\(port)"
            insecure = true
            [spool]
            directory = "spool"
            [cycler]
            make = "Neware"
            model = "BTS4000"
            [[watch]]
            directory = "export"
            channel = "_Channel_(\\\\d+)(?:_Wb_\\\\d+)?\\\\.csv$"
            settle_seconds = 1
            poll_seconds = 0.3
            idle_end_hours = 0.002
            """.write(to: config, atomically: true, encoding: .utf8)
        let agent = try TestProcess(TestPaths.cellfleet, ["agent", "--config", config.path])
        defer { agent.terminate() }
        #expect(await eventually(timeoutSeconds: 120) {
            try database.scalar("SELECT count(*) FROM tests WHERE end_reason = 'idle'") == 1
        }, "the test ended idle: \((try? database.query("SELECT attributes->>'source_file', end_reason FROM tests")) ?? []) \(agent.stderr.suffix(3000))")
        #expect(try database.scalar("SELECT count(*) FROM tests") == 1)
        #expect(try database.query("SELECT count(*), max(seq) FROM samples") == ["\(2 * records)|\(2 * records)"],
                "both parts, numbered on: \(agent.stderr.suffix(3000))")
    }

    static func rows(of fixture: String) throws -> Int {
        struct Inspected: Decodable { var rows: Int }
        return try JSONDecoder().decode(Inspected.self, from: Data(TestProcess.run(TestPaths.cellfleet, ["inspect", fixtures.appendingPathComponent(fixture).path, "--json"]).utf8)).rows
    }
}

/// A followed real cycler whose cell fails under `--on-fail stop`: the coordinator asks for the
/// stop, and the agent, which only reads the instrument's export, answers that it cannot; the
/// alert says a person must stop the channel.
@Suite(.serialized) struct FileSourceSafetyStopTests {
    @Test func aStopForAFollowedRealCyclerIsAnsweredThatAPersonMustStopIt() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let root = TestPaths.temporaryDirectory("watch-stop")
        let watch = root.appendingPathComponent("export")
        try FileManager.default.createDirectory(at: watch, withIntermediateDirectories: true)
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: root)
        }
        // A bare Li | LGPS | Li cell's export (its overpotential blows up), as a BDF CSV the agent follows.
        _ = try TestProcess.run(TestPaths.cellfleet, ["simulate", "4", "--out", watch.appendingPathComponent("bare_7.csv").path])
        try "cell_type = \"symmetric\"\narea_cm2 = 1.0\n".write(to: watch.appendingPathComponent("bare_7.cell.toml"), atomically: true, encoding: .utf8)
        let coordinator = try await TestProcess.insecureCoordinator(database, port: port)
        defer { coordinator.terminate() }
        let agent = try TestProcess(TestPaths.cellfleet, [
            "agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", root.appendingPathComponent("spool").path, "--insecure",
            "--agent-id", "land-stop", "--watch", watch.path, "--on-fail", "stop", "--settle-seconds", "1", "--poll-seconds", "0.5",
        ])
        defer { agent.terminate() }
        #expect(await eventually(timeoutSeconds: 120) {
            try database.query("SELECT safety_stop FROM alerts WHERE severity = 'fail' AND safety_stop IS NOT NULL").contains { $0.hasPrefix("not stopped") }
        }, "\((try? database.query("SELECT rule, severity, safety_stop FROM alerts")) ?? []) \(agent.stderr.suffix(2000))")
        let answer = try database.query("SELECT safety_stop FROM alerts WHERE safety_stop LIKE 'not stopped%'").first ?? ""
        #expect(answer.contains("real cycler") && answer.contains("bare_7.csv") && answer.contains("a person must stop the channel"), "\(answer)")
        #expect(try database.scalar("SELECT count(*) FROM commands WHERE state = 'failed'") == 1, "one stop, answered once")
    }
}
