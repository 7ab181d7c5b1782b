import TestSupport
import Foundation
import Testing

/// The agent following real cycler files in a watched folder (issue 13's acceptance, through
/// real processes): text exports appended in chunks cut anywhere (mid-line included), a text
/// export replaced by a longer re-export (new inode), binary files appearing cut short and then
/// replaced whole, the agent killed with SIGKILL mid-way and restarted on its spool; a garbage
/// file and a truncated binary among them. Each good file is one test whose rows equal what
/// `cellfleet inspect --json` reports of it; the bad ones are quarantined; an import of the same
/// files afterwards adds nothing.
@Suite(.serialized) struct FileSourceEndToEndTests {
    static let fixtures = TestPaths.repositoryRoot.appendingPathComponent("Tests/Core/CyclerReadersTests/Fixtures")
    static let textFiles = [
        "arbin_csv/arbin_example.csv", "maccor_txt/maccor_two.txt", "maccor_txt/PredictionDiagnostics_000151_test.052",
        "novonix_csv/sample_data_novonix.csv", "basytec_txt/sample_data_basytec_excerpt.txt", "synthetic/land_synthetic.csv",
        "maccor_csv/sample_data_maccor.csv",
    ]
    static let binaryFiles = [
        "binary/test.ndax", "binary/TestFile.nda", "binary/arbin_example.res",
        "binary/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx", "binary/250116_kigr_gen6_01_02_GCPL_CD8.mpr",
    ]
    /// BioLogic's text export: GPL-3 (dgbowl/yadg), so only in ../shared.
    static let sharedMPT = TestPaths.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/cyclers/biologic_mpt/gcpl.issue_149.mpt")

    struct Inspected: Decodable {
        var rows: Int
        var first_test_time_s: Double?
        var last_test_time_s: Double?
        var voltage_min_V: Double?
        var voltage_max_V: Double?
    }

    static func inspect(_ path: String) throws -> Inspected {
        try JSONDecoder().decode(Inspected.self, from: Data(TestProcess.run(TestPaths.cellfleet, ["inspect", path, "--json"]).utf8))
    }

    struct Summary: Decodable {
        var samples_produced: Int
        var samples_acked: Int
        var files_read: Int
        var files_quarantined: Int
        var quarantined: [Quarantined]
        struct Quarantined: Decodable { var file: String; var reason: String }

        static func parse(_ stdout: String) throws -> Summary {
            guard let line = stdout.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else { throw TestFailure("no JSON line: \(stdout)") }
            return try JSONDecoder().decode(Summary.self, from: Data(line.utf8))
        }
    }

    /// Appends `bytes[from..<to]` to `url`, creating it.
    static func append(_ bytes: [UInt8], _ range: Range<Int>, to url: URL) throws {
        if !FileManager.default.fileExists(atPath: url.path) { FileManager.default.createFile(atPath: url.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes[range]))
        try handle.close()
    }

