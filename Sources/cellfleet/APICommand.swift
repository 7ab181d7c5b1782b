import ArgumentParser
import CellfleetAPI
import CellfleetCoordinator
import CellfleetMetrics
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// `cellfleet api`: the HTTP API and dashboard over the coordinators' database, without a
/// coordinator. Stateless: run as many as the readers need, behind one proxy or several.
struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Serve the HTTP API (/api/v1, schemas/openapi.yaml), /metrics and the dashboard over the coordinators' database.")

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Option(help: "HOST:PORT to listen on (port 0: any free port, printed at start). Put TLS in front with a reverse proxy (deploy/README.md).")
    var listen = "127.0.0.1:8080"

    @Flag(name: .customLong("insecure-http"), help: "No tokens: anyone who reaches the port may read and change alerts. For a laptop demo only.")
    var insecureHTTP = false

    @Option(help: "Directory of the schema (schemas/ or schemas/migrations); found automatically when omitted.")
    var schemas: String?

    func validate() throws {
        do { _ = try APIServerSettings(listen: listen) } catch { throw ValidationError("--listen: \(error)") }
    }

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        FleetMetrics.bootstrap()
        let logger = Logger(label: "cellfleet.api")
        let settings = try APIServerSettings(listen: listen, insecure: insecureHTTP)
        let location: DatabaseLocation
        do { location = try DatabaseLocation(url: database) } catch { throw ValidationError("--database: \(error)") }
        let client = PostgresClient(configuration: location.clientConfiguration, backgroundLogger: logger)
        let migrations: SchemaMigrations
        do { migrations = try SchemaMigrations(directory: try SchemaMigrations.locateDirectory(explicit: schemas)) } catch {
            throw ValidationError("\(error)")
        }
        let ready = MigrationGate(migrations: migrations, client: client, database: location, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [
                .init(service: client),
                .init(service: APIService(client: client, settings: settings, logger: logger, ready: { await ready.wait() }) { port in
                    printNow("cellfleet api: listening on http://\(settings.host):\(port)/api/v1 (dashboard: http://\(settings.host):\(port)/)\n")
                }, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}

/// The schema migrated before the first request (the API may start before any coordinator),
/// waiting for a database that cannot be used yet and saying why (`applyWhenTheDatabaseAnswers`).
actor MigrationGate {
    let migrations: SchemaMigrations
    let client: PostgresClient
    let database: DatabaseLocation
    let logger: Logger

    init(migrations: SchemaMigrations, client: PostgresClient, database: DatabaseLocation, logger: Logger) {
        self.migrations = migrations
        self.client = client
        self.database = database
        self.logger = logger
    }

    /// Returns once migrated, or when cancelled (a shutdown).
    func wait() async {
        try? await migrations.applyWhenTheDatabaseAnswers(client: client, database: database, logger: logger)
    }
}
