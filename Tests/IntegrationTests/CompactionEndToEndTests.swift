import TestSupport
import Foundation
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
}
