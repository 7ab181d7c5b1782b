import Hummingbird

/// The API's routes and their methods, so a known path asked with another method is answered
/// 405 with `Allow` (Hummingbird's router says 404 for both), as HTTP and the spec's checkers
/// expect. Path segments starting with `:` stand for any one segment.
struct APIRouteTable: Sendable {
    let routes: [(segments: [Substring], methods: [HTTPRequest.Method])]

    init(_ routes: [(String, [HTTPRequest.Method])]) {
        self.routes = routes.map { path, methods in (path.split(separator: "/"), methods) }
    }

    /// The methods `path` takes, or nil if no route has that path.
    func methods(for path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/")
        let matched = routes.filter { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { pattern, segment in pattern.hasPrefix(":") || pattern == segment }
        }
        guard !matched.isEmpty else { return nil }
        return matched.flatMap(\.methods)
    }
}
