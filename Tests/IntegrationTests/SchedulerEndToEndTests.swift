import Foundation
import TestSupport
import Testing

/// The scheduler's acceptance (issue 14), through real processes: coordinators, scheduled
/// simulated agents, a real PostgreSQL, and the study submitted and read with the people's
/// commands. The study is `agents/studies/two-groups-200h.toml`: A, 3 healthy coated cells with
/// one stock cell that hard-shorts early (infant mortality: replaced); B, 3 bare cells that blow
/// up after the infant window (results; `on_fail = "stop"`).
@Suite(.serialized) struct SchedulerEndToEndTests {
    static let studyFile = TestPaths.repositoryRoot.appendingPathComponent("agents/studies/two-groups-200h.toml")
    static let studyName = "two-groups-200h"
    /// The scheduling delay allowed: `--schedule-interval` 2 s plus the agent's round trip (its
    /// TestEnd's commit, the command's dispatch, the TestStart), with room for a busy debug build.
    static let delayAllowedSeconds = 8.0

    @Test func theStudyCompletesWithItsInfantReplacedAndItsFailuresCounted() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let spool = TestPaths.temporaryDirectory("scheduler-spool")
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: spool)
        }
        let coordinator = try await TestProcess.insecureCoordinator(database, port: port)
        defer { coordinator.terminate() }
        let agent = try Self.agent("sched-a", port: port, channels: 4, spool: spool)
        defer { agent.terminate() }
        #expect(await eventually(timeoutSeconds: 60) { try database.scalar("SELECT count(*) FROM channels WHERE agent_id = 'sched-a'") == 4 })
        let submitted = try TestProcess.run(TestPaths.cellfleet, ["study", "submit", Self.studyFile.path, "--database", database.url])
        #expect(submitted.contains("submitted"), "\(submitted)")

        let status = try await Self.waitForCompletion(database, timeoutSeconds: 420, processes: [coordinator, agent])
        try Self.checkOutcome(status, database)
        try Self.checkHistory(database, delayChecked: true)
        // Scheduled tests carry the cell and the study (the contract), and the shorted cell's
        // test was judged by its hard short.
        #expect(try database.query("""
            SELECT cell_id || ' ' || (attributes ->> 'study') || ' ' || (attributes ->> 'group') || ' ' || (attributes ->> 'on_fail') || ' ' || (attributes ->> 'coating')
            FROM tests WHERE cell_id IN ('A1', 'B1') ORDER BY cell_id
            """) == ["A1 two-groups-200h A notify LiAlO2", "B1 two-groups-200h B stop none"])
        #expect(try database.query("SELECT verdict || ' ' || (outcome ->> 'fail_rule') FROM cell_requests WHERE cell_id = 'A2'") == ["infant H1"])
        #expect(try database.scalar("SELECT count(*) FROM commands WHERE action = 'start_test' AND state = 'succeeded'") == 7)
        #expect(try database.scalar("SELECT count(*) FROM channel_loads WHERE how = 'command'") == 7)
        #expect(try database.query("SELECT DISTINCT state FROM channel_schedule") == ["idle"], "every channel free at the end")
        // The completed tests ended at their study's duration, not at their preset's 3000 h.
        #expect(try database.query("""
            SELECT DISTINCT round((max(s.test_time_s) / 3600)::numeric)::text FROM tests t JOIN samples s USING (test_id)
            WHERE t.cell_id IN ('A1', 'A3', 'A4') GROUP BY t.test_id
            """) == ["200"])
        print("scheduler acceptance: utilisation \(try Self.utilisation(database)), longest idle beside waiting work \(try Self.longestIdleBesideWork(database)) s")
    }

    @Test func aCoordinatorKilledMidStudyLosesNoAssignmentAndMakesNoneTwice() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let spool = TestPaths.temporaryDirectory("scheduler-kill-spool")
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: spool)
        }
        var coordinator = try await TestProcess.insecureCoordinator(database, port: port)
        let agent = try Self.agent("sched-k", port: port, channels: 4, spool: spool)
        defer { agent.terminate() }
        #expect(await eventually(timeoutSeconds: 60) { try database.scalar("SELECT count(*) FROM channels WHERE agent_id = 'sched-k'") == 4 })
        _ = try TestProcess.run(TestPaths.cellfleet, ["study", "submit", Self.studyFile.path, "--database", database.url])
        // Killed once the infant's replacement is due (a finished test, a queue still waiting).
        #expect(await eventually(timeoutSeconds: 120) { try database.scalar("SELECT count(*) FROM cell_requests WHERE state = 'finished'") >= 1 })
        coordinator.kill9()
        _ = await coordinator.waitForExit(timeoutSeconds: 10)
        try await Task.sleep(for: .seconds(3))
        coordinator = try await TestProcess.insecureCoordinator(database, port: port)
        defer { coordinator.terminate() }
        let status = try await Self.waitForCompletion(database, timeoutSeconds: 420, processes: [coordinator, agent])
        try Self.checkOutcome(status, database)
        try Self.checkHistory(database, delayChecked: false)
        #expect(try database.scalar("SELECT count(*) FROM commands WHERE action = 'start_test'") == 7, "one start per request, none twice")
    }

    @Test func twoCoordinatorsOnOneDatabaseNeverAssignAChannelTwice() async throws {
        let database = try TestDatabase()
        let ports = [TestPaths.freePort(), TestPaths.freePort()]
        let spools = [TestPaths.temporaryDirectory("scheduler-two-1"), TestPaths.temporaryDirectory("scheduler-two-2")]
        defer {
            database.stop()
            for spool in spools { try? FileManager.default.removeItem(at: spool) }
        }
        let first = try await TestProcess.insecureCoordinator(database, port: ports[0])
        defer { first.terminate() }
        let second = try await TestProcess.insecureCoordinator(database, port: ports[1])
        defer { second.terminate() }
        let agents = try [Self.agent("sched-1", port: ports[0], channels: 2, spool: spools[0]),
                          Self.agent("sched-2", port: ports[1], channels: 2, spool: spools[1])]
        defer { for agent in agents { agent.terminate() } }
        #expect(await eventually(timeoutSeconds: 60) { try database.scalar("SELECT count(*) FROM channels") == 4 })
        _ = try TestProcess.run(TestPaths.cellfleet, ["study", "submit", Self.studyFile.path, "--database", database.url])
        let status = try await Self.waitForCompletion(database, timeoutSeconds: 420, processes: [first, second] + agents)
        try Self.checkOutcome(status, database)
        try Self.checkHistory(database, delayChecked: true)
        #expect(try database.query("SELECT DISTINCT agent_id FROM tests ORDER BY agent_id") == ["sched-1", "sched-2"], "both agents' channels were used")
        #expect(first.stderr.contains("assigned a cell") || second.stderr.contains("assigned a cell"))
    }

    // MARK: - Shared

    static func agent(_ id: String, port: Int, channels: Int, spool: URL) throws -> TestProcess {
        try TestProcess(TestPaths.cellfleet, [
            "agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.path, "--insecure", "--agent-id", id,
            "--simulate", "\(channels)", "--scheduled", "--rate", "200", "--speed", "12000",
        ])
    }

    static func status(_ database: TestDatabase) throws -> [String: Any] {
        let text = try TestProcess.run(TestPaths.cellfleet, ["study", "status", studyName, "--database", database.url, "--json"])
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { throw TestFailure("not a JSON object: \(text)") }
        return object
    }

    static func waitForCompletion(_ database: TestDatabase, timeoutSeconds: Double, processes: [TestProcess]) async throws -> [String: Any] {
        var last: [String: Any] = [:]
        let complete = await eventually(timeoutSeconds: timeoutSeconds) {
            last = try status(database)
            return last["state"] as? String == "complete"
        }
        guard complete else {
            let requests = (try? database.query("SELECT request_id, state, agent_id, channel_id, verdict, note FROM cell_requests ORDER BY submitted")) ?? []
            throw TestFailure("the study did not complete: \(last)\nrequests: \(requests)\n" + processes.map { String($0.stderr.suffix(1500)) }.joined(separator: "\n---\n"))
        }
        return last
    }

    static func group(_ status: [String: Any], _ name: String) -> [String: Any] {
        ((status["groups"] as? [[String: Any]]) ?? []).first { $0["name"] as? String == name } ?? [:]
    }

    /// A: 3 conclusive, the shorted cell replaced; B: 3 failures counted as results.
    static func checkOutcome(_ status: [String: Any], _ database: TestDatabase) throws {
        let a = group(status, "A"), b = group(status, "B")
        func count(_ group: [String: Any], _ key: String) -> Int? { (group[key] as? NSNumber)?.intValue }
        #expect(count(a, "replicates_needed") == 3 && count(a, "conclusive") == 3 && count(a, "replaced") == 1 && count(a, "failed") == 0
                && count(a, "running") == 0 && count(a, "stock_left") == 0, "\(a)")
        #expect(count(b, "replicates_needed") == 3 && count(b, "conclusive") == 3 && count(b, "failed") == 3 && count(b, "replaced") == 0
                && count(b, "stock_left") == 1, "\(b)")
        #expect(try database.query("SELECT cell_id || ' ' || verdict FROM cell_requests ORDER BY cell_id") == [
            "A1 conclusive", "A2 infant", "A3 conclusive", "A4 conclusive", "B1 failed", "B2 failed", "B3 failed",
        ])
    }

    /// From the database's history: no channel ever held two cells, no cell was on two channels
    /// or tested twice, and (unless a coordinator was down) no channel stayed idle beside work it
    /// could run for longer than the scheduling delay.
    static func checkHistory(_ database: TestDatabase, delayChecked: Bool) throws {
        #expect(try database.scalar("""
            SELECT count(*) FROM tests a JOIN tests b ON a.test_id < b.test_id
              AND ((a.agent_id = b.agent_id AND a.channel_id = b.channel_id) OR a.cell_id = b.cell_id)
              AND tstzrange(a.started_at, COALESCE(a.ended_at, 'infinity')) && tstzrange(b.started_at, COALESCE(b.ended_at, 'infinity'))
            """) == 0, "overlapping tests on one channel or of one cell")
        #expect(try database.query("SELECT cell_id FROM tests GROUP BY cell_id HAVING count(*) > 1").isEmpty, "a cell tested twice")
        #expect(try database.scalar("SELECT count(*) FROM tests") == 7)
        if delayChecked {
            let idle = try longestIdleBesideWork(database)
            #expect(idle <= delayAllowedSeconds, "a channel stayed idle \(idle) s while a request waited")
        }
    }

    /// The longest time a channel was idle while a request it could run waited (every channel
    /// here runs every protocol of the study).
    static func longestIdleBesideWork(_ database: TestDatabase) throws -> Double {
        let rows = try database.query("""
            WITH runs AS (
                SELECT agent_id, channel_id, started_at, ended_at,
                       lead(started_at) OVER (PARTITION BY agent_id, channel_id ORDER BY started_at) AS next_start
                FROM tests),
            idle AS (
                SELECT ended_at AS idle_from, COALESCE(next_start, (SELECT max(ended_at) FROM tests)) AS idle_to FROM runs
                UNION ALL
                SELECT (SELECT min(submitted_at) FROM studies), min(started_at) FROM tests GROUP BY agent_id, channel_id),
            waiting AS (
                SELECT r.queued_at AS waiting_from, t.started_at AS waiting_to FROM cell_requests r JOIN tests t ON t.test_id = r.test_id)
            SELECT COALESCE(max(extract(epoch FROM least(idle_to, waiting_to) - greatest(idle_from, waiting_from))), 0)::float8::text
            FROM idle, waiting WHERE least(idle_to, waiting_to) > greatest(idle_from, waiting_from)
            """)
        return Double(rows.first ?? "") ?? .infinity
    }

    /// Busy channel-time over available channel-time while work was queued (from the study's
    /// submission until its last request started).
    static func utilisation(_ database: TestDatabase) throws -> Double {
        let rows = try database.query("""
            WITH span AS (SELECT (SELECT min(submitted_at) FROM studies) AS from_, (SELECT max(started_at) FROM tests) AS to_),
            busy AS (
                SELECT sum(extract(epoch FROM least(COALESCE(t.ended_at, s.to_), s.to_) - greatest(t.started_at, s.from_))) AS seconds
                FROM tests t, span s WHERE t.started_at < s.to_)
            SELECT (busy.seconds / (extract(epoch FROM s.to_ - s.from_) * (SELECT count(*) FROM channels)))::float8::text FROM busy, span s
            """)
        return Double(rows.first ?? "") ?? 0
    }
}
