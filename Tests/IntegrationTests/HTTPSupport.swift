import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport

/// An HTTP exchange with a server under test (the API's, the dashboard's).
struct HTTPExchange: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(text.prefix(300))")
        }
        return object
    }
}

enum HTTPTest {
    static func request(_ method: HTTPMethod = .GET, _ url: String, token: String? = nil, headers: [(String, String)] = [],
                        body: String? = nil) async throws -> HTTPExchange {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 256 << 20)
        return HTTPExchange(status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView))
    }

    /// Waits until the server answers at all (any status).
    static func waitUntilListening(_ url: String, seconds: Double = 60) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? await request(.GET, url)) != nil { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestFailure("nothing answered at \(url) within \(seconds) s")
    }
}
