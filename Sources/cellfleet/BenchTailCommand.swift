import ArgumentParser
import CellfleetAgent
import CellfleetBenchmarks
import CellfleetCoordinator
import CyclerReaders
import Foundation
import Logging
import PostgresNIO
import ShippedData

/// `cellfleet bench tail`: what following cycler files costs, through the real commands.
///
/// 1. Throughput: real fixture files (replicated under distinct names so the run lasts seconds)
///    imported by a real `cellfleet import` child into a coordinator and a database this command
///    starts; records/s from the start of the import to its exit (everything acknowledged, so
///    committed), against the reader alone reading the same files in-process as `bench parse`
///    does — the ratio is what the path from disk to committed rows keeps of the reader's rate.
/// 2. Following: `--follow-files` text exports, each given one record a second by this command,
///    followed by a real `cellfleet agent --watch` child; its resident memory and CPU over the
///    window against the goals (≤ 30 MB, ≤ 2 % of a core for 64 files at 1 Hz), and the rows
///    committed against the records written (nothing lost).
///
/// Progress goes to stderr; the one JSON line (`TailBenchmarkReport`) to stdout.
struct BenchTailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Followed files: records/s from disk to committed rows against the reader alone; an agent's RSS and CPU following 64 files at 1 Hz.",
        discussion: """
            Children are this same executable: run a release build's `cellfleet bench tail` to measure a release agent. \
            The default throughput set is the permissive reader fixtures of a source checkout \
            (Tests/Core/CyclerReadersTests/Fixtures, or $CELLFLEET_FIXTURES), each copied --replicas times.
            """)

    @Option(parsing: .upToNextOption, help: "Cycler files for the throughput phase (default: the reader fixtures).")
    var files: [String] = []

    @Option(help: "Copies of each throughput file under distinct names (default 16 for the fixtures, 1 for --files).")
    var replicas: Int?

    @Option(help: "Passes of the in-process read of the throughput set; the best is kept.")
    var parseRepeats = 3

    @Option(help: "Files followed at once in the following phase.")
    var followFiles = 64

    @Option(help: "Seconds the followed files grow (one record a second each) while the agent is measured.")
    var seconds = 60

    @Option(help: "Records each followed file holds before it starts growing (a test that has run a while: the agent re-reads nothing, but opens a larger file).")
    var followInitialRecords = 1

    @Option(help: "Text export whose header starts every followed file and whose records they are given (default: the Arbin CSV fixture).")
    var followFixture: String?

    @Flag(help: "Live detection in the coordinator (as a lab's coordinator runs it); off by default to measure the file path alone.")
    var detection = false

    @Option(help: "Give up on the import, or on the followed rows arriving, after this many seconds.")
    var timeout = 600.0

    @Option(help: "Directory of cycler profiles searched first.")
    var profiles: String?

    @Option(help: "Scratch directory (a fresh database, spools and files are made under it and removed).")
    var scratch = "/var/tmp"

    /// Text and binary fixtures any lab's files look like, all read to their end by the readers
    /// (the hostile ones — a zip bomb, fuzz seeds, deliberately broken layouts — are left out).
    static let throughputFixtures = [
        "arbin_csv/arbin_example.csv", "maccor_txt/maccor_two.txt", "maccor_txt/PredictionDiagnostics_000151_test.052",
        "novonix_csv/sample_data_novonix.csv", "basytec_txt/sample_data_basytec_excerpt.txt", "synthetic/land_synthetic.csv",
        "maccor_csv/sample_data_maccor.csv", "neware_csv/neware_uio.csv",
        "binary/test.ndax", "binary/TestFile.nda", "binary/nw4-120-1-6-53.ndax", "binary/arbin_example.res",
        "binary/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx", "binary/250116_kigr_gen6_01_02_GCPL_CD8.mpr",
    ]
    static let followFixtureDefault = "arbin_csv/arbin_example.csv"
    static let importAgentID = "bench-tail-import"
    static let followAgentID = "bench-tail-follow"

    func validate() throws {
        guard followFiles > 0, seconds > 0, parseRepeats > 0, timeout > 0, followInitialRecords > 0 else {
            throw ValidationError("--follow-files, --follow-initial-records, --seconds, --parse-repeats and --timeout must be positive")
        }
        if let replicas, replicas < 1 { throw ValidationError("--replicas must be at least 1") }
    }

    func run() async throws {
        var logger = Logger(label: "cellfleet.bench")
        logger.logLevel = .warning
        let library = try ProfileLibrary.standard(explicitDirectory: profiles)
        let fixtures = files.isEmpty || followFixture == nil ? try Self.fixtureDirectory() : nil
        let sources = files.isEmpty ? Self.throughputFixtures.map { fixtures!.appendingPathComponent($0).path } : files
        let followSource = followFixture ?? fixtures!.appendingPathComponent(Self.followFixtureDefault).path
        for file in sources + [followSource] where !FileManager.default.fileExists(atPath: file) {
            throw ValidationError("\(file): no such file")
        }
        // Checked before anything starts: the following phase needs one record a second per file.
        let exports = try GrowingTextExports(fixture: followSource, library: library)
        guard exports.records.count >= followInitialRecords + seconds else {
            throw ValidationError("\(followSource) holds \(exports.records.count) records: --follow-initial-records plus --seconds may not exceed that")
        }

        let root = URL(fileURLWithPath: scratch).appendingPathComponent("cellfleet-bench-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let copies = try Self.replicate(sources, times: replicas ?? (files.isEmpty ? 16 : 1), into: root.appendingPathComponent("tail-files"))
        note("bench tail: \(copies.count) files (\(sources.count) × \(copies.count / sources.count)); following \(followFiles) files at 1 Hz for \(seconds) s; agents: \(BenchChildProcess.currentExecutable)")

        // The reference: the reader alone, in this process, over the same files.
        let reference = try ParseBenchmark.run(paths: copies.map(\.path), library: library, repeats: parseRepeats)
        note(String(format: "reader alone (best of %d passes): %d records in %.3f s, %.0f records/s", parseRepeats, reference.rows, reference.bestSeconds, reference.rowsPerSecond))

        let bench = try await BenchCoordinator(root: root.appendingPathComponent("coordinator"), stages: detection ? [DetectionStage()] : [], logger: logger)
        defer {
            bench.stopClient()
            try? bench.postgres.stop()
        }
        let logs = root.appendingPathComponent("logs")

        // 1. Throughput: the import, start to exit.
        let clock = ContinuousClock()
        let importStarted = clock.now
        let importer = try BenchChildProcess([
            "import", "--coordinator", bench.endpoint, "--spool", root.appendingPathComponent("import-spool").path,
            "--insecure", "--agent-id", Self.importAgentID,
        ] + (profiles.map { ["--profiles", $0] } ?? []) + copies.map(\.path), logsIn: logs, named: "import")
        defer { importer.forceStop() }
        let importStatus = await importer.waitForExit(timeoutSeconds: timeout)
        let tailSeconds = importStarted.duration(to: clock.now).inSeconds
        guard importStatus == 0, let line = importer.lastJSONLine, let summary = try? JSONDecoder().decode(AgentSummary.self, from: line) else {
            throw ValidationError("cellfleet import \(importStatus.map { "exited \($0)" } ?? "did not finish in \(Int(timeout)) s"): \(importer.stderrTail)")
        }
        let committed = try await Self.committedRows(of: Self.importAgentID, in: bench.client)
        guard committed == reference.rows, summary.samplesAcked == committed, summary.filesQuarantined == 0 else {
            throw ValidationError("the import committed \(committed) rows (\(summary.samplesAcked) acknowledged, \(summary.filesQuarantined) files quarantined: \(summary.quarantined)) of the \(reference.rows) records the reader reads")
        }
        note(String(format: "import to committed rows: %d records in %.3f s, %.0f records/s (%.2f × the reader alone)",
                    committed, tailSeconds, Double(committed) / tailSeconds, (Double(committed) / tailSeconds) / reference.rowsPerSecond))

        // 2. Following: the agent measured while the files grow.
        let followed = try exports.create(count: followFiles, in: root.appendingPathComponent("follow"), records: followInitialRecords)
        let agent = try BenchChildProcess([
            "agent", "--coordinator", bench.endpoint, "--spool", root.appendingPathComponent("follow-spool").path,
            "--insecure", "--agent-id", Self.followAgentID, "--watch", root.appendingPathComponent("follow").path,
        ] + (profiles.map { ["--profiles", $0] } ?? []), logsIn: logs, named: "agent")
        defer { agent.forceStop() }
        // The window opens once every file's first records are committed: the agent's start-up
        // (loading profiles, the first scan, the tests' starts) is not what a lab pays each hour.
        _ = try await waitForFollowedRows(followFiles * followInitialRecords, agent: agent, client: bench.client)
        note("agent following \(followFiles) files (pid \(agent.pid)); measuring for \(seconds) s")
        let before = try ProcessUsage.read(pid: agent.pid)
        let windowStarted = clock.now
        let appended = try await exports.grow(followed, alreadyHolding: followInitialRecords, periods: seconds)
        let after = try ProcessUsage.read(pid: agent.pid)
        let windowSeconds = windowStarted.duration(to: clock.now).inSeconds
        let written = followFiles * followInitialRecords + appended
        let followCommitted = try await waitForFollowedRows(written, agent: agent, client: bench.client)
        let end = try ProcessUsage.read(pid: agent.pid)
        _ = await agent.stop()
        await bench.stopCoordinator()

        let report = TailBenchmarkReport(
            files: copies.count, records: committed, tailSeconds: tailSeconds, parseSeconds: reference.bestSeconds,
            followFiles: followFiles, followSeconds: windowSeconds,
            agentRSSBytes: after.residentBytes, agentRSSPeakBytes: end.peakResidentBytes, agentRSSAnonymousBytes: after.anonymousResidentBytes,
            agentCPUSecondsPerSecond: (after.cpuSeconds - before.cpuSeconds) / windowSeconds,
            followRecordsWritten: written, followRecordsCommitted: followCommitted)
        note(String(format: "agent: RSS %.1f MB (%.1f MB its own, the rest the executable's and libraries' pages; peak %.1f MB; goal ≤ %.0f MB), CPU %.2f %% of a core (goal ≤ %.0f %%); %d records written, %d committed",
                    report.agentRSSMegabytes, report.agentRSSAnonymousMegabytes, report.agentRSSPeakMegabytes, TailBenchmarkReport.goalRSSMegabytes,
                    report.agentCPUPercentOfCore, TailBenchmarkReport.goalCPUPercentOfCore, written, followCommitted))
        print(report.jsonLine())
        guard followCommitted == written else {
            throw ValidationError("records were lost: \(written) written to the followed files, \(followCommitted) committed after \(Int(timeout)) s (agent log: \(agent.stderrTail))")
        }
    }

    /// Waits until the followed files' committed rows reach `expected`; returns the count then,
    /// or at the timeout (fewer) — or fails if the agent died meanwhile.
    private func waitForFollowedRows(_ expected: Int, agent: BenchChildProcess, client: PostgresClient) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while true {
            let rows = try await Self.committedRows(of: Self.followAgentID, in: client)
            if rows >= expected || ContinuousClock.now > deadline { return rows }
            guard agent.isRunning else {
                throw ValidationError("the following agent exited (\(agent.process.terminationStatus)) with \(rows) of \(expected) rows committed: \(agent.stderrTail)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    static func committedRows(of agentID: String, in client: PostgresClient) async throws -> Int {
        let rows = try await client.query("SELECT count(*)::bigint FROM samples s JOIN tests t ON t.test_id = s.test_id WHERE t.agent_id = \(agentID)").collect()
        return Int(try rows.first?.decode(Int64.self) ?? 0)
    }

    /// The fixtures of the nearest source checkout (or `$CELLFLEET_FIXTURES`): not installed with
    /// cellfleet, so outside a checkout `--files` and `--follow-fixture` say what to read.
    static func fixtureDirectory() throws -> URL {
        let candidates = ShippedDataSearchPath.candidates(
            explicit: [], environmentVariable: "CELLFLEET_FIXTURES", installedName: "fixtures",
            checkoutPath: "Tests/Core/CyclerReadersTests/Fixtures")
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/" + followFixtureDefault) }) else {
            throw ValidationError("the reader fixtures (Tests/Core/CyclerReadersTests/Fixtures of a source checkout) are not found; give --files and --follow-fixture")
        }
        return URL(fileURLWithPath: found)
    }

    /// Copies each file `times` times into `directory` as `rNNN-II-NAME`: each copy is a test of its
    /// own (its path differs), and the prefix keeps the vendors' multi-part names apart.
    static func replicate(_ files: [String], times: Int, into directory: URL) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var copies: [URL] = []
        for replica in 1...times {
            for (index, file) in files.enumerated() {
                let name = String(format: "r%03d-%02d-", replica, index) + URL(fileURLWithPath: file).lastPathComponent
                let copy = directory.appendingPathComponent(name)
                try FileManager.default.copyItem(at: URL(fileURLWithPath: file), to: copy)
                copies.append(copy)
            }
        }
        return copies
    }
}

/// Progress on stderr, unbuffered, so that stdout holds only the JSON line.
private func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
