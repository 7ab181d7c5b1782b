import Foundation
import TestSupport
import Testing

/// The embedded cluster trusts whoever reaches its socket, so no other local user may (issue 17
/// §6): `su nobody -c "psql -h <socket dir> -U postgres"` used to get a superuser.
@Suite struct EmbeddedClusterPrivacyTests {
    @Test(.enabled(if: getuid() == 0, "needs root to try the cluster as another local user (su nobody)"))
    func anotherLocalUserCannotConnect() throws {
        let database = try TestDatabase()
        defer { database.stop() }
        let socketDirectory = database.postgres.socketDirectory.path
        let directoryMode = try #require(try FileManager.default.attributesOfItem(atPath: socketDirectory)[.posixPermissions] as? Int)
        #expect(directoryMode & 0o077 == 0, "socket directory mode \(String(directoryMode, radix: 8))")
        let socket = "\(socketDirectory)/.s.PGSQL.\(database.postgres.port)"
        let socketMode = try #require(try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int)
        #expect(socketMode & 0o077 == 0, "socket mode \(String(socketMode, radix: 8))")

        let psql = try #require(["/usr/bin/psql"].first { FileManager.default.isExecutableFile(atPath: $0) })
        let attempt = try TestProcess("/bin/su", [
            "nobody", "-s", "/bin/sh", "-c", "\(psql) -h \(socketDirectory) -p \(database.postgres.port) -U postgres -d cellfleet -tAc 'SELECT 1'",
        ])
        attempt.process.waitUntilExit()
        #expect(attempt.process.terminationStatus != 0, "nobody connected: \(attempt.stdout)")
        #expect(attempt.stderr.contains("Permission denied"), "\(attempt.stderr)")
        // Its own user (and the coordinator, as root) still can.
        #expect(try database.query("SELECT 1") == ["1"])
    }

    /// A data directory below a directory others cannot enter: the coordinator says which and
    /// what to do, and changes no directory outside its data directory (it used to add o+x to
    /// each, silently opening a private home directory).
    @Test(.enabled(if: getuid() == 0, "needs root: the embedded cluster then runs as the postgres user"))
    func noDirectoryOutsideTheDataDirectoryIsWidened() throws {
        let base = TestPaths.temporaryDirectory("private-parent")
        defer { try? FileManager.default.removeItem(at: base) }
        let privateParent = base.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: privateParent, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: privateParent.path)
        let dataDirectory = privateParent.appendingPathComponent("cellfleet-data")
        let coordinator = try TestProcess(TestPaths.cellfleet, [
            "coordinator", "--data-dir", dataDirectory.path, "--listen", "tcp://127.0.0.1:\(TestPaths.freePort())", "--insecure",
        ])
        let status = coordinator.process.isRunning ? { coordinator.process.waitUntilExit(); return coordinator.process.terminationStatus }() : coordinator.process.terminationStatus
        #expect(status != 0)
        #expect(coordinator.stderr.contains("cannot enter \(privateParent.path)"), "\(coordinator.stderr.suffix(2000))")
        #expect(coordinator.stderr.contains("setfacl"))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: privateParent.path)[.posixPermissions] as? Int)
        #expect(mode == 0o700, "the private parent is now \(String(mode, radix: 8))")
    }
}
