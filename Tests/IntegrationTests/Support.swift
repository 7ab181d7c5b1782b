import TestSupport
import EmbeddedPostgres
import Foundation
import Logging
import PostgresNIO
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL cluster of the test's own (no server is running on CI), under a temporary
/// directory, stopped when the test is done.
final class TestDatabase: @unchecked Sendable {
    let directory: URL
    let postgres: EmbeddedPostgres

    init(name: String = #function) throws {
        directory = URL(fileURLWithPath: "/var/tmp").appendingPathComponent("cellfleet-test-\(UUID().uuidString.prefix(8))")
        var logger = Logger(label: "test.postgres")
        logger.logLevel = .warning
        // Each cluster its own port as well as its own socket directory: the port also seeds
        // PostgreSQL's System V shared-memory key, which clusters sharing a port must probe
        // around. An initdb once failed with tests running side by side (cause not captured);
        // distinct ports take that contention out of the picture.
        postgres = EmbeddedPostgres(rootDirectory: directory.appendingPathComponent("pg"), port: Int.random(in: 20_000..<60_000), logger: logger)
        try postgres.start()
    }

    var url: String { postgres.url }

    func stop() {
        try? postgres.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs a query through psql and returns its unaligned output (one line per row).
    func query(_ sql: String) throws -> [String] {
        try postgres.psql(sql).split(separator: "\n").map(String.init)
    }

    func scalar(_ sql: String) throws -> Int {
        guard let line = try query(sql).first, let value = Int(line) else { return -1 }
        return value
    }

    func makeClient() throws -> PostgresClient {
        var logger = Logger(label: "test.client")
        logger.logLevel = .warning
        let configuration = PostgresClient.Configuration(
            unixSocketPath: "\(postgres.socketDirectory.path)/.s.PGSQL.\(postgres.port)",
            username: postgres.user, password: nil, database: postgres.databaseName)
        return PostgresClient(configuration: configuration, backgroundLogger: logger)
    }
}

/// A child process (our own `cellfleet` binary, psql, python) with its output collected in files.
final class TestProcess: @unchecked Sendable {
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL

    /// `directory`: the working directory, for tools that leave files where they run (schemathesis'
    /// cache), so they write into a scratch directory, not the repository.
    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("proc-\(UUID().uuidString)")
        stdoutURL = base.appendingPathExtension("out")
        stderrURL = base.appendingPathExtension("err")
        FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    func kill9() {
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() {
        if process.isRunning { process.interrupt() }
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill9() }
    }

    /// Waits for the process to exit (polling, so it works from async code too).
    func waitForExit(timeoutSeconds: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning {
            if Date() > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return process.terminationStatus
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let child = try TestProcess(executable, arguments)
        child.process.waitUntilExit()
        guard child.process.terminationStatus == 0 else {
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) exited \(child.process.terminationStatus): \(child.stderr)")
        }
        return child.stdout
    }
}

/// The agent's final JSON line.
struct AgentReport: Decodable {
    var samples_produced: Int
    var samples_acked: Int
    var tests: Int

    static func parse(_ stdout: String) throws -> AgentReport {
        guard let line = stdout.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw TestFailure("the agent printed no JSON line; stdout: \(stdout)")
        }
        return try JSONDecoder().decode(AgentReport.self, from: Data(line.utf8))
    }
}
