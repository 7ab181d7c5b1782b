import CellfleetMetrics
import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle

/// How an API server listens and whom it lets in.
public struct APIServerSettings: Sendable {
    public var host: String
    public var port: Int
    /// `--insecure-http`: no tokens; every request is the anonymous admin (a laptop demo).
    public var insecure: Bool

    public init(host: String, port: Int, insecure: Bool = false) {
        self.host = host
        self.port = port
        self.insecure = insecure
    }

    /// `HOST:PORT` as `--listen` and `--http` take it (port 0: any free port, said at start).
    public init(listen: String, insecure: Bool = false) throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65535).contains(port), colon != listen.startIndex
        else { throw APIServerSettingsError("'\(listen)' is not HOST:PORT, e.g. 127.0.0.1:8080") }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.init(host: host, port: port, insecure: insecure)
    }
}

public struct APIServerSettingsError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The HTTP server of `cellfleet api` and of the coordinator's `--http`: the API under
/// `/api/v1` (schemas/openapi.yaml), `/metrics`, and the dashboard's files. Stateless: every
/// answer is read from the database, so any number of them serve one fleet.
public enum APIServer {
    /// The anonymous caller of `--insecure-http`.
    static let insecureCaller = APICaller(name: "anonymous", role: .admin)

    /// Every route and its methods (what 405 answers are made from); the routes below add them.
    static let routes = APIRouteTable([
        ("/metrics", [.get]),
        ("/api/v1/session", [.get]), ("/api/v1/fleet", [.get]),
        ("/api/v1/tests", [.get]), ("/api/v1/tests/:id", [.get]), ("/api/v1/tests/:id/cycles", [.get]),
        ("/api/v1/tests/:id/samples", [.get]), ("/api/v1/tests/:id/samples.csv", [.get]),
        ("/api/v1/alerts", [.get]), ("/api/v1/alerts/:id", [.get]),
        ("/api/v1/alerts/:id/ack", [.post]), ("/api/v1/alerts/:id/resolve", [.post]),
        ("/api/v1/studies", [.get]), ("/api/v1/studies/:name", [.get]), ("/api/v1/queue", [.get]), ("/api/v1/channels", [.get]),
        ("/api/v1/channels/:agent/:channel/load", [.post]), ("/api/v1/stats", [.get]),
    ])

    public static func router(client: PostgresClient, settings: APIServerSettings) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        // Middleware first: a route takes the middleware added before it.
        router.add(middleware: ProblemMiddleware(routes: routes))
        router.add(middleware: BearerAuthentication(client: client, insecureCaller: settings.insecure ? insecureCaller : nil))
        router.get("/metrics") { _, context -> Response in
            _ = try context.require(.viewer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: FleetMetrics.exposition())))
        }
        let api = router.group("api/v1")
        let shared = SharedReads()
        SessionRoutes(insecure: settings.insecure).add(to: api)
        FleetRoutes(client: client, shared: shared).add(to: api)
        TestRoutes(client: client).add(to: api)
        SampleRoutes(client: client).add(to: api)
        AlertRoutes(client: client).add(to: api)
        SchedulerRoutes(client: client).add(to: api)
        StatisticsRoutes(client: client, shared: shared).add(to: api)
        DashboardFiles.addRoutes(to: router)
        return router
    }

    /// The server as a `Service` for a `ServiceGroup`; `onListening` is told the bound port.
    public static func application(client: PostgresClient, settings: APIServerSettings, logger: Logger,
                                   onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some Service {
        if settings.insecure {
            logger.warning("""
                the HTTP API runs WITHOUT AUTHENTICATION (--insecure-http): anyone who reaches \(settings.host):\(settings.port) \
                may read the fleet and acknowledge or resolve its alerts. For a laptop demo only.
                """)
        }
        return Application(
            router: router(client: client, settings: settings),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "cellfleet"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.port
                logger.info("HTTP API listening", metadata: ["url": "http://\(settings.host):\(port)/api/v1"])
                await onListening(port)
            },
            logger: logger)
    }
}

/// The HTTP server once the database is ready: inside the coordinator, its first requests
/// would otherwise meet a schema still being migrated.
public struct APIService: Service {
    let ready: @Sendable () async -> Void
    let client: PostgresClient
    let settings: APIServerSettings
    let logger: Logger
    let onListening: @Sendable (Int) async -> Void

    public init(client: PostgresClient, settings: APIServerSettings, logger: Logger,
                ready: @escaping @Sendable () async -> Void = {}, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.client = client
        self.settings = settings
        self.logger = logger
        self.ready = ready
        self.onListening = onListening
    }

    public func run() async throws {
        // A shutdown while the database is not there yet ends the wait (and this service).
        await cancelWhenGracefulShutdown { await ready() }
        guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
        FleetMetrics.bootstrap()
        try await APIServer.application(client: client, settings: settings, logger: logger, onListening: onListening).run()
    }
}
