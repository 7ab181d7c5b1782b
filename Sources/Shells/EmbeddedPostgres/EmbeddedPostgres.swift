import Foundation
import Logging

/// A private PostgreSQL cluster for the demo and the tests, so that neither needs a database
/// server installed as a service: Debian's server binaries, a data directory of our own, and a
/// Unix socket in a directory of our own (no TCP port to collide with anything).
///
/// `initdb` and `postgres` refuse to run as root, and our machines and CI run as root: then the
/// cluster runs as the `postgres` system user, which owns the cluster's directories.
public final class EmbeddedPostgres: Sendable {
    public let rootDirectory: URL
    public let port: Int
    public let databaseName: String
    private let logger: Logger

    public var clusterDirectory: URL { rootDirectory.appendingPathComponent("cluster") }
    public var socketDirectory: URL { rootDirectory.appendingPathComponent("socket") }
    public var logFile: URL { rootDirectory.appendingPathComponent("postgres.log") }
    public let user = "postgres"

    /// A `postgres://` URL for this cluster's socket, in the form `--database` takes.
    public var url: String {
        "postgres://\(user)@localhost:\(port)/\(databaseName)?host=\(socketDirectory.path)"
    }

    public init(rootDirectory: URL, port: Int = 5432, databaseName: String = "cellfleet", logger: Logger = Logger(label: "cellfleet.embedded-postgres")) {
        self.rootDirectory = rootDirectory
        self.port = port
        self.databaseName = databaseName
        self.logger = logger
    }

