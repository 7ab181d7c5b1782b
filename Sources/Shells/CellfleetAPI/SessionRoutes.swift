import CellModel
import Hummingbird

/// `GET /session`: who the presented token speaks for, and whether the server asks for tokens
/// at all. The dashboard asks it first: a 401 means "ask the person for a token".
struct SessionRoutes {
    let insecure: Bool

    func add(to api: RouterGroup<APIRequestContext>) {
        api.get("session") { request, context -> Response in
            _ = try QueryParameters(request.uri.query, allowed: [])
            let caller = try context.require(.viewer)
            return JSONResponse.ok(.object([
                ("authentication", .string(insecure ? "none" : "bearer")),
                ("name", .string(caller.name)), ("role", .string(caller.role.rawValue)),
            ]))
        }
    }
}
