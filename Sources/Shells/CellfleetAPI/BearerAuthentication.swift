import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// Checks `Authorization: Bearer cft_…` on every request, before routing, so that without a
/// valid token every route (and every unknown one) answers 401 alike. The token is looked up by
/// its SHA-256 on each request: the servers are stateless, and a revocation holds on the next
/// request to any of them. With `--insecure-http` every request is the anonymous admin.
struct BearerAuthentication: RouterMiddleware {
    typealias Context = APIRequestContext

    let client: PostgresClient
    /// nil: authenticate; otherwise the caller every request is (`--insecure-http`).
    let insecureCaller: APICaller?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        // The dashboard's files are public (the page asks for the token itself); the API and
        // the metrics are not.
        guard Self.needsToken(request.uri.path) else { return try await next(request, context) }
        if let insecureCaller {
            context.caller = insecureCaller
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization] else {
            throw APIProblem.unauthorized("no token: send Authorization: Bearer cft_… (`cellfleet token create` makes one)")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIProblem.unauthorized("the Authorization header must be 'Bearer cft_…'")
        }
        let presented = parts[1].trimmingCharacters(in: .whitespaces)
        // An ill-formed token is not looked up: it matches no row anyway.
        guard APIToken(presented) != nil else { throw APIProblem.unauthorized("the token is not valid (unknown, revoked or mistyped)") }
        let logger = context.logger
        let caller = try await client.withConnection { connection in
            try await TokenRecords.caller(presenting: presented, connection: connection, logger: logger)
        }
        guard let caller else { throw APIProblem.unauthorized("the token is not valid (unknown, revoked or mistyped)") }
        context.caller = caller
        return try await next(request, context)
    }

    static func needsToken(_ path: String) -> Bool {
        path == "/api" || path.hasPrefix("/api/") || path == "/metrics" || path.hasPrefix("/metrics/")
    }
}
