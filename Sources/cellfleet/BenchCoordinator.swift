import CellfleetCoordinator
import EmbeddedPostgres
import Foundation
import Logging
import PostgresNIO

/// The real coordinator path for the benchmarks that measure it (`bench ingest`, `bench alerts`):
/// an embedded PostgreSQL cluster of its own under `root`, a client and an in-process
/// `Coordinator` listening on a loopback port without CURVE.
struct BenchCoordinator {
    let postgres: EmbeddedPostgres
    let client: PostgresClient
    let coordinator: Coordinator
    let endpoint: String
    private let clientTask: Task<Void, Never>
    private let coordinatorTask: Task<Void, any Error>

    init(root: URL, stages: [any CommitStage], logger: Logger, configure: (inout CoordinatorConfiguration) -> Void = { _ in }) async throws {
        postgres = EmbeddedPostgres(rootDirectory: root.appendingPathComponent("pg"), logger: logger)
        try postgres.start()
        let location = try DatabaseLocation(url: postgres.url)
        let client = PostgresClient(configuration: location.clientConfiguration, backgroundLogger: logger)
        self.client = client
        endpoint = "tcp://127.0.0.1:\(20_000 + Int.random(in: 0..<20_000))"
        var configuration = CoordinatorConfiguration(listenEndpoint: endpoint, coordinatorID: "bench")
        configuration.insecure = true
        configure(&configuration)
        let coordinator = Coordinator(configuration: configuration, client: client, stages: stages, logger: logger)
        self.coordinator = coordinator
        clientTask = Task { await client.run() }
        coordinatorTask = Task { try await coordinator.run() }
        await coordinator.waitUntilReady()
    }

    /// Stops the coordinator and the client; the database keeps running (the caller may still
    /// read it) until `postgres.stop()`.
    func stopCoordinator() async {
        coordinatorTask.cancel()
        _ = try? await coordinatorTask.value
    }

    func stopClient() {
        clientTask.cancel()
    }
}
