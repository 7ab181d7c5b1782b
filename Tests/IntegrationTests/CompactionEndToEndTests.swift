import CellfleetCoordinator
import TestSupport
import Foundation
import Logging
import Testing

/// Compaction through real processes (issue 16 §4): real cycler files imported with their own
/// (old) dates, compacted by `cellfleet compact`, export byte-identical before and after; a
/// compaction killed with SIGKILL loses and doubles nothing; a test compacted in part reads as
/// one stream; the bytes a sample on disk before and after.
@Suite(.serialized) struct CompactionEndToEndTests {
    static let fixtures = TestPaths.repositoryRoot.appendingPathComponent("Tests/Core/CyclerReadersTests/Fixtures")

    static func export(_ database: TestDatabase, test: String, into directory: URL, name: String) async throws -> String {
        let out = directory.appendingPathComponent("\(name).csv")
        let run = try TestProcess(TestPaths.cellfleet, ["export", "--database", database.url, "--test", test, "--out", out.path])
        #expect(await run.waitForExit(timeoutSeconds: 120) == 0, "\(run.stderr.suffix(2000))")
        return try String(contentsOf: out, encoding: .utf8)
    }

    static func compact(_ database: TestDatabase, olderThanDays: String = "1") async throws -> [String: Any] {
        let run = try TestProcess(TestPaths.cellfleet, ["compact", "--database", database.url, "--older-than-days", olderThanDays])
        #expect(await run.waitForExit(timeoutSeconds: 300) == 0, "\(run.stderr.suffix(2000))")
        let line = try #require(run.stdout.split(separator: "\n").last { $0.hasPrefix("{") }, "\(run.stdout) \(run.stderr.suffix(2000))")
        return try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
    }

    /// Bytes on disk of the samples' partitions (a partitioned table's own size is 0) and of the chunks.
    static func bytesOnDisk(_ database: TestDatabase) throws -> (samples: Int, chunks: Int) {
        (try database.scalar("SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits WHERE inhparent = 'samples'::regclass"),
         try database.scalar("SELECT pg_total_relation_size('sample_chunks')"))
    }

