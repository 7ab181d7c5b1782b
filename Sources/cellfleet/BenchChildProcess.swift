import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Another `cellfleet` started by a benchmark (`bench tail`'s import and agent), so that what
/// is measured is the real command as a lab runs it, in a process of its own whose memory and
/// CPU the kernel counts apart from the benchmark's. Its output goes to files, read afterwards.
final class BenchChildProcess {
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL

    /// The executable running now: a benchmark run from a release build measures release children.
    static var currentExecutable: String {
        if let path = Bundle.main.executablePath, FileManager.default.isExecutableFile(atPath: path) { return path }
        return CommandLine.arguments[0]
    }

    init(_ arguments: [String], logsIn directory: URL, named name: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        stdoutURL = directory.appendingPathComponent("\(name).out")
        stderrURL = directory.appendingPathComponent("\(name).err")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.currentExecutable)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderrTail: String { String(((try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "").suffix(3000)) }

    /// The last JSON object the child printed on stdout (its summary line).
    var lastJSONLine: Data? {
        stdout.split(separator: "\n").last(where: { $0.hasPrefix("{") }).map { Data($0.utf8) }
    }

    /// Waits for the exit (polling, so that the caller's tasks go on); nil after `timeoutSeconds`.
    func waitForExit(timeoutSeconds: Double) async -> Int32? {
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        while process.isRunning {
            if ContinuousClock.now > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    /// SIGTERM (a graceful shutdown: the agent prints its summary), then SIGKILL if it lingers.
    func stop(graceSeconds: Double = 20) async -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        Glibc.kill(pid, SIGTERM)
        if let status = await waitForExit(timeoutSeconds: graceSeconds) { return status }
        Glibc.kill(pid, SIGKILL)
        process.waitUntilExit()
        return nil
    }

    /// For a `defer` on a path that threw: no child outlives the benchmark.
    func forceStop() {
        guard process.isRunning else { return }
        Glibc.kill(pid, SIGKILL)
        process.waitUntilExit()
    }
}