    /// Writes `data` beside `url` and renames it over: a new inode, as a re-export makes.
    static func replace(_ url: URL, with data: Data) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).part")
        try data.write(to: temporary)
        guard rename(temporary.path, url.path) == 0 else { throw TestFailure("rename failed") }
    }

    @Test func followsGrowingAndRewrittenFilesAcrossAKillAndQuarantinesBadOnes() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let watch = TestPaths.temporaryDirectory("watch")
        let spool = TestPaths.temporaryDirectory("watch-spool")
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: watch)
            try? FileManager.default.removeItem(at: spool)
        }
        let coordinator = try await TestProcess.insecureCoordinator(database, port: port)
        defer { coordinator.terminate() }

        var texts = Self.textFiles.map { Self.fixtures.appendingPathComponent($0) }
        if FileManager.default.fileExists(atPath: Self.sharedMPT.path) { texts.append(Self.sharedMPT) } else {
            print("FileSourceEndToEndTests: ../shared is absent, so the GPL BioLogic .mpt is not followed")
        }
        let binaries = Self.binaryFiles.map { Self.fixtures.appendingPathComponent($0) }
        let contents = try texts.map { [UInt8](try Data(contentsOf: $0)) }
        // The re-exported file: first a third of its records, then the whole file under a new inode.
        let reexported = Self.fixtures.appendingPathComponent("neware_csv/neware_uio.csv")
        let reexportedText = try String(contentsOf: reexported, encoding: .utf8)
        let reexportedLines = reexportedText.split(separator: "\n", omittingEmptySubsequences: false)
        let firstThird = reexportedLines.prefix(reexportedLines.count / 3).joined(separator: "\n") + "\n"
        try Self.replace(watch.appendingPathComponent("neware_uio.csv"), with: Data(firstThird.utf8))
        // Binary files first appear cut short (vendor software mid-write), two of them for good.
        for binary in binaries {
            let data = try Data(contentsOf: binary)
            try data.prefix(data.count / 2).write(to: watch.appendingPathComponent(binary.lastPathComponent))
        }
        let cutBinary = try Data(contentsOf: Self.fixtures.appendingPathComponent("binary/nw4-120-1-6-53.ndax"))
        try cutBinary.prefix(cutBinary.count / 2).write(to: watch.appendingPathComponent("cut_short.ndax"))
        var garbage = SystemRandomNumberGenerator()
        try Data((0..<20_000).map { _ in UInt8.random(in: 0...255, using: &garbage) }).write(to: watch.appendingPathComponent("garbage.csv"))
        // Ignored: a sidecar is read, not followed; partial and dot files are skipped.
        try "cell_id = \"LAND-7\"\narea_cm2 = 1.13\n[attributes]\ncoating = \"LiAlO2\"\n".write(
            to: watch.appendingPathComponent("land_synthetic.cell.toml"), atomically: true, encoding: .utf8)
        try "junk".write(to: watch.appendingPathComponent("upload.csv.part"), atomically: true, encoding: .utf8)

        func startAgent(_ extra: [String] = []) throws -> TestProcess {
            try TestProcess(TestPaths.cellfleet, [
                "agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.path, "--insecure", "--agent-id", "lab-pc-3",
                "--watch", watch.path, "--poll-seconds", "0.3", "--settle-seconds", "4",
            ] + extra)
        }
        var agent = try startAgent()
        // The text files grow in five chunks cut at arbitrary bytes; the agent is killed after the third.
        var cuts = contents.map { bytes in [0] + (1...4).map { bytes.count * $0 / 5 + Int.random(in: -7...7) } + [bytes.count] }
        for k in cuts.indices { cuts[k] = cuts[k].map { max(0, min(contents[k].count, $0)) }.sorted() }
        for chunk in 0..<5 {
            for (k, text) in texts.enumerated() {
                try Self.append(contents[k], cuts[k][chunk]..<cuts[k][chunk + 1], to: watch.appendingPathComponent(text.lastPathComponent))
            }
            // Less than the settle time: a line cut by a chunk is not yet counted.
            try await Task.sleep(for: .milliseconds(1200))
            if chunk == 2 {
                agent.kill9()
                // Meanwhile the re-export and the whole binary files replace what was there.
                try Self.replace(watch.appendingPathComponent("neware_uio.csv"), with: Data(reexportedText.utf8))
                for binary in binaries { try Self.replace(watch.appendingPathComponent(binary.lastPathComponent), with: try Data(contentsOf: binary)) }
                agent = try startAgent(["--exit-when-idle", "4"])
            }
        }
        let status = await agent.waitForExit(timeoutSeconds: 240)
        #expect(status == 0, "agent stderr: \(agent.stderr.suffix(4000))")
        let summary = try Summary.parse(agent.stdout)
        #expect(summary.files_quarantined == 2, "\(summary.quarantined)")
        #expect(Set(summary.quarantined.map { URL(fileURLWithPath: $0.file).lastPathComponent }) == ["cut_short.ndax", "garbage.csv"])
        #expect(summary.quarantined.allSatisfy { !$0.reason.isEmpty })
        #expect(summary.samples_acked == summary.samples_produced)
        #expect(agent.stderr.contains("QUARANTINED"), "the log says so")
        // And people are told: one open F4 fleet-health alert per quarantined file.
        #expect(await eventually(timeoutSeconds: 30) {
            try database.query("SELECT evidence->>'file' FROM alerts WHERE rule = 'F4' AND evidence->>'file' IN ('cut_short.ndax', 'garbage.csv') ORDER BY 1")
                == ["cut_short.ndax", "garbage.csv"]
        }, "\((try? database.query("SELECT rule, evidence FROM alerts WHERE rule = 'F4'")) ?? [])")
        #expect(try database.scalar("SELECT count(*) FROM (SELECT evidence->>'file' FROM alerts WHERE rule = 'F4' GROUP BY 1 HAVING count(*) > 1) twice") == 0)

        // Every good file is one test, its rows those `inspect` reports, numbered 1…n once each.
        let good = texts + binaries + [reexported]
        #expect(summary.files_read == good.count)
        var totalRows = 0
        for file in good {
            let name = file.lastPathComponent
            let expected = try Self.inspect(file.path)
            let tests = try database.query("SELECT test_id FROM tests WHERE attributes->>'source_file' = '\(name)'")
            #expect(tests.count == 1, "\(name): \(tests.count) tests")
            guard let testID = tests.first else { continue }
            let row = try database.query("""
                SELECT count(*), max(seq), count(DISTINCT seq), min(test_time_s), max(test_time_s), min(voltage_v), max(voltage_v)
                FROM samples WHERE test_id = '\(testID)'
                """).first!.split(separator: "|").map(String.init)
            #expect(Int(row[0]) == expected.rows && Int(row[1]) == expected.rows && Int(row[2]) == expected.rows, "\(name): \(row) vs \(expected.rows) records")
            if let first = expected.first_test_time_s, let last = expected.last_test_time_s {
                #expect(abs(Double(row[3])! - first) < 1e-6 && abs(Double(row[4])! - last) < 1e-6, "\(name): test time \(row[3])…\(row[4]) vs \(first)…\(last)")
            }
            if let low = expected.voltage_min_V, let high = expected.voltage_max_V {
                #expect(abs(Double(row[5])! - low) < 1e-9 && abs(Double(row[6])! - high) < 1e-9, "\(name): voltage \(row[5])…\(row[6]) vs \(low)…\(high)")
            }
            let profile = try database.query("SELECT attributes->>'profile', attributes->>'reader_version' FROM tests WHERE test_id = '\(testID)'").first ?? ""
            #expect(!profile.hasPrefix("|") && !profile.hasSuffix("|"), "\(name): profile and reader version recorded: \(profile)")
            totalRows += expected.rows
        }
        #expect(try database.scalar("SELECT count(*) FROM samples") == totalRows)
        // The sidecar described its cell.
        let land = try database.query("SELECT cell_id, electrode_area_m2, attributes->>'coating' FROM tests WHERE attributes->>'source_file' = 'land_synthetic.csv'")
        #expect(land == ["LAND-7|0.000113|LiAlO2"], "\(land)")

        // A backfill of the same files, as the same agent, on a new spool: nothing new.
        let importSpool = TestPaths.temporaryDirectory("import-spool")
        defer { try? FileManager.default.removeItem(at: importSpool) }
        let imported = try TestProcess(TestPaths.cellfleet, [
            "import", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", importSpool.path, "--insecure", "--agent-id", "lab-pc-3",
            "--relative-to", watch.path,
        ] + good.map { watch.appendingPathComponent($0.lastPathComponent).path })
        #expect(await imported.waitForExit(timeoutSeconds: 240) == 0, "import stderr: \(imported.stderr.suffix(3000))")
        let importSummary = try Summary.parse(imported.stdout)
        #expect(importSummary.files_read == good.count && importSummary.files_quarantined == 0, "\(imported.stdout) \(imported.stderr.suffix(3000))")
        #expect(importSummary.samples_acked == totalRows, "\(imported.stderr.split(separator: "\n").filter { $0.contains("refused") }.prefix(5).joined(separator: "\n"))")
        #expect(try database.scalar("SELECT count(*) FROM samples") == totalRows)
        #expect(try database.scalar("SELECT count(*) FROM tests") == good.count)
        #expect(try database.scalar("SELECT count(*) FROM tests WHERE end_reason = 'imported'") == good.count)
        #expect(imported.stderr.contains("import:"), "plain progress lines when not on a terminal")
    }
}
