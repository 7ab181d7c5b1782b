import CellfleetCoordinator
import Foundation
import Logging
import PostgresNIO
import TestSupport
import Testing

/// The scheduler's commands for people (issue 14 §1 submit, §6) through the built `cellfleet`
/// binary on a real, migrated PostgreSQL. What the coordinators' scheduler round would write
/// (assignments, L1 load requests, verdicts) is inserted by SQL, as the round's contract says.
@Suite(.serialized) struct SchedulerCommandsTests {
    static let logger: Logger = {
        var logger = Logger(label: "test.scheduler-commands")
        logger.logLevel = .warning
        return logger
    }()

    static let referenceStudy = TestPaths.repositoryRoot.appendingPathComponent("agents/studies/coating-vs-bare.toml")

    /// A migrated database with a fleet: two real Neware channels and a third without scheduler
    /// state on agent `bench`, one simulated channel on agent `sim`.
    static func migratedDatabase() async throws -> TestDatabase {
        let database = try TestDatabase()
        let client = try database.makeClient()
        let clientTask = Task { await client.run() }
        defer { clientTask.cancel() }
        try await SchemaMigrations(directory: TestPaths.repositoryRoot.appendingPathComponent("schemas/migrations"))
            .apply(client: client, logger: logger)
        _ = try database.query("""
            INSERT INTO agents (agent_id, software_version) VALUES ('bench', 'test'), ('sim', 'test');
            INSERT INTO channels (agent_id, channel_id, cycler_make, cycler_model, current_min_a, current_max_a, voltage_min_v, voltage_max_v, aux_temperature)
            VALUES ('bench', 'ch1', 'Neware', 'CT-4008', -0.1, 0.1, 0, 5, true),
                   ('bench', 'ch2', 'Neware', 'CT-4008', -0.1, 0.1, 0, 5, true),
                   ('bench', 'ch3', 'Neware', 'CT-4008', -0.1, 0.1, 0, 5, false),
                   ('sim', 'ch1', 'simulated', 'sim', -1, 1, 0, 5, true);
            INSERT INTO alert_receivers (receiver_id, kind, url) VALUES ('hook', 'webhook', 'http://127.0.0.1:9/hook');
            """)
        return database
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> Run {
        let child = try TestProcess(TestPaths.cellfleet, arguments, environment: environment)
        child.process.waitUntilExit()
        return Run(status: child.process.terminationStatus, stdout: child.stdout, stderr: child.stderr)
    }

    static func document(_ run: Run) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout) \(run.stderr)")
    }

    static func write(_ text: String, named name: String, in directory: URL) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Reserves a request's channel as the round does for a real channel: the request
    /// `assigned` with an L1 load request, its cell `assigned`, the channel `reserved`.
    static func assignForLoading(_ database: TestDatabase, request: String, agent: String, channel: String) throws -> Int {
        let alertID = try database.scalar("""
            INSERT INTO alerts (test_id, agent_id, channel_id, cell_id, rule, severity, message, evidence, source)
            SELECT NULL, '\(agent)', '\(channel)', cell_id, 'L1', 'info', 'load cell ' || cell_id || ' on channel \(agent)/\(channel)',
                   jsonb_build_object('request_id', request_id, 'cell_id', cell_id, 'protocol', protocol), 'scheduler'
            FROM cell_requests WHERE request_id = '\(request)'
            RETURNING alert_id
            """)
        _ = try database.query("""
            UPDATE cell_requests SET state = 'assigned', agent_id = '\(agent)', channel_id = '\(channel)', load_alert_id = \(alertID),
                   assigned_at = now(), reserved_until = now() + interval '1 day'
            WHERE request_id = '\(request)';
            UPDATE cells SET state = 'assigned' WHERE cell_id = (SELECT cell_id FROM cell_requests WHERE request_id = '\(request)');
            INSERT INTO channel_schedule (agent_id, channel_id, state, request_id, cell_id)
            SELECT '\(agent)', '\(channel)', 'reserved', request_id, cell_id FROM cell_requests WHERE request_id = '\(request)';
            """)
        return alertID
    }

    /// Reserves a simulated channel as the round does: a start_test command, the test id minted.
    static func assignByCommand(_ database: TestDatabase, request: String, agent: String, channel: String) throws -> Int {
        let commandID = try database.scalar("""
            INSERT INTO commands (agent_id, channel_id, action, reason) VALUES ('\(agent)', '\(channel)', 'start_test', 'scheduled: \(request)')
            RETURNING command_id
            """)
        _ = try database.query("""
            UPDATE cell_requests SET state = 'assigned', agent_id = '\(agent)', channel_id = '\(channel)', command_id = \(commandID),
                   test_id = gen_random_uuid(), assigned_at = now(), reserved_until = now() + interval '5 minutes'
            WHERE request_id = '\(request)';
            UPDATE cells SET state = 'assigned' WHERE cell_id = (SELECT cell_id FROM cell_requests WHERE request_id = '\(request)');
            """)
        return commandID
    }

    // MARK: study submit

    @Test func submitStoresTheReferenceStudyAndQueuesItsFirstRequestsOnce() async throws {
        let database = try await Self.migratedDatabase()
        defer { database.stop() }
        let directory = TestPaths.temporaryDirectory("scheduler-submit")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = database.url

        // C3 is in the inventory already, with its metadata: the study takes it and keeps them.
        let inventory = try Self.write("cell_id,cell_type,electrode_area_m2,batch\nC3,symmetric,1.13e-4,2026-11-A\n", named: "c3.csv", in: directory)
        #expect(try Self.run(["cells", "add", "--csv", inventory, "--database", url]).status == 0)

        let submit = try Self.run(["study", "submit", Self.referenceStudy.path, "--database", url, "--by", "alice"])
        #expect(submit.status == 0, "\(submit.stderr)")
        #expect(submit.stdout == "study coating-vs-bare submitted: 3 groups, 12 cells, 8 requests queued\n", "\(submit.stdout)")

        let definition = try String(contentsOf: Self.referenceStudy, encoding: .utf8)
        #expect(try database.query("SELECT definition = $$\(definition)$$, submitted_by, priority, infant_hours, hard_short_cycles, state FROM studies")
                == ["t|alice|0|50|1|running"])
        #expect(try database.query("""
            SELECT position || ' ' || group_name || ' ' || replicates || ' ' || protocol || ' ' || requirements::text || ' '
                   || on_fail || ' ' || COALESCE(duration_hours::text, '-') || ' ' || attributes::text
            FROM study_groups ORDER BY position
            """) == [
                #"0 coated 3 sim:paper-sym-coated-0.1 {} notify 3000 {"cell": "symmetric", "coating": "LiAlO2"}"#,
                #"1 bare 3 sim:paper-sym-bare-0.1 {} stop 300 {"cell": "symmetric", "coating": "none"}"#,
                #"2 full-coated 2 sim:9 {} notify - {"cell": "full", "coating": "LiAlO2"}"#,
            ])
        #expect(try database.query("""
            SELECT cell_id || ' ' || group_name || ' ' || stock_position || ' ' || COALESCE(protocol, '-') || ' ' || state
            FROM cells ORDER BY group_name, stock_position
            """) == [
                "B1 bare 0 - queued", "B2 bare 1 - queued", "B3 bare 2 - queued", "B4 bare 3 - in_stock",
                "C1 coated 0 - queued", "C2 coated 1 sim:8 queued", "C3 coated 2 - queued", "C4 coated 3 - in_stock", "C5 coated 4 - in_stock",
                "F1 full-coated 0 - queued", "F2 full-coated 1 - queued", "F3 full-coated 2 - in_stock",
            ])
        #expect(try database.query("SELECT cell_type || ' ' || electrode_area_m2 || ' ' || attributes::text FROM cells WHERE cell_id = 'C3'")
                == [#"symmetric 0.000113 {"batch": "2026-11-A"}"#])
        // The first requests, in the file's order (FIFO by `submitted`), each with its own protocol.
        #expect(try database.query("""
            SELECT request_id || ' ' || cell_id || ' ' || protocol || ' ' || priority || ' ' || state || ' ' || requirements::text
            FROM cell_requests ORDER BY submitted
            """) == [
                "coating-vs-bare/coated/C1 C1 sim:paper-sym-coated-0.1 0 queued {}",
                "coating-vs-bare/coated/C2 C2 sim:8 0 queued {}",
                "coating-vs-bare/coated/C3 C3 sim:paper-sym-coated-0.1 0 queued {}",
                "coating-vs-bare/bare/B1 B1 sim:paper-sym-bare-0.1 0 queued {}",
                "coating-vs-bare/bare/B2 B2 sim:paper-sym-bare-0.1 0 queued {}",
                "coating-vs-bare/bare/B3 B3 sim:paper-sym-bare-0.1 0 queued {}",
                "coating-vs-bare/full-coated/F1 F1 sim:9 0 queued {}",
                "coating-vs-bare/full-coated/F2 F2 sim:9 0 queued {}",
            ])

        // The same file again: nothing changes, exit 0 (a script may submit twice).
        let again = try Self.run(["study", "submit", Self.referenceStudy.path, "--database", url])
        #expect(again.status == 0 && again.stdout.contains("unchanged"), "\(again.stdout) \(again.stderr)")
        #expect(try database.scalar("SELECT count(*) FROM cell_requests") == 8)
        #expect(try database.scalar("SELECT count(*) FROM cells") == 12)

        // A changed file under the same name: refused, nothing written.
        let changed = try Self.write(definition.replacingOccurrences(of: "replicates = 2", with: "replicates = 3"), named: "changed.toml", in: directory)
        let refused = try Self.run(["study", "submit", changed, "--database", url])
        #expect(refused.status != 0 && refused.stderr.contains("different definition"), "\(refused.stderr)")
        #expect(try database.query("SELECT replicates FROM study_groups WHERE group_name = 'full-coated'") == ["2"])

        // A misspelt key: the parser's error names it; nothing reaches the database.
        let misspelt = try Self.write("""
            name = "typo"
            [[group]]
            name = "g"
            replicate = 3
            protocol = "sim:1"
            cells = ["T1"]
            """, named: "typo.toml", in: directory)
        let unknownKey = try Self.run(["study", "submit", misspelt, "--database", url])
        #expect(unknownKey.status != 0 && unknownKey.stderr.contains("unknown key 'replicate'"), "\(unknownKey.stderr)")
        #expect(unknownKey.stderr.contains("typo.toml"), "\(unknownKey.stderr)")

        // A cell of another study, and a retired cell: errors naming them; all or nothing.
        let poaching = try Self.write("""
            name = "poaching"
            [[group]]
            name = "g"
            replicates = 1
            protocol = "sim:1"
            cells = ["P1", "C4"]
            """, named: "poaching.toml", in: directory)
        let taken = try Self.run(["study", "submit", poaching, "--database", url])
        #expect(taken.status != 0 && taken.stderr.contains("cell C4") && taken.stderr.contains("belongs to study coating-vs-bare"), "\(taken.stderr)")
        _ = try database.query("INSERT INTO cells (cell_id, state) VALUES ('R9', 'retired')")
        let retiredStudy = try Self.write(try String(contentsOfFile: poaching, encoding: .utf8).replacingOccurrences(of: "C4", with: "R9"),
                                          named: "retired.toml", in: directory)
        let retired = try Self.run(["study", "submit", retiredStudy, "--database", url])
        #expect(retired.status != 0 && retired.stderr.contains("cell R9") && retired.stderr.contains("retired"), "\(retired.stderr)")
        #expect(try database.query("SELECT count(*) FROM studies WHERE study_name = 'poaching'") == ["0"])
        #expect(try database.query("SELECT count(*) FROM cells WHERE cell_id = 'P1'") == ["0"])

        // A vendor schedule's requirements reach the group and its requests as the contract's keys.
        let vendor = try Self.write("""
            name = "rate-study"
            priority = 2
            [[group]]
            name = "low-rate"
            replicates = 1
            protocol = "NW-0.1mA"
            requirements = { make = "Neware", current_max_a = 0.05, voltage_min_v = 2.5, aux_temperature = true }
            cells = ["N1", "N2"]
            """, named: "vendor.toml", in: directory)
        let vendorRun = try Self.run(["study", "submit", vendor, "--database", url])
        #expect(vendorRun.stdout == "study rate-study submitted: 1 groups, 2 cells, 1 requests queued\n", "\(vendorRun.stdout) \(vendorRun.stderr)")
        let expected = #"'{"make": "Neware", "current_max_a": 0.05, "voltage_min_v": 2.5, "aux_temperature": true}'::jsonb"#
        #expect(try database.query("SELECT requirements = \(expected) FROM study_groups WHERE study_name = 'rate-study'") == ["t"])
        #expect(try database.query("SELECT (requirements = \(expected)) || ' ' || priority FROM cell_requests WHERE study_name = 'rate-study'") == ["true 2"])
        let missing = try Self.run(["study", "submit", directory.appendingPathComponent("none.toml").path, "--database", url])
        #expect(missing.status != 0 && missing.stderr.contains("cannot read"), "\(missing.stderr)")
    }

    // MARK: cells

    @Test func cellsAddReadsQuotedFieldsNamesBadLinesAndIsAllOrNothing() async throws {
        let database = try await Self.migratedDatabase()
        defer { database.stop() }
        let directory = TestPaths.temporaryDirectory("scheduler-cells")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = database.url

        // Quoted commas and quotes, a quoted header, an empty number (NULL), an empty attribute
        // (absent), CRLF line ends and a blank last line.
        let good = try Self.write(
            "cell_id,cell_type,electrode_area_m2,nominal_capacity_ah,\"coating, thickness\",batch\r\n"
                + "S1,symmetric,1.13e-4,,\"LiAlO2, 5 nm\",2026-11-A\r\n"
                + "S2,half,0.000113,0.0025,\"bare \"\"reference\"\"\",\r\n"
                + "S3,,,,,\r\n\r\n",
            named: "good.csv", in: directory)
        let added = try Self.run(["cells", "add", "--csv", good, "--database", url])
        #expect(added.status == 0 && added.stdout == "added 3 cells, updated 0\n", "\(added.stdout) \(added.stderr)")
        #expect(try database.query("""
            SELECT cell_id || '|' || COALESCE(cell_type, '-') || '|' || COALESCE(electrode_area_m2::text, '-') || '|'
                   || COALESCE(nominal_capacity_ah::text, '-') || '|' || attributes::text || '|' || state
            FROM cells ORDER BY cell_id
            """) == [
                #"S1|symmetric|0.000113|-|{"batch": "2026-11-A", "coating, thickness": "LiAlO2, 5 nm"}|in_stock"#,
                #"S2|half|0.000113|0.0025|{"coating, thickness": "bare \"reference\""}|in_stock"#,
                "S3|-|-|-|{}|in_stock",
            ])

        // A cell in stock is updated (only the columns the file has; its other attributes kept),
        // a new one added.
        let update = try Self.write("cell_id,nominal_capacity_ah,batch\nS1,0.003,2026-12-B\nS4,0.001,2026-12-B\n", named: "update.csv", in: directory)
        let updated = try Self.run(["cells", "add", "--csv", update, "--database", url])
        #expect(updated.stdout == "added 1 cells, updated 1\n", "\(updated.stdout) \(updated.stderr)")
        #expect(try database.query("SELECT cell_type || '|' || electrode_area_m2 || '|' || nominal_capacity_ah || '|' || attributes::text FROM cells WHERE cell_id = 'S1'")
                == [#"symmetric|0.000113|0.003|{"batch": "2026-12-B", "coating, thickness": "LiAlO2, 5 nm"}"#])

        // A bad number: an error naming its line (a quoted line break before it counts) and
        // column; nothing of the file stored.
        let badNumber = try Self.write("cell_id,electrode_area_m2,note\nS5,1e-4,\"two\nlines\"\nS6,-2,x\n", named: "bad.csv", in: directory)
        let bad = try Self.run(["cells", "add", "--csv", badNumber, "--database", url])
        #expect(bad.status != 0 && bad.stderr.contains("bad.csv: line 4: electrode_area_m2 '-2' is not a positive number"), "\(bad.stderr)")
        #expect(try database.scalar("SELECT count(*) FROM cells WHERE cell_id IN ('S5', 'S6')") == 0)
        for (text, message) in [
            ("cell_type,batch\nsymmetric,x\n", "no cell_id column"),
            ("cell_id,cell_type\nS7,button\n", "line 2: cell_type 'button' is not one of symmetric, half, full"),
            ("cell_id,batch\nS7,x,y\n", "line 2: 3 fields, the header has 2"),
            ("cell_id\nS7\nS7\n", "line 3: cell S7 is listed twice (also on line 2)"),
            ("cell_id,batch\nS7,\"open\n", "line 2: a quoted field is not closed"),
            ("cell_id,nominal_capacity_ah\nS7,nan\n", "line 2: nominal_capacity_ah 'nan' is not a positive number"),
            ("", "empty"),
        ] {
            let file = try Self.write(text, named: "invalid.csv", in: directory)
            let refused = try Self.run(["cells", "add", "--csv", file, "--database", url])
            #expect(refused.status != 0 && refused.stderr.contains(message), "\(text): \(refused.stderr)")
        }

        // A cell that is no longer in stock cannot change under its test: the whole file is
        // refused, the new cell before it rolled back.
        _ = try database.query("UPDATE cells SET state = 'on_test' WHERE cell_id = 'S2'")
        let onTest = try Self.write("cell_id,batch\nS8,new\nS2,changed\n", named: "ontest.csv", in: directory)
        let busy = try Self.run(["cells", "add", "--csv", onTest, "--database", url])
        #expect(busy.status != 0 && busy.stderr.contains("line 3: cell S2 is on_test"), "\(busy.stderr)")
        #expect(try database.scalar("SELECT count(*) FROM cells WHERE cell_id = 'S8'") == 0)
        #expect(try database.query("SELECT COALESCE(attributes->>'batch', '-') FROM cells WHERE cell_id = 'S2'") == ["-"])

        // The list, filtered, as the contract's JSON.
        let all = try Self.document(Self.run(["cells", "list", "--json", "--database", url]))
        let cells = try #require(all["cells"] as? [[String: Any]])
        #expect(cells.compactMap { $0["cell_id"] as? String } == ["S1", "S2", "S3", "S4"])
        let first = try #require(cells.first)
        for key in ["cell_id", "cell_type", "electrode_area_m2", "active_mass_kg", "nominal_capacity_ah", "attributes", "state", "study", "group", "note"] {
            #expect(first[key] != nil, "missing \(key)")
        }
        #expect(first["electrode_area_m2"] as? Double == 1.13e-4 && first["active_mass_kg"] is NSNull && first["study"] is NSNull)
        #expect((first["attributes"] as? [String: String]) == ["batch": "2026-12-B", "coating, thickness": "LiAlO2, 5 nm"])
        let onTestOnly = try Self.document(Self.run(["cells", "list", "--json", "--state", "on_test", "--database", url]))
        #expect((onTestOnly["cells"] as? [[String: Any]])?.compactMap { $0["cell_id"] as? String } == ["S2"])
        let table = try Self.run(["cells", "list", "--database", url])
        #expect(table.status == 0 && table.stdout.contains("S4") && table.stdout.contains("in_stock"), "\(table.stdout)")
        let badState = try Self.run(["cells", "list", "--state", "lost", "--database", url])
        #expect(badState.status != 0 && badState.stderr.contains("--state"), "\(badState.stderr)")
    }

    // MARK: queue

    @Test func queueListsAssignedFirstThenByPriorityThenFirstSubmitted() async throws {
        let database = try await Self.migratedDatabase()
        defer { database.stop() }
        let directory = TestPaths.temporaryDirectory("scheduler-queue")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = database.url
        #expect(try Self.run(["study", "submit", Self.referenceStudy.path, "--database", url]).status == 0)
        let urgent = try Self.write("""
            name = "urgent"
            priority = 5
            [[group]]
            name = "u"
            replicates = 2
            protocol = "sim:2"
            cells = ["U1", "U2", "U3"]
            """, named: "urgent.toml", in: directory)
        #expect(try Self.run(["study", "submit", urgent, "--database", url]).status == 0)
        _ = try Self.assignByCommand(database, request: "coating-vs-bare/bare/B2", agent: "sim", channel: "ch1")
        // Finished and running requests are not in the queue.
        _ = try database.query("""
            UPDATE cell_requests SET state = 'running', agent_id = 'bench', channel_id = 'ch1', started_at = now()
            WHERE request_id = 'coating-vs-bare/coated/C1'
            """)

        let listed = try Self.run(["queue", "list", "--json", "--database", url])
        #expect(listed.status == 0, "\(listed.stderr)")
        let requests = try #require(try Self.document(listed)["requests"] as? [[String: Any]])
        #expect(requests.compactMap { $0["request_id"] as? String } == [
            "coating-vs-bare/bare/B2", "urgent/u/U1", "urgent/u/U2", "coating-vs-bare/coated/C2", "coating-vs-bare/coated/C3",
            "coating-vs-bare/bare/B1", "coating-vs-bare/bare/B3", "coating-vs-bare/full-coated/F1", "coating-vs-bare/full-coated/F2",
        ])
        #expect(requests.compactMap { $0["position"] as? Int } == Array(1...9))
        let assigned = try #require(requests.first)
        for key in ["position", "request_id", "cell_id", "study", "group", "protocol", "priority", "state", "channel", "queued_at", "assigned_at"] {
            #expect(assigned[key] != nil, "missing \(key)")
        }
        #expect(assigned["state"] as? String == "assigned" && assigned["channel"] as? String == "sim/ch1")
        #expect((assigned["assigned_at"] as? String)?.hasSuffix("Z") == true && (assigned["queued_at"] as? String)?.hasSuffix("Z") == true)
        #expect(assigned["cell_id"] as? String == "B2" && assigned["study"] as? String == "coating-vs-bare" && assigned["group"] as? String == "bare")
        let queued = requests[1]
        #expect(queued["state"] as? String == "queued" && queued["channel"] is NSNull && queued["assigned_at"] is NSNull)
        #expect(queued["priority"] as? Int == 5 && queued["protocol"] as? String == "sim:2")

        // One study's requests keep their places in the whole queue.
        let mine = try #require(try Self.document(Self.run(["queue", "list", "--json", "--study", "urgent", "--database", url]))["requests"] as? [[String: Any]])
        #expect(mine.compactMap { $0["position"] as? Int } == [2, 3])
        let table = try Self.run(["queue", "list", "--database", url])
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.count == 10 && lines[1].contains("coating-vs-bare/bare/B2") && lines[1].contains("sim/ch1"), "\(table.stdout)")
        let unknown = try Self.run(["queue", "list", "--study", "nope", "--database", url])
        #expect(unknown.status != 0 && unknown.stderr.contains("no study named nope"), "\(unknown.stderr)")
    }

    // MARK: channels

    @Test func channelsListLoadDamagedHoldAndRelease() async throws {
        let database = try await Self.migratedDatabase()
        defer { database.stop() }
        let directory = TestPaths.temporaryDirectory("scheduler-channels")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = database.url
        let study = try Self.write("""
            name = "bench"
            [[group]]
            name = "g"
            replicates = 2
            protocol = "NW-0.1mA"
            requirements = { make = "Neware", current_max_a = 0.05 }
            cells = ["R1", "R2", "R3"]
            """, named: "bench.toml", in: directory)
        #expect(try Self.run(["study", "submit", study, "--database", url]).status == 0)
        #expect(try Self.run(["study", "submit", Self.referenceStudy.path, "--database", url]).status == 0)
        let alert1 = try Self.assignForLoading(database, request: "bench/g/R1", agent: "bench", channel: "ch1")
        let alert2 = try Self.assignForLoading(database, request: "bench/g/R2", agent: "bench", channel: "ch2")
        let command = try Self.assignByCommand(database, request: "coating-vs-bare/coated/C1", agent: "sim", channel: "ch1")
        // A test running on bench/ch3, started outside the scheduler.
        let testID = "5c3e1d2a-7b6f-4e8d-9a0b-1c2d3e4f5a6b"
        _ = try database.query("""
            INSERT INTO tests (test_id, agent_id, channel_id, cell_id, cell_type, started_at)
            VALUES ('\(testID)', 'bench', 'ch3', 'X9', 'symmetric', now());
            """)

        let listed = try Self.document(Self.run(["channels", "list", "--json", "--database", url]))
        let channels = try #require(listed["channels"] as? [[String: Any]])
        #expect(channels.compactMap { $0["channel"] as? String } == ["bench/ch1", "bench/ch2", "bench/ch3", "sim/ch1"])
        let ch1 = channels[0]
        for key in ["channel", "agent_id", "channel_id", "make", "model", "state", "since", "held", "hold_reason", "cell_id", "test_id", "pending_load"] {
            #expect(ch1[key] != nil, "missing \(key)")
        }
        #expect(ch1["agent_id"] as? String == "bench" && ch1["channel_id"] as? String == "ch1" && ch1["make"] as? String == "Neware")
        #expect(ch1["model"] as? String == "CT-4008" && ch1["state"] as? String == "reserved" && ch1["held"] as? Bool == false)
        let pending = try #require(ch1["pending_load"] as? [String: Any])
        #expect(pending["request_id"] as? String == "bench/g/R1" && pending["cell_id"] as? String == "R1")
        #expect(pending["protocol"] as? String == "NW-0.1mA" && pending["alert_id"] as? Int == alert1)
        #expect((pending["requested_at"] as? String)?.hasSuffix("Z") == true)
        // No scheduler row: idle; its running test is shown.
        #expect(channels[2]["state"] as? String == "idle" && channels[2]["since"] is NSNull && channels[2]["pending_load"] is NSNull)
        #expect(channels[2]["test_id"] as? String == testID && channels[2]["cell_id"] as? String == "X9")
        // A simulated channel's reservation is no load request.
        #expect(channels[3]["pending_load"] is NSNull)
        let table = try Self.run(["channels", "list", "--database", url])
        #expect(table.stdout.contains("load R1 (NW-0.1mA)") && table.stdout.contains("load R2 (NW-0.1mA)"), "\(table.stdout)")

        // Refusals, each a sentence; nothing changes.
        let wrongCell = try Self.run(["channels", "load", "bench/ch1", "--cell", "R2", "--database", url])
        #expect(wrongCell.status != 0 && wrongCell.stderr.contains("awaits cell R1 (request bench/g/R1), not cell R2"), "\(wrongCell.stderr)")
        let nothingAwaited = try Self.run(["channels", "load", "bench/ch3", "--cell", "R1", "--database", url])
        #expect(nothingAwaited.status != 0 && nothingAwaited.stderr.contains("channel bench/ch3 has no pending load request"), "\(nothingAwaited.stderr)")
        let simulated = try Self.run(["channels", "load", "sim/ch1", "--cell", "C1", "--database", url])
        #expect(simulated.status != 0 && simulated.stderr.contains("the coordinator starts request coating-vs-bare/coated/C1 itself")
                && simulated.stderr.contains("command \(command)"), "\(simulated.stderr)")
        let unknown = try Self.run(["channels", "load", "lab9/ch1", "--cell", "R1", "--database", url])
        #expect(unknown.status != 0 && unknown.stderr.contains("no channel lab9/ch1"), "\(unknown.stderr)")
        let notAnAddress = try Self.run(["channels", "load", "ch1", "--cell", "R1", "--database", url])
        #expect(notAnAddress.status != 0 && notAnAddress.stderr.contains("AGENT/CHANNEL"), "\(notAnAddress.stderr)")
        #expect(try database.query("SELECT state FROM cell_requests WHERE request_id = 'bench/g/R1'") == ["assigned"])
        #expect(try database.scalar("SELECT count(*) FROM channel_loads") == 0)

        // Loaded: the request runs (its test binds with the next file), the cell is on test, the
        // load request resolved by the person, the channel running.
        let loaded = try Self.run(["channels", "load", "bench/ch1", "--cell", "R1", "--database", url, "--by", "alice", "--note", "slot 3"])
        #expect(loaded.status == 0 && loaded.stdout.contains("cell R1 loaded on bench/ch1 by alice"), "\(loaded.stdout) \(loaded.stderr)")
        #expect(try database.query("""
            SELECT state || ' ' || (started_at IS NOT NULL) || ' ' || (reserved_until IS NULL) || ' ' || (test_id IS NULL)
            FROM cell_requests WHERE request_id = 'bench/g/R1'
            """) == ["running true true true"])
        #expect(try database.query("SELECT state FROM cells WHERE cell_id = 'R1'") == ["on_test"])
        #expect(try database.query("""
            SELECT agent_id || '/' || channel_id || ' ' || cell_id || ' ' || request_id || ' ' || how || ' ' || loaded_by || ' ' || damaged || ' ' || note
            FROM channel_loads
            """) == ["bench/ch1 R1 bench/g/R1 confirmed alice false slot 3"])
        #expect(try database.query("SELECT state || ' ' || resolved_by || ' ' || note || ' ' || (resolved_at IS NOT NULL) FROM alerts WHERE alert_id = \(alert1)")
                == ["resolved alice loaded true"])
        #expect(try database.query("SELECT state || ' ' || request_id || ' ' || cell_id || ' ' || (test_id IS NULL) FROM channel_schedule WHERE channel_id = 'ch1' AND agent_id = 'bench'")
                == ["running bench/g/R1 R1 true"])
        // The resolution reaches people through the outbox like every alert change.
        #expect(try database.query("SELECT alert_state FROM alert_deliveries WHERE alert_id = \(alert1) ORDER BY delivery_id") == ["firing", "resolved"])
        let twice = try Self.run(["channels", "load", "bench/ch1", "--cell", "R1", "--database", url])
        #expect(twice.status != 0 && twice.stderr.contains("has no pending load request"), "\(twice.stderr)")

        // Damaged at loading (who: $USER by default): finished as damaged, the cell retired, the channel idle.
        let damaged = try Self.run(["channels", "load", "bench/ch2", "--cell", "R2", "--damaged", "--note", "swollen can", "--database", url],
                                   environment: ["USER": "carol"])
        #expect(damaged.status == 0 && damaged.stdout.contains("damaged"), "\(damaged.stdout) \(damaged.stderr)")
        #expect(try database.query("""
            SELECT state || ' ' || verdict || ' ' || (finished_at IS NOT NULL) || ' ' || (outcome = '{"damaged": true, "note": "swollen can"}'::jsonb)
            FROM cell_requests WHERE request_id = 'bench/g/R2'
            """) == ["finished damaged true true"])
        #expect(try database.query("SELECT state || ' ' || note FROM cells WHERE cell_id = 'R2'") == ["retired swollen can"])
        #expect(try database.query("SELECT loaded_by || ' ' || damaged || ' ' || note FROM channel_loads WHERE cell_id = 'R2'") == ["carol true swollen can"])
        #expect(try database.query("SELECT state || ' ' || resolved_by || ' ' || note FROM alerts WHERE alert_id = \(alert2)") == ["resolved carol damaged at loading"])
        #expect(try database.query("""
            SELECT state || ' ' || (request_id IS NULL) || ' ' || (cell_id IS NULL) || ' ' || (test_id IS NULL)
            FROM channel_schedule WHERE agent_id = 'bench' AND channel_id = 'ch2'
            """) == ["idle true true true"])

        // Hold and release; a channel without a scheduler row gets one; an unknown channel is an error.
        let hold = try Self.run(["channels", "hold", "bench/ch2", "--reason", "calibration", "--by", "bob", "--database", url])
        #expect(hold.status == 0 && hold.stdout.contains("bench/ch2 held by bob: calibration"), "\(hold.stdout) \(hold.stderr)")
        #expect(try database.query("""
            SELECT held || ' ' || hold_reason || ' ' || held_by || ' ' || (held_at IS NOT NULL) || ' ' || state
            FROM channel_schedule WHERE agent_id = 'bench' AND channel_id = 'ch2'
            """) == ["true calibration bob true idle"])
        let heldList = try #require(try Self.document(Self.run(["channels", "list", "--json", "--database", url]))["channels"] as? [[String: Any]])
        #expect(heldList[1]["held"] as? Bool == true && heldList[1]["hold_reason"] as? String == "calibration")
        let holdNew = try Self.run(["channels", "hold", "bench/ch3", "--reason", "new probe", "--database", url], environment: ["USER": "dave"])
        #expect(holdNew.status == 0, "\(holdNew.stderr)")
        #expect(try database.query("SELECT held || ' ' || held_by || ' ' || state FROM channel_schedule WHERE agent_id = 'bench' AND channel_id = 'ch3'")
                == ["true dave idle"])
        let holdUnknown = try Self.run(["channels", "hold", "lab9/ch1", "--reason", "x", "--database", url])
        #expect(holdUnknown.status != 0 && holdUnknown.stderr.contains("no channel lab9/ch1"), "\(holdUnknown.stderr)")
        let noReason = try Self.run(["channels", "hold", "bench/ch2", "--database", url])
        #expect(noReason.status != 0 && noReason.stderr.contains("--reason"), "\(noReason.stderr)")
        let release = try Self.run(["channels", "release", "bench/ch2", "--database", url])
        #expect(release.status == 0 && release.stdout.contains("bench/ch2 released"), "\(release.stdout) \(release.stderr)")
        #expect(try database.query("""
            SELECT held || ' ' || (hold_reason IS NULL) || ' ' || (held_by IS NULL) || ' ' || (held_at IS NULL)
            FROM channel_schedule WHERE agent_id = 'bench' AND channel_id = 'ch2'
            """) == ["false true true true"])
        let releaseAgain = try Self.run(["channels", "release", "bench/ch2", "--database", url])
        #expect(releaseAgain.status == 0 && releaseAgain.stdout.contains("was not held"), "\(releaseAgain.stdout)")
        let releaseUnknown = try Self.run(["channels", "release", "lab9/ch1", "--database", url])
        #expect(releaseUnknown.status != 0 && releaseUnknown.stderr.contains("no channel lab9/ch1"), "\(releaseUnknown.stderr)")
    }

    /// A person's change waits for a scheduling round in progress (it holds the round's advisory
    /// lock for its transaction), so it never lands between the round's reads and its writes.
    @Test func aChangeWaitsForTheRoundInProgress() async throws {
        let database = try await Self.migratedDatabase()
        defer { database.stop() }
        // A "round": one transaction holding the lock for 15 s (psql -c runs its statements as one).
        let round = Task { try await blocking { try database.query("SELECT pg_advisory_xact_lock(1667591214); SELECT pg_sleep(15)") } }
        #expect(await eventually(timeoutSeconds: 10) {
            (try? database.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")) == 1
        })
        let hold = Task {
            try await blocking { try Self.run(["channels", "hold", "bench/ch1", "--reason", "calibration", "--by", "bob", "--database", database.url]) }
        }
        // Asserted by state, not by a stopwatch (a busy machine took seconds just to start psql):
        // while the round still holds the lock, the hold is queued behind it and nothing of it is visible.
        #expect(await eventually(timeoutSeconds: 10) {
            (try? database.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")) == 1
        }, "the hold never queued behind the round's lock")
        let visibleDuringRound = try database.query("""
            SELECT (SELECT count(*) FROM channel_schedule WHERE held_by = 'bob') || ' '
                || (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted)
            """)
        #expect(visibleDuringRound == ["0 1"], "during the round: \(visibleDuringRound) (held rows, granted round locks)")
        _ = try await round.value
        let held = try await hold.value
        #expect(held.status == 0, "\(held.stderr)")
        #expect(try database.query("SELECT held_by FROM channel_schedule") == ["bob"])
    }

    // MARK: study status, list, withdraw, add-replicates

    @Test func studyStatusCountsTheVerdictsAndStates() async throws {
        let database = try await Self.migratedDatabase()
        defer { database.stop() }
        let url = database.url
        #expect(try Self.run(["study", "submit", Self.referenceStudy.path, "--database", url]).status == 0)
        // What the round would have recorded: coated C1 conclusive, C2 infant (C4 queued in its
        // place), C3 running; bare B1 failed (counts), B2 and B3 conclusive; full-coated F1
        // infant, F2 aborted, F3 queued with no stock left.
        _ = try database.query("""
            UPDATE cell_requests SET state = 'finished', finished_at = now(), verdict = 'conclusive', outcome = '{"end_reason": "completed"}'
            WHERE cell_id IN ('C1', 'B2', 'B3');
            UPDATE cell_requests SET state = 'finished', finished_at = now(), verdict = 'infant',
                   outcome = '{"fail_rule": "H1", "fail_at_hours": 3.5, "fail_at_cycle": 1}'
            WHERE cell_id IN ('C2', 'F1');
            UPDATE cell_requests SET state = 'finished', finished_at = now(), verdict = 'failed', outcome = '{"fail_rule": "P2", "fail_at_hours": 120}'
            WHERE cell_id = 'B1';
            UPDATE cell_requests SET state = 'finished', finished_at = now(), verdict = 'aborted', outcome = '{"end_reason": "stopped"}'
            WHERE cell_id = 'F2';
            UPDATE cell_requests SET state = 'running', agent_id = 'sim', channel_id = 'ch1', started_at = now(),
                   test_id = '11111111-2222-4333-8444-555555555555'
            WHERE cell_id = 'C3';
            INSERT INTO cell_requests (request_id, cell_id, study_name, group_name, protocol)
            VALUES ('coating-vs-bare/coated/C4', 'C4', 'coating-vs-bare', 'coated', 'sim:paper-sym-coated-0.1'),
                   ('coating-vs-bare/full-coated/F3', 'F3', 'coating-vs-bare', 'full-coated', 'sim:9');
            UPDATE cells SET state = 'queued' WHERE cell_id IN ('C4', 'F3');
            UPDATE studies SET state = 'stock_exhausted';
            """)
        let status = try Self.run(["study", "status", "coating-vs-bare", "--json", "--database", url])
        #expect(status.status == 0, "\(status.stderr)")
        let study = try Self.document(status)
        #expect(study["study"] as? String == "coating-vs-bare" && study["state"] as? String == "stock_exhausted")
        #expect(study["priority"] as? Int == 0 && (study["submitted_at"] as? String)?.hasSuffix("Z") == true)
        let groups = try #require(study["groups"] as? [[String: Any]])
        #expect(groups.compactMap { $0["group"] as? String } == ["coated", "bare", "full-coated"])
        func counts(_ group: [String: Any]) -> [Int] {
            ["replicates_needed", "conclusive", "failed", "replaced", "running", "assigned", "queued", "stock_left"].map { group[$0] as? Int ?? -1 }
        }
        #expect(counts(groups[0]) == [3, 1, 0, 1, 1, 0, 1, 1] && groups[0]["state"] as? String == "running", "\(groups[0])")
        #expect(counts(groups[1]) == [3, 3, 1, 0, 0, 0, 0, 1] && groups[1]["state"] as? String == "complete", "\(groups[1])")
        #expect(counts(groups[2]) == [2, 0, 0, 2, 0, 0, 1, 0] && groups[2]["state"] as? String == "stock_exhausted", "\(groups[2])")
        let tests = try #require(groups[0]["tests"] as? [[String: Any]])
        #expect(tests.compactMap { $0["request_id"] as? String } == [
            "coating-vs-bare/coated/C1", "coating-vs-bare/coated/C2", "coating-vs-bare/coated/C3", "coating-vs-bare/coated/C4",
        ])
        #expect(tests[0]["verdict"] as? String == "conclusive" && (tests[0]["outcome"] as? [String: String]) == ["end_reason": "completed"])
        #expect((tests[1]["outcome"] as? [String: Any])?["fail_at_hours"] as? Double == 3.5 && tests[1]["verdict"] as? String == "infant")
        #expect(tests[2]["state"] as? String == "running" && tests[2]["channel"] as? String == "sim/ch1")
        #expect(tests[2]["test_id"] as? String == "11111111-2222-4333-8444-555555555555" && tests[2]["verdict"] is NSNull)
        #expect(tests[3]["state"] as? String == "queued" && tests[3]["channel"] is NSNull && tests[3]["outcome"] is NSNull)

        let text = try Self.run(["study", "status", "coating-vs-bare", "--database", url])
        #expect(text.status == 0 && text.stdout.contains("group bare: complete, 3 of 3 conclusive (1 failed)"), "\(text.stdout)")
        #expect(text.stdout.contains("group full-coated: stock_exhausted"), "\(text.stdout)")
        let unknown = try Self.run(["study", "status", "nope", "--database", url])
        #expect(unknown.status != 0 && unknown.stderr.contains("no study named nope"), "\(unknown.stderr)")

        let list = try Self.document(Self.run(["study", "list", "--json", "--database", url]))
        let studies = try #require(list["studies"] as? [[String: Any]])
        #expect(studies.count == 1 && studies[0]["study"] as? String == "coating-vs-bare" && studies[0]["groups"] as? Int == 3)
        #expect(studies[0]["state"] as? String == "stock_exhausted" && studies[0]["priority"] as? Int == 0 && studies[0]["submitted_at"] is String)
    }

    @Test func withdrawStopsTheQueueAndAddReplicatesReopensAStudy() async throws {
        let database = try await Self.migratedDatabase()
        defer { database.stop() }
        let directory = TestPaths.temporaryDirectory("scheduler-withdraw")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = database.url
        #expect(try Self.run(["study", "submit", Self.referenceStudy.path, "--database", url]).status == 0)
        _ = try Self.assignByCommand(database, request: "coating-vs-bare/bare/B1", agent: "sim", channel: "ch1")
        _ = try database.query("""
            UPDATE cell_requests SET state = 'running', agent_id = 'bench', channel_id = 'ch1', started_at = now() WHERE cell_id = 'C1';
            UPDATE cells SET state = 'on_test' WHERE cell_id = 'C1';
            """)
        let withdraw = try Self.run(["study", "withdraw", "coating-vs-bare", "--by", "alice", "--database", url])
        #expect(withdraw.status == 0, "\(withdraw.stderr)")
        #expect(withdraw.stdout.contains("withdrawn by alice: 6 queued requests withdrawn")
                && withdraw.stdout.contains("1 assigned") && withdraw.stdout.contains("1 running"), "\(withdraw.stdout)")
        #expect(try database.query("SELECT state FROM studies") == ["withdrawn"])
        #expect(try database.query("SELECT state || ' ' || count(*) FROM cell_requests GROUP BY state ORDER BY state")
                == ["assigned 1", "running 1", "withdrawn 6"])
        #expect(try database.query("SELECT cell_id || ' ' || state FROM cells WHERE cell_id IN ('B1', 'B2', 'C1', 'F1') ORDER BY cell_id")
                == ["B1 assigned", "B2 in_stock", "C1 on_test", "F1 in_stock"])
        let again = try Self.run(["study", "withdraw", "coating-vs-bare", "--database", url])
        #expect(again.status == 0 && again.stdout.contains("withdrawn already: 0 queued requests withdrawn"), "\(again.stdout)")
        let onWithdrawn = try Self.run(["study", "add-replicates", "coating-vs-bare", "--group", "bare", "--count", "1", "--database", url])
        #expect(onWithdrawn.status != 0 && onWithdrawn.stderr.contains("withdrawn"), "\(onWithdrawn.stderr)")
        let unknown = try Self.run(["study", "withdraw", "nope", "--database", url])
        #expect(unknown.status != 0 && unknown.stderr.contains("no study named nope"), "\(unknown.stderr)")

        let more = try Self.write("""
            name = "more"
            [[group]]
            name = "g"
            replicates = 1
            protocol = "sim:1"
            cells = ["M1", "M2", "M3"]
            """, named: "more.toml", in: directory)
        #expect(try Self.run(["study", "submit", more, "--database", url]).status == 0)
        _ = try database.query("""
            UPDATE cell_requests SET state = 'finished', verdict = 'conclusive', finished_at = now() WHERE cell_id = 'M1';
            UPDATE cells SET state = 'done' WHERE cell_id = 'M1';
            UPDATE studies SET state = 'complete' WHERE study_name = 'more';
            """)
        let added = try Self.run(["study", "add-replicates", "more", "--group", "g", "--count", "2", "--database", url])
        #expect(added.status == 0 && added.stdout.contains("needs 3 replicates (was 1), 2 cells in stock")
                && added.stdout.contains("running again"), "\(added.stdout) \(added.stderr)")
        #expect(try database.query("SELECT replicates FROM study_groups WHERE study_name = 'more'") == ["3"])
        #expect(try database.query("SELECT state FROM studies WHERE study_name = 'more'") == ["running"])
        let status = try Self.document(Self.run(["study", "status", "more", "--json", "--database", url]))
        let group = try #require((status["groups"] as? [[String: Any]])?.first)
        #expect(group["replicates_needed"] as? Int == 3 && group["conclusive"] as? Int == 1 && group["state"] as? String == "running")
        let zero = try Self.run(["study", "add-replicates", "more", "--group", "g", "--count", "0", "--database", url])
        #expect(zero.status != 0 && zero.stderr.contains("--count"), "\(zero.stderr)")
        let noGroup = try Self.run(["study", "add-replicates", "more", "--group", "h", "--count", "1", "--database", url])
        #expect(noGroup.status != 0 && noGroup.stderr.contains("study more has no group h (its groups: g)"), "\(noGroup.stderr)")
        #expect(try database.query("SELECT replicates FROM study_groups WHERE study_name = 'more'") == ["3"])
    }
}
