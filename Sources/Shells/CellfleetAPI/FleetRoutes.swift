import Hummingbird
import PostgresNIO

/// `GET /fleet`: every agent and channel with where it stands (FleetRecords).
struct FleetRoutes {
    let client: PostgresClient
    let shared: SharedReads

    func add(to api: RouterGroup<APIRequestContext>) {
        api.get("fleet") { request, context -> Response in
            _ = try QueryParameters(request.uri.query, allowed: [])
            _ = try context.require(.viewer)
            let logger = context.logger
            return JSONResponse.ok(rendered: try await shared.document("fleet") { [client] in
                try await client.withConnection { connection in
                    try await FleetRecords.fleet(connection: connection, logger: logger)
                }
            })
        }
    }
}
