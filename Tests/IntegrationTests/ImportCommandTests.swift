import TestSupport
import Foundation
import Testing

/// `cellfleet import` on a terminal: a progress bar redrawn in place, the summary line, exit 2
/// when a file is quarantined while the good files are sent whole; a second import on the same
/// spool sends nothing at all.
@Suite(.serialized) struct ImportCommandTests {
    static let fixtures = TestPaths.repositoryRoot.appendingPathComponent("Tests/Core/CyclerReadersTests/Fixtures")

    @Test func importsOnATerminalQuarantinesGarbageAndSendsNothingTwice() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let folder = TestPaths.temporaryDirectory("import-files")
        let spool = TestPaths.temporaryDirectory("import-tty-spool")
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: folder)
            try? FileManager.default.removeItem(at: spool)
        }
        let coordinator = try await TestProcess.insecureCoordinator(database, port: port)
        defer { coordinator.terminate() }
        let good = folder.appendingPathComponent("neware_uio.csv")
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("neware_csv/neware_uio.csv"), to: good)
        let ndax = folder.appendingPathComponent("nw4-120-1-6-53.ndax")
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("binary/nw4-120-1-6-53.ndax"), to: ndax)
        let garbage = folder.appendingPathComponent("notes.txt")
        try "not a cycler file, just words\nand more words\n".write(to: garbage, atomically: true, encoding: .utf8)

        let command = [TestPaths.cellfleet, "import", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.path, "--insecure",
                       "--agent-id", "import-pc", good.path, ndax.path, garbage.path].joined(separator: " ")
        // `script` gives the import a terminal; its output (stdout and stderr) lands in the typescript.
        let typescript = folder.appendingPathComponent("typescript")
        let run = try TestProcess("/usr/bin/script", ["-qec", command, typescript.path])
        #expect(await run.waitForExit(timeoutSeconds: 180) == 2, "exit 2: a file was quarantined. \(run.stdout.suffix(3000))")
        let screen = (try? String(contentsOf: typescript, encoding: .utf8)) ?? run.stdout
        #expect(screen.contains("\r\u{1B}[K[") && screen.contains("files") && screen.contains("records/s"), "a bar redrawn in place: \(screen.suffix(1500))")
        let summaryLine = try #require(screen.split(whereSeparator: \.isNewline).last { $0.hasPrefix("{") })
        let summary = try JSONSerialization.jsonObject(with: Data(summaryLine.utf8)) as! [String: Any]
        #expect(summary["files_read"] as? Int == 2 && summary["files_quarantined"] as? Int == 1, "\(summary)")
        let expected = try FileSourceBehaviourTests.rows(of: "neware_csv/neware_uio.csv") + FileSourceBehaviourTests.rows(of: "binary/nw4-120-1-6-53.ndax")
        #expect(try database.scalar("SELECT count(*) FROM samples") == expected)
        #expect(try database.scalar("SELECT count(*) FROM tests WHERE end_reason = 'imported'") == 2)

        // Again on the same spool: nothing is sent, nothing is added.
        let again = try TestProcess(TestPaths.cellfleet, [
            "import", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.path, "--insecure", "--agent-id", "import-pc", good.path, ndax.path,
        ])
        #expect(await again.waitForExit(timeoutSeconds: 120) == 0, "\(again.stderr.suffix(2000))")
        let second = try JSONSerialization.jsonObject(with: Data(again.stdout.split(separator: "\n").last { $0.hasPrefix("{") }!.utf8)) as! [String: Any]
        #expect(second["samples_produced"] as? Int == summary["samples_produced"] as? Int, "the spool's totals, nothing new produced: \(second)")
        #expect(try database.scalar("SELECT count(*) FROM samples") == expected)
        #expect(try database.scalar("SELECT count(*) FROM tests") == 2)
    }
}
