import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the PostgreSQL tools, as the `postgres` user when we are root (they refuse root).
///
/// It spawns and waits with posix_spawn/waitpid rather than Foundation's `Process`: the server
/// that `pg_ctl start` leaves running inherits descriptors, and `Process` then never notices
/// that pg_ctl itself has exited.
struct ProcessRunner {
    var asUser: String?

    static var isRoot: Bool { geteuid() == 0 }

    /// Runs to completion; throws with the tool's output if it fails. Returns its output.
    @discardableResult
    func run(_ executable: String, _ arguments: [String], asInvoker: Bool = false) throws -> String {
        let (status, output) = try execute(executable, arguments, asInvoker: asInvoker)
        guard status == 0 else {
            throw EmbeddedPostgresError("\(executable) \(arguments.joined(separator: " ")) exited with \(status): \(output)")
        }
        return output
    }

    func status(_ executable: String, _ arguments: [String]) throws -> Int32 {
        try execute(executable, arguments, asInvoker: false).status
    }

    private func execute(_ executable: String, _ arguments: [String], asInvoker: Bool) throws -> (status: Int32, output: String) {
        var argv: [String]
        if let asUser, !asInvoker {
            argv = ["/usr/sbin/runuser", "-u", asUser, "--", executable] + arguments
        } else {
            argv = [executable] + arguments
        }
        // The postgres user may not be able to read our working directory.
        argv = ["/bin/sh", "-c", "cd / && exec \"$@\"", "sh"] + argv
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("cellfleet-pgtool-\(UUID().uuidString).log").path
        defer { unlink(outputPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var cArguments = argv.map { strdup($0) }
        cArguments.append(nil)
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawnResult = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawnResult == 0 else {
            throw EmbeddedPostgresError("could not start \(executable): \(String(cString: strerror(spawnResult)))")
        }
        var waitStatus: Int32 = 0
        while waitpid(pid, &waitStatus, 0) < 0 {
            if errno != EINTR { throw EmbeddedPostgresError("waitpid for \(executable) failed: errno \(errno)") }
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED / WEXITSTATUS, which Swift does not import as macros.
        let exitStatus: Int32 = (waitStatus & 0x7f) == 0 ? (waitStatus >> 8) & 0xff : 128 + (waitStatus & 0x7f)
        return (exitStatus, output)
    }
}
