import Foundation
import Hummingbird
import NIOCore
import ShippedData
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The web dashboard's static files at `/` and `/dashboard/…`, and Debian's chart libraries
/// (libjs-dygraphs, libjs-chart.js) at `/javascript/…`, so the dashboard needs nothing from
/// the internet. They are public (BearerAuthentication asks tokens only under `/api` and
/// `/metrics`): the page asks for a token itself.
///
/// Only regular files inside a root are served: no directory listing, no `..` or hidden
/// segments, and a symlink that leads out of its root (or anything else missing) is a 404
/// problem document like every other unknown path.
public struct DashboardFiles: Sendable {
    /// The dashboard's directory (real path), nil when none was found: `/` then says how to
    /// point at one instead of serving nothing silently.
    public let dashboardRoot: String?
    /// `/usr/share/javascript` or `$CELLFLEET_JAVASCRIPT` (real path), nil when missing.
    public let javascriptRoot: String?

    public init(dashboardRoot: String?, javascriptRoot: String?) {
        self.dashboardRoot = dashboardRoot.flatMap(Self.realPath)
        self.javascriptRoot = javascriptRoot.flatMap(Self.realPath)
    }

    /// The shipped dashboard (ShippedData `dashboard`: the first candidate holding an
    /// index.html) and the Debian JavaScript directory.
    public static func located(environment: [String: String] = ProcessInfo.processInfo.environment) -> DashboardFiles {
        let dashboard = ShippedData.dashboard.directories(environment: environment)
            .first { FileManager.default.fileExists(atPath: $0 + "/index.html") }
        let javascript = environment["CELLFLEET_JAVASCRIPT"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/share/javascript"
        return DashboardFiles(dashboardRoot: dashboard, javascriptRoot: javascript)
    }

    /// Adds `GET /`, `/index.html`, `/dashboard/**` and `/javascript/**` to the server's router.
    public static func addRoutes(to router: Router<APIRequestContext>, files: DashboardFiles = .located()) {
        router.get("/") { _, _ in try files.dashboardFile(["index.html"]) }
        router.get("/index.html") { _, _ in try files.dashboardFile(["index.html"]) }
        router.get("/dashboard/**") { _, context in try files.dashboardFile(context.parameters.getCatchAll()) }
        router.get("/javascript/**") { _, context in
            guard let root = files.javascriptRoot else {
                throw APIProblem.notFound("no JavaScript libraries here: install libjs-dygraphs and libjs-chart.js, or set CELLFLEET_JAVASCRIPT")
            }
            return try files.file(context.parameters.getCatchAll(), in: root, cache: "public, max-age=86400")
        }
    }

    func dashboardFile(_ segments: [Substring]) throws -> Response {
        guard let root = dashboardRoot else {
            throw APIProblem.notFound("this server has no dashboard files: set CELLFLEET_DASHBOARD to a copy of Sources/Dashboard")
        }
        // The dashboard changes with the server: the browser asks again rather than run stale modules.
        return try file(segments, in: root, cache: "no-cache")
    }

    /// The file at `segments` under `root`, or a 404 problem.
    func file(_ segments: [Substring], in root: String, cache: String) throws -> Response {
        guard let path = Self.resolve(segments, in: root) else {
            throw APIProblem.notFound("no such file: /\(segments.joined(separator: "/"))")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw APIProblem.notFound("no such file: /\(segments.joined(separator: "/"))")
        }
        return Response(status: .ok,
                        headers: [.contentType: Self.contentType(of: path), .cacheControl: cache],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The real path of a regular file under `root`, or nil: empty, `.`/`..` and hidden
    /// segments are refused before the file system is asked, and the real path (symlinks
    /// followed) must still lie inside the root.
    static func resolve(_ segments: [Substring], in root: String) -> String? {
        guard !segments.isEmpty else { return nil }
        for segment in segments {
            guard !segment.isEmpty, !segment.hasPrefix("."), !segment.contains("\0"), !segment.contains("\\") else { return nil }
        }
        guard let real = realPath(root + "/" + segments.joined(separator: "/")), real.hasPrefix(root + "/") else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: real, isDirectory: &isDirectory), !isDirectory.boolValue else { return nil }
        return real
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func contentType(of path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "json", "map": "application/json"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "txt": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}
