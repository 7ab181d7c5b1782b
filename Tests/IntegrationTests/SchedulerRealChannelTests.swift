import Foundation
import TestSupport
import Testing

/// The scheduler and a real cycler (issue 14 §4), through real processes: an agent that follows
/// a LAND channel's export folder, declared with `[[channel]]`; a study whose vendor schedule
/// only that channel can run. Each assignment is a load request to a person (an L1 `info`
/// notification, listed by `channels list`); the next file on the channel confirms the load and
/// its test gets the cell; a person's `channels load` confirms too, and one cell is marked damaged
/// at loading and replaced from stock.
@Suite(.serialized) struct SchedulerRealChannelTests {
    static let landFile = TestPaths.repositoryRoot.appendingPathComponent("Tests/Core/CyclerReadersTests/Fixtures/synthetic/land_synthetic.csv")

    static let study = """
        name = "land-study"
        [[group]]
        name = "R"
        replicates = 2
        protocol = "LAND-sym-0.1mA"
        requirements = { make = "LAND", current_min_a = -0.001, current_max_a = 0.001 }
        attributes = { coating = "LiAlO2" }
        cells = ["R1", "R2", "R3"]
        """

    @Test func loadRequestsAreConfirmedByTheNextFileOrByAPersonAndADamagedCellIsReplaced() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let root = TestPaths.temporaryDirectory("scheduler-real")
        let watch = root.appendingPathComponent("exports"), spool = root.appendingPathComponent("spool")
        try FileManager.default.createDirectory(at: watch, withIntermediateDirectories: true)
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: root)
        }
        let config = root.appendingPathComponent("agent.toml")
        try """
            agent_id = "land-pc"
            [coordinator]
            endpoint = "tcp://127.0.0.1:\(port)"
            insecure = true
            [spool]
            directory = "\(spool.path)"
            [cycler]
            make = "LAND"
            model = "CT3002A"
            [[channel]]
            id = "ch7"
            current_min_a = -0.005
            current_max_a = 0.005
            voltage_min_v = -5.0
            voltage_max_v = 5.0
            [[watch]]
            directory = "\(watch.path)"
            pattern = "*.csv"
            channel = '^(ch\\d+)-'
            settle_seconds = 1
            poll_seconds = 1
            idle_end_hours = 0.001
            """.write(to: config, atomically: true, encoding: .utf8)
        let studyFile = root.appendingPathComponent("land-study.toml")
        try Self.study.write(to: studyFile, atomically: true, encoding: .utf8)

        let coordinator = try await TestProcess.insecureCoordinator(database, port: port)
        defer { coordinator.terminate() }
        let agent = try TestProcess(TestPaths.cellfleet, ["agent", "--config", config.path])
        defer { agent.terminate() }
        #expect(await eventually(timeoutSeconds: 60) { try database.scalar("SELECT count(*) FROM channels WHERE agent_id = 'land-pc'") == 1 })
        _ = try TestProcess.run(TestPaths.cellfleet, ["study", "submit", studyFile.path, "--database", database.url])

        // 1. A load request to a person, as a notification and in `channels list`.
        #expect(await eventually(timeoutSeconds: 30) {
            try database.query("SELECT severity || ' ' || source || ' ' || state || ' ' || message FROM alerts WHERE rule = 'L1'")
                == ["info scheduler firing load cell R1 on channel land-pc/ch7, schedule LAND-sym-0.1mA"]
        }, "\(coordinator.stderr.suffix(2000))")
        let listed = try Self.channels(database)
        #expect(listed.first?["state"] as? String == "reserved", "\(listed)")
        #expect((listed.first?["pending_load"] as? [String: Any])?["cell_id"] as? String == "R1", "\(listed)")
        #expect(try database.scalar("SELECT count(*) FROM commands") == 0, "a real channel gets no command")

        // 2. The next file on the channel is the load: its test gets the cell and the study.
        try FileManager.default.copyItem(at: Self.landFile, to: watch.appendingPathComponent("ch7-run1.csv"))
        #expect(await eventually(timeoutSeconds: 60) {
            try database.query("""
                SELECT cell_id || ' ' || (attributes ->> 'study') || ' ' || (attributes ->> 'coating') || ' ' || (attributes ? 'source_cell_id')::text
                FROM tests WHERE channel_id = 'ch7'
                """) == ["R1 land-study LiAlO2 true"]
        }, "\((try? database.query("SELECT cell_id, attributes FROM tests")) ?? [])\n\(coordinator.stderr.suffix(1500))")
        #expect(try database.query("SELECT how || ' ' || cell_id FROM channel_loads") == ["file R1"])
        #expect(try database.query("SELECT state || ' ' || COALESCE(note, '') FROM alerts WHERE rule = 'L1'") == ["resolved loaded: its test started"])

        // 3. The file goes idle: the test ends, counts, and the next cell is asked for.
        #expect(await eventually(timeoutSeconds: 60) {
            try database.query("SELECT cell_id FROM alerts WHERE rule = 'L1' AND state = 'firing'") == ["R2"]
        }, "\((try? database.query("SELECT request_id, state, verdict FROM cell_requests")) ?? [])")
        #expect(try database.query("SELECT verdict FROM cell_requests WHERE cell_id = 'R1'") == ["conclusive"])

        // 4. R2 is damaged at loading: recorded, retired, and R3 asked for in its place.
        let damaged = try TestProcess.run(TestPaths.cellfleet, [
            "channels", "load", "land-pc/ch7", "--cell", "R2", "--damaged", "--note", "cracked separator", "--by", "alice", "--database", database.url,
        ])
        #expect(!damaged.isEmpty)
        #expect(await eventually(timeoutSeconds: 30) {
            try database.query("SELECT cell_id FROM alerts WHERE rule = 'L1' AND state = 'firing'") == ["R3"]
        })
        #expect(try database.query("SELECT state FROM cells WHERE cell_id = 'R2'") == ["retired"])

        // 5. A person confirms R3; its file arrives after and is bound to it.
        _ = try TestProcess.run(TestPaths.cellfleet, ["channels", "load", "land-pc/ch7", "--cell", "R3", "--by", "bob", "--database", database.url])
        try FileManager.default.copyItem(at: Self.landFile, to: watch.appendingPathComponent("ch7-run2.csv"))
        let status = await eventually(timeoutSeconds: 90) {
            let text = try TestProcess.run(TestPaths.cellfleet, ["study", "status", "land-study", "--database", database.url, "--json"])
            return text.contains("\"complete\"")
        }
        #expect(status, "\((try? database.query("SELECT request_id, state, verdict, test_id FROM cell_requests")) ?? [])\n\(coordinator.stderr.suffix(1500))")
        #expect(try database.query("SELECT how || ' ' || cell_id || ' ' || loaded_by || ' ' || damaged::text || ' ' || (test_id IS NOT NULL)::text FROM channel_loads ORDER BY load_id") == [
            "file R1 file false true", "confirmed R2 alice true false", "confirmed R3 bob false true",
        ])
        #expect(try database.query("SELECT cell_id FROM tests ORDER BY started_at") == ["R1", "R3"])
        #expect(try database.query("SELECT request_id || ' ' || verdict FROM cell_requests ORDER BY request_id") == [
            "land-study/R/R1 conclusive", "land-study/R/R2 damaged", "land-study/R/R3 conclusive",
        ])
    }

    static func channels(_ database: TestDatabase) throws -> [[String: Any]] {
        let text = try TestProcess.run(TestPaths.cellfleet, ["channels", "list", "--database", database.url, "--json"])
        return (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["channels"] as? [[String: Any]] ?? []
    }

    /// A load request nobody confirms runs out (`--load-timeout-hours`): it is resolved with why,
    /// the cell goes back to its place in the queue, and is asked for again.
    @Test func aLoadRequestNobodyConfirmsRunsOutAndIsAskedAgain() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let root = TestPaths.temporaryDirectory("scheduler-real-timeout")
        let watch = root.appendingPathComponent("exports")
        try FileManager.default.createDirectory(at: watch, withIntermediateDirectories: true)
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: root)
        }
        let config = root.appendingPathComponent("agent.toml")
        try """
            agent_id = "land-pc"
            [coordinator]
            endpoint = "tcp://127.0.0.1:\(port)"
            insecure = true
            [spool]
            directory = "\(root.appendingPathComponent("spool").path)"
            [cycler]
            make = "LAND"
            [[channel]]
            id = "ch7"
            current_min_a = -0.005
            current_max_a = 0.005
            voltage_min_v = -5.0
            voltage_max_v = 5.0
            [[watch]]
            directory = "\(watch.path)"
            """.write(to: config, atomically: true, encoding: .utf8)
        let studyFile = root.appendingPathComponent("land-study.toml")
        try Self.study.write(to: studyFile, atomically: true, encoding: .utf8)
        // 0.001 h: a load request runs out after 3.6 s.
        let coordinator = try await TestProcess.insecureCoordinator(database, port: port, ["--load-timeout-hours", "0.001"])
        defer { coordinator.terminate() }
        let agent = try TestProcess(TestPaths.cellfleet, ["agent", "--config", config.path])
        defer { agent.terminate() }
        #expect(await eventually(timeoutSeconds: 60) { try database.scalar("SELECT count(*) FROM channels WHERE agent_id = 'land-pc'") == 1 })
        _ = try TestProcess.run(TestPaths.cellfleet, ["study", "submit", studyFile.path, "--database", database.url])
        #expect(await eventually(timeoutSeconds: 60) {
            try database.scalar("SELECT count(*) FROM alerts WHERE rule = 'L1' AND state = 'resolved'") >= 1
              && database.scalar("SELECT count(*) FROM alerts WHERE rule = 'L1' AND state = 'firing'") == 1
        }, "\(coordinator.stderr.suffix(2000))")
        let resolved = try database.query("SELECT cell_id || ' ' || resolved_by || ' ' || note FROM alerts WHERE rule = 'L1' AND state = 'resolved' ORDER BY alert_id LIMIT 1")
        #expect(resolved == ["R1 scheduler the reservation of land-pc/ch7 ran out: nobody confirmed the load"], "\(resolved)")
        // The same cell, asked for again in its place (first in the queue), not the next one.
        #expect(try database.query("SELECT cell_id FROM alerts WHERE rule = 'L1' AND state = 'firing'") == ["R1"])
        #expect(try database.scalar("SELECT releases FROM cell_requests WHERE cell_id = 'R1'") >= 1)
        #expect(coordinator.process.isRunning, "\(coordinator.stderr.suffix(2000))")
    }
}
