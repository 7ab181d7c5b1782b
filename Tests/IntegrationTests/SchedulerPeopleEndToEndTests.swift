import Foundation
import TestSupport
import Testing

/// What people do to a running schedule, through real processes: a channel held for maintenance
/// is given nothing until released; extra replicates reopen a complete study; a withdrawn study
/// gets nothing more; a start the agent cannot run is retried, then withdrawn with why, and the
/// group's next stock cell takes its place.
@Suite(.serialized) struct SchedulerPeopleEndToEndTests {
    struct Fleet {
        let database: TestDatabase
        let coordinator: TestProcess
        let agent: TestProcess
        let root: URL

        func stop() {
            agent.terminate()
            coordinator.terminate()
            database.stop()
            try? FileManager.default.removeItem(at: root)
        }

        func run(_ arguments: [String]) throws -> String {
            try TestProcess.run(TestPaths.cellfleet, arguments + ["--database", database.url])
        }

        func submit(_ name: String, _ toml: String) throws {
            let file = root.appendingPathComponent("\(name).toml")
            try toml.write(to: file, atomically: true, encoding: .utf8)
            _ = try run(["study", "submit", file.path])
        }

        func status(_ study: String) throws -> [String: Any] {
            let text = try run(["study", "status", study, "--json"])
            return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
        }

        func studyState(_ study: String) throws -> String { try status(study)["state"] as? String ?? "" }
    }

    static func fleet(_ name: String, channels: Int) async throws -> Fleet {
        let database = try TestDatabase(name: name)
        let port = TestPaths.freePort()
        let root = TestPaths.temporaryDirectory("scheduler-people")
        let coordinator = try await TestProcess.insecureCoordinator(database, port: port)
        let agent = try TestProcess(TestPaths.cellfleet, [
            "agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", root.appendingPathComponent("spool").path, "--insecure",
            "--agent-id", "sched-p", "--simulate", "\(channels)", "--scheduled", "--rate", "200", "--speed", "12000",
        ])
        let fleet = Fleet(database: database, coordinator: coordinator, agent: agent, root: root)
        guard await eventually(timeoutSeconds: 60, { try database.scalar("SELECT count(*) FROM channels") == channels }) else {
            fleet.stop()
            throw TestFailure("the agent's channels were not registered: \(agent.stderr.suffix(1500))")
        }
        return fleet
    }

    @Test func holdsExtraReplicatesAndWithdrawalsAreFollowed() async throws {
        let fleet = try await Self.fleet("people-hold", channels: 2)
        defer { fleet.stop() }
        let database = fleet.database
        _ = try fleet.run(["channels", "hold", "sched-p/ch2", "--reason", "recalibration", "--by", "carol"])
        // 40 test hours: 12 s a test at 12 000×.
        try fleet.submit("people", """
            name = "people"
            [[group]]
            name = "G"
            replicates = 2
            protocol = "sim:1"
            duration_hours = 40
            cells = ["G1", "G2", "G3", "G4"]
            """)
        #expect(await eventually(timeoutSeconds: 30) { try database.scalar("SELECT count(*) FROM tests WHERE channel_id = 'ch1'") == 1 })
        try await Task.sleep(for: .seconds(3))
        #expect(try database.scalar("SELECT count(*) FROM tests WHERE channel_id = 'ch2'") == 0, "a held channel gets nothing")
        #expect(try database.query("SELECT state FROM cell_requests WHERE cell_id = 'G2'") == ["queued"])

        _ = try fleet.run(["channels", "release", "sched-p/ch2"])
        #expect(await eventually(timeoutSeconds: 15) { try database.scalar("SELECT count(*) FROM tests WHERE channel_id = 'ch2'") == 1 },
                "a released channel is filled at once")
        #expect(await eventually(timeoutSeconds: 60) { try fleet.studyState("people") == "complete" })

        // One more replicate: the study runs again and takes the next stock cell.
        _ = try fleet.run(["study", "add-replicates", "people", "--group", "G", "--count", "1"])
        #expect(await eventually(timeoutSeconds: 60) {
            try fleet.studyState("people") == "complete" && database.scalar("SELECT count(*) FROM tests WHERE cell_id = 'G3'") == 1
        }, "\((try? database.query("SELECT request_id, state, verdict FROM cell_requests")) ?? [])")
        #expect(try database.query("SELECT state FROM cells WHERE cell_id = 'G4'") == ["in_stock"])

        // A withdrawn study: its running tests run on, nothing more of it is started.
        try fleet.submit("later", """
            name = "later"
            [[group]]
            name = "W"
            replicates = 3
            protocol = "sim:1"
            duration_hours = 40
            cells = ["W1", "W2", "W3", "W4"]
            """)
        #expect(await eventually(timeoutSeconds: 30) { try database.scalar("SELECT count(*) FROM tests WHERE cell_id LIKE 'W%'") == 2 })
        _ = try fleet.run(["study", "withdraw", "later", "--by", "carol"])
        #expect(await eventually(timeoutSeconds: 60) {
            try database.scalar("SELECT count(*) FROM tests WHERE cell_id LIKE 'W%' AND ended_at IS NOT NULL") == 2
        })
        try await Task.sleep(for: .seconds(4))
        #expect(try database.scalar("SELECT count(*) FROM tests WHERE cell_id LIKE 'W%'") == 2, "nothing more of a withdrawn study starts")
        #expect(try database.query("SELECT request_id || ' ' || state FROM cell_requests WHERE study_name = 'later' ORDER BY request_id") == [
            "later/W/W1 finished", "later/W/W2 finished", "later/W/W3 withdrawn",
        ])
        #expect(try fleet.studyState("later") == "withdrawn")
        #expect(try database.query("SELECT DISTINCT state FROM channel_schedule") == ["idle"])
    }

    @Test func aStartTheAgentCannotRunIsRetriedThenWithdrawnWithWhy() async throws {
        let fleet = try await Self.fleet("people-refused", channels: 1)
        defer { fleet.stop() }
        let database = fleet.database
        // R1 is a full cell: preset 1 simulates a symmetric one, so the agent refuses it.
        let csv = fleet.root.appendingPathComponent("cells.csv")
        try "cell_id,cell_type\nR1,full\nR2,symmetric\n".write(to: csv, atomically: true, encoding: .utf8)
        _ = try fleet.run(["cells", "add", "--csv", csv.path])
        try fleet.submit("refused", """
            name = "refused"
            [[group]]
            name = "R"
            replicates = 1
            protocol = "sim:1"
            duration_hours = 10
            cells = ["R1", "R2"]
            """)
        #expect(await eventually(timeoutSeconds: 90) { try fleet.studyState("refused") == "complete" },
                "\((try? database.query("SELECT request_id, state, releases, note FROM cell_requests")) ?? [])")
        #expect(try database.scalar("SELECT count(*) FROM commands WHERE action = 'start_test' AND state = 'failed'") == 3)
        let notes = try database.query("SELECT state || ' ' || releases || ' ' || note FROM cell_requests WHERE cell_id = 'R1'")
        #expect(notes.count == 1 && notes[0].hasPrefix("withdrawn 3 the agent refused the start_test: ") && notes[0].contains("symmetric"), "\(notes)")
        #expect(try database.query("SELECT state FROM cells WHERE cell_id = 'R1'") == ["retired"])
        #expect(try database.query("SELECT cell_id FROM tests") == ["R2"])
    }
}