    @Test func realCyclerFilesCompactExactlyAndExportTheSame() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let folder = TestPaths.temporaryDirectory("compact-files")
        let spool = TestPaths.temporaryDirectory("compact-spool")
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: folder)
            try? FileManager.default.removeItem(at: spool)
        }
        let coordinator = try await TestProcess.insecureCoordinator(database, port: port)
        defer { coordinator.terminate() }
        var files: [String] = []
        for fixture in ["neware_csv/neware_uio.csv", "arbin_csv/arbin_example.csv", "binary/nw4-120-1-6-53.ndax", "binary/250116_kigr_gen6_01_02_GCPL_CD8.mpr"] {
            let copy = folder.appendingPathComponent(URL(fileURLWithPath: fixture).lastPathComponent)
            try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent(fixture), to: copy)
            files.append(copy.path)
        }
        let run = try TestProcess(TestPaths.cellfleet, ["import", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.path, "--insecure",
                                                        "--agent-id", "import-pc"] + files)
        #expect(await run.waitForExit(timeoutSeconds: 300) == 0, "\(run.stderr.suffix(2000))")
        // Its partition maintenance would be moving these old days' rows out of the default
        // partition while we compact; a pass skips rows in motion, which would make the counts
        // below depend on timing.
        coordinator.terminate()
        let tests = try database.query("SELECT test_id FROM tests ORDER BY test_id")
        #expect(tests.count == files.count)
        let rows = try database.scalar("SELECT count(*) FROM samples")
        #expect(rows > 10_000)
        if ProcessInfo.processInfo.environment["CELLFLEET_COMPACTION_PEEK"] != nil {
            for test in tests {
                print(try database.query("SELECT seq, unix_time_s, test_time_s, voltage_v, current_a, capacity_ah, energy_wh, temperature_c, step_index, step_type, cycle_index FROM samples WHERE test_id = '\(test)' ORDER BY seq OFFSET 5000 LIMIT 8").joined(separator: "\n"))
                print(try database.query("SELECT count(*), count(*) FILTER (WHERE voltage_v::float4::float8 = voltage_v), count(*) FILTER (WHERE current_a::float4::float8 = current_a), count(*) FILTER (WHERE test_time_s::float4::float8 = test_time_s) FROM samples WHERE test_id = '\(test)'").joined())
            }
        }
        var before: [String: String] = [:]
        for test in tests { before[test] = try await Self.export(database, test: test, into: folder, name: "before-\(test)") }
        let sizeBefore = try Self.bytesOnDisk(database)

        let outcome = try await Self.compact(database)
        print("compaction by column: \(outcome["column_bytes_per_sample"] ?? "")")
        // The files are years old: every dated sample is compacted; any without a date stays a row.
        let undated = try database.scalar("SELECT count(*) FROM samples WHERE unix_time_s IS NULL")
        #expect(outcome["samples"] as? Int == rows - undated, "\(outcome)")
        #expect(try database.scalar("SELECT count(*) FROM samples") == undated)
        #expect(try database.scalar("SELECT coalesce(sum(row_count), 0) FROM sample_chunks") == rows - undated)
        for test in tests {
            let after = try await Self.export(database, test: test, into: folder, name: "after-\(test)")
            #expect(after == before[test], "test \(test): the export changed with compaction")
        }
        for line in try database.query("""
            SELECT t.cell_id, sum(c.row_count), round(sum(octet_length(c.columns))::numeric / sum(c.row_count), 2)
            FROM sample_chunks c JOIN tests t USING (test_id) GROUP BY t.cell_id ORDER BY t.cell_id
            """) { print("compaction per file: \(line)") }
        // Nothing left to do: a second compaction moves nothing and writes no chunk.
        let again = try await Self.compact(database)
        #expect(again["samples"] as? Int == 0 && again["chunks"] as? Int == 0, "\(again)")

        try database.query("VACUUM FULL samples_default")
        let sizeAfter = try Self.bytesOnDisk(database)
        let chunkBytes = outcome["chunk_bytes"] as? Int ?? 0
        print("compaction (real files, \(rows) samples): samples \(sizeBefore.samples) bytes (\(Double(sizeBefore.samples) / Double(rows)) a sample) "
              + "-> chunks \(sizeAfter.chunks) bytes on disk (\(Double(sizeAfter.chunks) / Double(rows)) a sample; \(Double(chunkBytes) / Double(rows)) encoded)")
        #expect(sizeAfter.chunks < sizeBefore.samples / 4)
    }

    /// Tests of made-up, quantised samples, one every `intervalSeconds`, the first
    /// `daysAgo` days back from now: inserted directly, as history an agent back-filled.
    static func insertHistory(_ database: TestDatabase, tests: Int, samples: Int, intervalSeconds: Int, daysAgo: Double) async throws -> [String] {
        let client = try database.makeClient()
        let clientTask = Task { await client.run() }
        defer { clientTask.cancel() }
        var logger = Logger(label: "test.migrations")
        logger.logLevel = .warning
        try await SchemaMigrations(directory: TestPaths.repositoryRoot.appendingPathComponent("schemas/migrations")).apply(client: client, logger: logger)
        let ids = (1...tests).map { String(format: "00000000-0000-4000-8000-%012d", $0) }
        _ = try database.query("""
            INSERT INTO tests (test_id, agent_id, channel_id, cell_id, started_at)
            SELECT ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 'history', 'ch' || i, 'cell-' || i,
                   now() - make_interval(secs => \(daysAgo * 86_400))
            FROM generate_series(1, \(tests)) AS i;
            INSERT INTO test_progress (test_id, committed_seq) SELECT test_id, \(samples) FROM tests WHERE agent_id = 'history';
            INSERT INTO samples (test_id, seq, unix_time_s, test_time_s, voltage_v, current_a, capacity_ah, temperature_c,
                                 step_index, step_type, cycle_index)
            SELECT t.test_id, s,
                   (extract(epoch FROM now())::bigint - \(Int(daysAgo * 86_400)) + s * \(intervalSeconds))::float8 + (s % 7)::float8 / 1000,
                   (s * \(intervalSeconds))::float8 + (s % 7)::float8 / 1000,
                   (36000 + (s * 37) % 2000 + (s % 5))::float8 / 10000,
                   CASE WHEN (s / 720) % 2 = 0 THEN 10000 ELSE -10000 END::float8 / 10000000,
                   (s * 278 % 1000000)::float8 / 1000000000,
                   (2500 + s % 3)::float8 / 100,
                   1 + s / 720, CASE WHEN (s / 720) % 2 = 0 THEN 1 ELSE 2 END, 1 + s / 1440
            FROM tests t, generate_series(1, \(samples)) AS s WHERE t.agent_id = 'history';
            """)
        return ids
    }

    /// Every sample is in `samples` or in one chunk, never both, and none is missing.
    static func expectEachSampleOnce(_ database: TestDatabase, total: Int, _ when: String) throws {
        let rows = try database.scalar("SELECT count(*) FROM samples")
        let compacted = try database.scalar("SELECT coalesce(sum(row_count), 0) FROM sample_chunks")
        #expect(rows + compacted == total, "\(when): \(rows) rows + \(compacted) compacted, of \(total)")
        #expect(try database.scalar("""
            SELECT count(*) FROM samples s JOIN sample_chunks c ON c.test_id = s.test_id AND s.seq BETWEEN c.first_seq AND c.last_seq
            """) == 0, "\(when): a sample both a row and compacted")
        #expect(try database.scalar("""
            SELECT count(*) FROM sample_chunks a JOIN sample_chunks b ON a.test_id = b.test_id AND a.first_seq < b.first_seq
                                                                  AND b.first_seq <= a.last_seq
            """) == 0, "\(when): two chunks hold the same samples")
    }

    @Test func aTestCompactedInPartReadsAsOneStreamThroughExportAndTheAPI() async throws {
        let database = try TestDatabase()
        let folder = TestPaths.temporaryDirectory("compact-boundary")
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: folder)
        }
        // A test of 3.5 days at one sample every 5 s: its first two whole days are old enough.
        let test = try await Self.insertHistory(database, tests: 1, samples: 60_000, intervalSeconds: 5, daysAgo: 3.5)[0]
        let token = try APIEndToEndTests.token(database.url, name: "reader", role: "viewer")
        let (api, base) = try await APIEndToEndTests.startAPI(database.url)
        defer { api.terminate() }
        func apiPages(_ query: String = "") async throws -> (seq: [Int], voltage: [Double]) {
            var cursor: String? = nil
            var seq: [Int] = [], voltage: [Double] = []
            repeat {
                let page = try await HTTPTest.request(.GET, base + "/api/v1/tests/\(test)/samples?limit=7000" + query
                                                      + (cursor.map { "&cursor=\($0)" } ?? ""), token: token).json()
                let columns = try #require(page["columns"] as? [String: Any])
                seq += try #require(columns["seq"] as? [Int])
                voltage += try #require(columns["voltage_volt"] as? [Double])
                cursor = page["next_cursor"] as? String
            } while cursor != nil
            return (seq, voltage)
        }
        let exportBefore = try await Self.export(database, test: test, into: folder, name: "before")
        let pagesBefore = try await apiPages()
        let rangeBefore = try await apiPages("&from_seq=20000&to_seq=50000&from_time=120000")
        #expect(pagesBefore.seq == Array(1...60_000))

        let outcome = try await Self.compact(database)
        let compacted = outcome["samples"] as? Int ?? 0
        print("compaction (boundary): \(outcome)")
        #expect(compacted > 20_000 && compacted < 60_000, "part of the test is compacted: \(outcome)")
        try Self.expectEachSampleOnce(database, total: 60_000, "after compaction")

        #expect(try await Self.export(database, test: test, into: folder, name: "after") == exportBefore)
        let pagesAfter = try await apiPages()
        #expect(pagesAfter.seq == pagesBefore.seq)
        #expect(pagesAfter.voltage.map(\.bitPattern) == pagesBefore.voltage.map(\.bitPattern))
        let rangeAfter = try await apiPages("&from_seq=20000&to_seq=50000&from_time=120000")
        #expect(rangeAfter.seq == rangeBefore.seq && !rangeAfter.seq.isEmpty)
        #expect(rangeAfter.voltage.map(\.bitPattern) == rangeBefore.voltage.map(\.bitPattern))
    }

    /// Killed with SIGKILL mid-pass — the compactor, then PostgreSQL itself — every sample is a
    /// row or in exactly one chunk, and a compaction run afterwards finishes the job exactly.
    @Test func aCompactionKilledMidwayLosesAndDoublesNothing() async throws {
        let database = try TestDatabase()
        let folder = TestPaths.temporaryDirectory("compact-crash")
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: folder)
        }
        let tests = 16, perTest = 25_000
        let ids = try await Self.insertHistory(database, tests: tests, samples: perTest, intervalSeconds: 12, daysAgo: 3.6)
        let total = tests * perTest
        let exportBefore = try await Self.export(database, test: ids[5], into: folder, name: "before")

        // The compactor killed once it has committed some chunks.
        var compactor = try TestProcess(TestPaths.cellfleet, ["compact", "--database", database.url])
        #expect(await eventually(timeoutSeconds: 120) { (try? database.scalar("SELECT count(*) FROM sample_chunks")) ?? 0 >= 4 })
        compactor.kill9()
        _ = await compactor.waitForExit(timeoutSeconds: 10)
        let afterKill = try database.scalar("SELECT count(*) FROM sample_chunks")
        try Self.expectEachSampleOnce(database, total: total, "after the compactor's SIGKILL (\(afterKill) chunks)")

        // Then the database killed under a second one.
        compactor = try TestProcess(TestPaths.cellfleet, ["compact", "--database", database.url])
        #expect(await eventually(timeoutSeconds: 120) { (try? database.scalar("SELECT count(*) FROM sample_chunks")) ?? 0 >= afterKill + 4 })
        let pidFile = database.postgres.clusterDirectory.appendingPathComponent("postmaster.pid")
        let pid = try String(contentsOf: pidFile, encoding: .utf8).split(separator: "\n").first.flatMap { Int32($0) }
        if let pid { kill(pid, SIGKILL) }
        _ = await compactor.waitForExit(timeoutSeconds: 60)
        for _ in 0..<50 where (try? database.postgres.isRunning()) == true { try await Task.sleep(for: .milliseconds(200)) }
        try database.postgres.start()
        let afterCrash = try database.scalar("SELECT count(*) FROM sample_chunks")
        try Self.expectEachSampleOnce(database, total: total, "after PostgreSQL's SIGKILL (\(afterCrash) chunks)")

        let outcome = try await Self.compact(database)
        print("compaction (crash): chunks after the compactor's kill \(afterKill), after PostgreSQL's \(afterCrash); the rest: \(outcome)")
        try Self.expectEachSampleOnce(database, total: total, "after a full compaction")
        #expect(try database.scalar("SELECT count(*) FROM samples WHERE unix_time_s < extract(epoch FROM now()) - 2 * 86400") == 0)
        #expect(try await Self.export(database, test: ids[5], into: folder, name: "after") == exportBefore)
    }

    /// The coordinator compacts by itself (`--compact-after-days`), and not at all with
    /// `--no-compact`, which leaves it running.
    @Test func theCoordinatorCompactsOldDaysUnlessToldNotTo() async throws {
        let database = try TestDatabase()
        defer { database.stop() }
        let total = 4 * 20_000
        _ = try await Self.insertHistory(database, tests: 4, samples: 20_000, intervalSeconds: 12, daysAgo: 2.5)
        let old = "SELECT count(*) FROM samples WHERE unix_time_s < floor(extract(epoch FROM now()) / 86400 - 1) * 86400"
        let oldRows = try database.scalar(old)
        #expect(oldRows > 0)

        let idle = try await TestProcess.insecureCoordinator(database, port: TestPaths.freePort(), ["--no-compact", "--compact-first-after-seconds", "0"])
        try await Task.sleep(for: .seconds(4))
        #expect(idle.process.isRunning, "--no-compact must not end the coordinator: \(idle.stderr.suffix(1000))")
        #expect(try database.scalar("SELECT count(*) FROM sample_chunks") == 0)
        idle.terminate()

        let coordinator = try await TestProcess.insecureCoordinator(database, port: TestPaths.freePort(), ["--compact-first-after-seconds", "1"])
        defer { coordinator.terminate() }
        #expect(await eventually(timeoutSeconds: 120) { (try? database.scalar(old)) == 0 }, "\(coordinator.stderr.suffix(2000))")
        try Self.expectEachSampleOnce(database, total: total, "after the coordinator's compaction")
        #expect(try database.scalar("SELECT coalesce(sum(row_count), 0) FROM sample_chunks") == oldRows)
        #expect(coordinator.stderr.contains("compacted old samples"))
    }
}