    /// Initialises the cluster on first use, starts it unless it already runs (a coordinator
    /// killed with -9 leaves it running), and creates the database. Returns true if this call
    /// started the server.
    @discardableResult
    public func start() throws -> Bool {
        let binaries = try PostgresBinaries.locate()
        let runner = ProcessRunner(asUser: ProcessRunner.isRoot ? user : nil)
        try FileManager.default.createDirectory(at: rootDirectory, withIntermediateDirectories: true)
        if ProcessRunner.isRoot {
            // The cluster runs as the postgres user, who must be able to reach it.
            try ensureTraversable(rootDirectory)
        }
        try FileManager.default.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        if ProcessRunner.isRoot {
            try runner.run("/bin/chown", ["-R", "\(user):\(user)", rootDirectory.path], asInvoker: true)
        }
        // The cluster trusts whoever reaches its socket, so only its own user may (issue 17 §6):
        // the socket's directory and the socket are the owner's alone (root, as ever, passes).
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: socketDirectory.path)
        let versionFile = clusterDirectory.appendingPathComponent("PG_VERSION")
        if !FileManager.default.fileExists(atPath: versionFile.path) {
            logger.info("initialising an embedded PostgreSQL cluster", metadata: ["directory": "\(clusterDirectory.path)"])
            try runner.run(binaries.initdb, [
                "-D", clusterDirectory.path, "-U", user, "--auth=trust", "-E", "UTF8", "--no-instructions",
            ])
            let settings = """

                # cellfleet embedded cluster: Unix socket only, durable commits (acks follow COMMIT).
                listen_addresses = ''
                unix_socket_permissions = 0700
                unix_socket_directories = '\(socketDirectory.path)'
                port = \(port)
                synchronous_commit = on
                fsync = on
                shared_buffers = 256MB
                max_wal_size = 4GB
                checkpoint_timeout = 15min
                """
            let conf = clusterDirectory.appendingPathComponent("postgresql.conf")
            let handle = try FileHandle(forWritingTo: conf)
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(settings.utf8))
            try handle.close()
        }
        var startedHere = false
        if try !isRunning(binaries: binaries, runner: runner) {
            logger.info("starting embedded PostgreSQL", metadata: ["socket": "\(socketDirectory.path)"])
            // Also for clusters made before the setting was written into their configuration.
            try runner.run(binaries.pgCtl, [
                "-D", clusterDirectory.path, "-l", logFile.path, "-w", "-t", "120", "-o", "-c unix_socket_permissions=0700", "start",
            ])
            startedHere = true
        }
        let exists = try psql("SELECT 1 FROM pg_database WHERE datname = '\(databaseName)'", database: "postgres")
        if exists.trimmingCharacters(in: .whitespacesAndNewlines) != "1" {
            try runner.run(binaries.createdb, ["-h", socketDirectory.path, "-p", "\(port)", "-U", user, databaseName])
        }
        return startedHere
    }

    /// Runs SQL, or a psql meta-command such as `\copy`, against this cluster through `psql` (as
    /// the cluster's user when we are root) and returns its unaligned, tuples-only output; throws
    /// with psql's message when the command fails. For set-up, tests and benchmarks: the
    /// services talk to the server through postgres-nio.
    @discardableResult
    public func psql(_ command: String, database: String? = nil) throws -> String {
        try ProcessRunner(asUser: ProcessRunner.isRoot ? user : nil).run(PostgresBinaries.locate().psql, [
            "-h", socketDirectory.path, "-p", "\(port)", "-U", user, "-d", database ?? databaseName,
            "-v", "ON_ERROR_STOP=1", "-qtAc", command,
        ])
    }

    /// Stops the server (fast shutdown: open transactions roll back, committed data stays).
    public func stop() throws {
        let binaries = try PostgresBinaries.locate()
        let runner = ProcessRunner(asUser: ProcessRunner.isRoot ? user : nil)
        guard try isRunning(binaries: binaries, runner: runner) else { return }
        logger.info("stopping embedded PostgreSQL")
        try runner.run(binaries.pgCtl, ["-D", clusterDirectory.path, "-m", "fast", "-w", "-t", "120", "stop"])
    }

    public func isRunning() throws -> Bool {
        try isRunning(binaries: PostgresBinaries.locate(), runner: ProcessRunner(asUser: ProcessRunner.isRoot ? user : nil))
    }

    private func isRunning(binaries: PostgresBinaries, runner: ProcessRunner) throws -> Bool {
        guard FileManager.default.fileExists(atPath: clusterDirectory.appendingPathComponent("PG_VERSION").path) else {
            return false
        }
        // pg_ctl status: 0 running, 3 not running, 4 no accessible data directory.
        return try runner.status(binaries.pgCtl, ["-D", clusterDirectory.path, "status"]) == 0
    }

    /// Makes sure the postgres user can reach its cluster without widening anyone else's
    /// directories (issue 17 §6): the cluster's own directory and the data directory holding it
    /// are cellfleet's and get the search (x) bit for others — traversal only, never listing;
    /// any directory above them that others cannot search is reported, not changed.
    private func ensureTraversable(_ directory: URL) throws {
        let cluster = directory.standardizedFileURL
        let dataDirectory = cluster.deletingLastPathComponent()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: cluster.path)
        let dataMode = (try FileManager.default.attributesOfItem(atPath: dataDirectory.path)[.posixPermissions] as? Int) ?? 0
        if dataMode & 0o001 == 0 {
            try FileManager.default.setAttributes([.posixPermissions: dataMode | 0o001], ofItemAtPath: dataDirectory.path)
        }
        var current = dataDirectory
        while current.path != "/" {
            current = current.deletingLastPathComponent()
            let attributes = try FileManager.default.attributesOfItem(atPath: current.path)
            let mode = (attributes[.posixPermissions] as? Int) ?? 0
            if mode & 0o001 == 0 {
                throw EmbeddedPostgresError("""
                    the embedded PostgreSQL runs as user \(user), which cannot enter \(current.path) (mode \(String(mode, radix: 8))) \
                    on the way to \(dataDirectory.path): choose a data directory it can reach (--data-dir under /var/lib or /var/tmp, say), \
                    or let it pass yourself (setfacl -m u:\(user):x \(current.path)); cellfleet does not change directories it does not own
                    """)
            }
        }
    }
}

public struct EmbeddedPostgresError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Debian installs each major version under /usr/lib/postgresql/<major>/bin; the newest wins
/// unless CELLFLEET_PG_BIN names a directory.
struct PostgresBinaries {
    var initdb: String
    var pgCtl: String
    var psql: String
    var createdb: String

    static func locate() throws -> PostgresBinaries {
        var directory = ProcessInfo.processInfo.environment["CELLFLEET_PG_BIN"]
        if directory == nil {
            let base = "/usr/lib/postgresql"
            let versions = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
            directory = versions.compactMap { Int($0) }.sorted().last.map { "\(base)/\($0)/bin" }
        }
        guard let directory, FileManager.default.isExecutableFile(atPath: "\(directory)/initdb") else {
            throw EmbeddedPostgresError(
                "no PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin); install them with " +
                "`apt-get install postgresql` or pass --database")
        }
        let psql = FileManager.default.isExecutableFile(atPath: "\(directory)/psql") ? "\(directory)/psql" : "/usr/bin/psql"
        return PostgresBinaries(
            initdb: "\(directory)/initdb", pgCtl: "\(directory)/pg_ctl", psql: psql, createdb: "\(directory)/createdb")
    }
}
