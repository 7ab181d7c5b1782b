import Foundation
import Logging
import PostgresNIO
import ShippedData

/// Applies the numbered SQL files of `schemas/migrations` (the only definition of the schema) at
/// start-up, each once, in order, each in its own transaction, under an advisory lock so that
/// coordinators starting together do not race.
public struct SchemaMigrations: Sendable {
    public struct Migration: Sendable, Equatable {
        public var version: Int
        public var name: String
        public var sql: String
    }

    public var migrations: [Migration]

    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads `NNNN_name.sql` files from a directory.
    public init(directory: URL) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
        migrations = try names.map { name in
            guard let version = Int(name.prefix { $0.isNumber }) else {
                throw Missing(description: "migration file \(name) does not start with its number")
            }
            return Migration(version: version, name: name, sql: try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8))
        }
        guard !migrations.isEmpty else { throw Missing(description: "no migrations in \(directory.path)") }
        guard Set(migrations.map(\.version)).count == migrations.count else {
            throw Missing(description: "two migrations in \(directory.path) share a number")
        }
    }

    /// Finds `schemas/migrations`: an explicit directory, `$CELLFLEET_SCHEMAS`, the installed
    /// `<prefix>/share/cellfleet/schemas` beside the executable, or the source tree the executable
    /// was built in (walking up from it), then from the working directory.
    public static func locateDirectory(explicit: String? = nil) throws -> URL {
        let candidates = ShippedData.schemas.directories(explicit: explicit)
        for candidate in candidates.map(URL.init(fileURLWithPath:)) {
            let migrations = candidate.lastPathComponent == "migrations" ? candidate : candidate.appendingPathComponent("migrations")
            if FileManager.default.fileExists(atPath: migrations.appendingPathComponent("0001_backbone.sql").path) {
                return migrations
            }
        }
        throw Missing(description: "cannot find schemas/migrations (looked in \(candidates.joined(separator: ", "))); pass --schemas DIR or set CELLFLEET_SCHEMAS")
    }

    /// Applies what is missing; returns the versions applied now.
    @discardableResult
    public func apply(client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.withConnection { connection in
            _ = try await connection.query("SELECT pg_advisory_lock(7341001)", logger: logger).collect()
            do {
                let applied = try await Self.appliedVersions(connection: connection, logger: logger)
                var appliedNow: [Int] = []
                for migration in migrations where !applied.contains(migration.version) {
                    logger.info("applying schema migration", metadata: ["migration": "\(migration.name)"])
                    try await connection.withTransaction(logger: logger) { connection in
                        for statement in SQLStatementSplitter.split(migration.sql) {
                            _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).collect()
                        }
                        _ = try await connection.query(
                            "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                            logger: logger).collect()
                    }
                    appliedNow.append(migration.version)
                }
                _ = try await connection.query("SELECT pg_advisory_unlock(7341001)", logger: logger).collect()
                return appliedNow
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(7341001)", logger: logger).collect()
                throw error
            }
        }
    }

    private static func appliedVersions(connection: PostgresConnection, logger: Logger) async throws -> Set<Int> {
        _ = try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger).collect()
        var versions: Set<Int> = []
        for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger).decode(Int.self) {
            versions.insert(version)
        }
        return versions
    }
}
