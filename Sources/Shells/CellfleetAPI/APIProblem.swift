import CellModel
import Hummingbird
import NIOCore

/// An error as the API answers it: an RFC 9457 problem details document
/// (`application/problem+json`: type, title, status, detail). Every refusal of a request is
/// one of these, with a sentence saying what to change; a bad request is never a 5xx.
public struct APIProblem: Error, HTTPResponseError, Sendable, Equatable {
    public var status: HTTPResponse.Status
    /// A stable identifier of the kind of problem (`urn:cellfleet:problem:…`), for programs.
    public var type: String
    public var title: String
    /// For the person: what was wrong with this request.
    public var detail: String

    public init(status: HTTPResponse.Status, type: String, title: String, detail: String) {
        self.status = status
        self.type = "urn:cellfleet:problem:" + type
        self.title = title
        self.detail = detail
    }

    public static func badParameter(_ detail: String) -> APIProblem {
        APIProblem(status: .badRequest, type: "bad-parameter", title: "Bad parameter", detail: detail)
    }

    public static func badBody(_ detail: String) -> APIProblem {
        APIProblem(status: .badRequest, type: "bad-body", title: "Bad request body", detail: detail)
    }

    /// No token, or one that is unknown or revoked (the answer does not say which).
    public static func unauthorized(_ detail: String) -> APIProblem {
        APIProblem(status: .unauthorized, type: "unauthorized", title: "Unauthorized", detail: detail)
    }

    public static func forbidden(_ detail: String) -> APIProblem {
        APIProblem(status: .forbidden, type: "forbidden", title: "Forbidden", detail: detail)
    }

    public static func notFound(_ detail: String) -> APIProblem {
        APIProblem(status: .notFound, type: "not-found", title: "Not found", detail: detail)
    }

    /// A change the alert's state does not allow (acknowledging a resolved alert).
    public static func conflict(_ detail: String) -> APIProblem {
        APIProblem(status: .conflict, type: "conflict", title: "Conflict", detail: detail)
    }

    public static func internalError(_ detail: String) -> APIProblem {
        APIProblem(status: .internalServerError, type: "internal", title: "Internal server error", detail: detail)
    }

    public static func unavailable(_ detail: String) -> APIProblem {
        APIProblem(status: .serviceUnavailable, type: "unavailable", title: "Service unavailable", detail: detail)
    }

    /// Hummingbird's own errors (no route, a body too large, …) in the same shape.
    static func from(_ error: HTTPError) -> APIProblem {
        switch error.status {
        case .notFound: return .notFound("no such route; the API's routes are in schemas/openapi.yaml, under /api/v1")
        case .methodNotAllowed:
            return APIProblem(status: .methodNotAllowed, type: "method-not-allowed", title: "Method not allowed",
                              detail: error.body ?? "this route does not take that method")
        default:
            return APIProblem(status: error.status, type: "http-\(error.status.code)", title: error.status.reasonPhrase,
                              detail: error.body ?? error.status.reasonPhrase)
        }
    }

    public var json: JSONText {
        .object([("type", .string(type)), ("title", .string(title)), ("status", .integer(status.code)), ("detail", .string(detail))])
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if status == .unauthorized { headers[.wwwAuthenticate] = #"Bearer realm="cellfleet""# }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json.render(pretty: false) + "\n")))
    }
}

/// The outermost middleware: whatever a handler throws leaves as problem details, and an error
/// that is not a refusal (the database went away) is logged with the request it failed.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Tells a wrong method (405) from an unknown path (404).
    let routes: APIRouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as APIProblem {
            return try problem.response(from: request, context: context)
        } catch let error as HTTPError {
            if error.status == .notFound, let methods = routes.methods(for: request.uri.path), !methods.contains(request.method) {
                var response = try APIProblem(
                    status: .methodNotAllowed, type: "method-not-allowed", title: "Method not allowed",
                    detail: "\(request.uri.path) takes \(methods.map(\.rawValue).joined(separator: ", ")), not \(request.method.rawValue)"
                ).response(from: request, context: context)
                response.headers[.allow] = methods.map(\.rawValue).joined(separator: ", ")
                return response
            }
            return try APIProblem.from(error).response(from: request, context: context)
        } catch is CancellationError {
            // The client went away (or the server is stopping): nobody is left to answer, and
            // nothing failed that a person must look at.
            context.logger.debug("request cancelled", metadata: ["method": "\(request.method)", "path": "\(request.uri.path)"])
            throw CancellationError()
        } catch {
            context.logger.error("request failed", metadata: [
                "method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(String(reflecting: error))",
            ])
            return try APIProblem.internalError("the server could not answer this request (logged on the server)")
                .response(from: request, context: context)
        }
    }
}

/// A JSON document as the API's 200s carry it (one line, keys in the order written).
enum JSONResponse {
    static func ok(_ value: JSONText) -> Response {
        ok(rendered: value.renderBytes(pretty: false))
    }

    /// A document already rendered (compact JSON, e.g. by `JSONWriter`).
    static func ok(rendered bytes: [UInt8]) -> Response {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(bytes.count + 1)
        buffer.writeBytes(bytes)
        buffer.writeInteger(UInt8(0x0A))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }
}
