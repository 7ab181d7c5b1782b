@testable import CellfleetAPI
import Foundation
import PropertyBased
import Testing

/// How the API reads what a client sends, without a server: query strings (strict), cursors
/// (total and round-tripping), the route table behind 405s, and `Accept`.
@Suite struct RequestReadingTests {
    @Test func queryParametersAreStrict() throws {
        let query = try QueryParameters("state=running&attr.coating=LiAlO2&attr.batch=2&agent=lab%20a&cell=a+b", allowed: ["state", "agent", "cell"],
                                        allowsAttributes: true)
        #expect(query["state"] == "running" && query["agent"] == "lab a" && query["cell"] == "a b")
        #expect(query.attributes.map(\.key) == ["coating", "batch"] && query.attributes.map(\.value) == ["LiAlO2", "2"])
        for (text, words) in [("colour=red", "unknown parameter 'colour'"), ("state=a&state=b", "given twice"),
                              ("attr.=x", "needs an attribute name"), ("state=%ZZ", "percent-encoded"), ("agent=a%00b", "NUL")] {
            #expect(throws: APIProblem.self) { try QueryParameters(text, allowed: ["state", "agent"], allowsAttributes: true) }
            do { _ = try QueryParameters(text, allowed: ["state", "agent"], allowsAttributes: true) } catch let problem as APIProblem {
                #expect(problem.detail.contains(words), "\(text): \(problem.detail)")
                #expect(problem.status.code == 400)
            }
        }
        #expect(throws: APIProblem.self) { try QueryParameters("attr.coating=x", allowed: []) }
        let limits = try QueryParameters("limit=1000", allowed: ["limit"])
        #expect(try limits.limit() == 1000)
        #expect(throws: APIProblem.self) { try QueryParameters("limit=1001", allowed: ["limit"]).limit() }
        #expect(throws: APIProblem.self) { try QueryParameters("limit=-1", allowed: ["limit"]).limit() }
    }

    @Test func testCursorsRoundTripAndEveryPatternMatchIsAKey() async throws {
        await propertyCheck(count: 500, input: Gen.int64(in: 0...4_102_444_800_000_000), Gen.uint64(in: 0 ... .max), Gen.uint64(in: 0 ... .max)) { micros, high, low in
            var bytes = withUnsafeBytes(of: high.bigEndian, Array.init) + withUnsafeBytes(of: low.bigEndian, Array.init)
            bytes[6] = (bytes[6] & 0x0F) | 0x40
            bytes[8] = (bytes[8] & 0x3F) | 0x80
            let id = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                                 bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
            let key = PageCursor.TestKey(startedAt: PageCursor.instant(microseconds: micros), testID: id)
            let cursor = PageCursor.encode(key)
            #expect(cursor.range(of: PageCursor.testPattern, options: .regularExpression) != nil, "\(cursor)")
            let decoded = try? PageCursor.testKey(cursor)
            #expect(decoded == key, "\(cursor)")
            #expect(PageCursor.microseconds(key.startedAt) == micros)
        }
        #expect(throws: APIProblem.self) { try PageCursor.testKey("0") }
        #expect(throws: APIProblem.self) { try PageCursor.testKey("12.ABCDEF") }
        #expect(try PageCursor.testKey("0." + String(repeating: "0", count: 32)).startedAt == "1970-01-01T00:00:00.000000Z")
        #expect(try PageCursor.alertID("42") == 42)
        #expect(throws: APIProblem.self) { try PageCursor.alertID("042") }
    }

    @Test func theRouteTableTellsAWrongMethodFromAnUnknownPath() {
        let routes = APIServer.routes
        #expect(routes.methods(for: "/api/v1/fleet") == [.get])
        #expect(routes.methods(for: "/api/v1/alerts/17/ack") == [.post])
        #expect(routes.methods(for: "/api/v1/tests/abc/samples.csv") == [.get])
        #expect(routes.methods(for: "/api/v1/nothing") == nil)
        #expect(routes.methods(for: "/api/v1/alerts/17/ack/more") == nil)
    }

    @Test func acceptPrefersCSVOnlyWhenAsked() {
        #expect(SampleRoutes.prefersCSV("text/csv"))
        #expect(SampleRoutes.prefersCSV("text/csv, application/json;q=0.5"))
        #expect(!SampleRoutes.prefersCSV("application/json, text/csv"))
        #expect(!SampleRoutes.prefersCSV("*/*"))
        #expect(!SampleRoutes.prefersCSV("application/json"))
    }

    @Test func listenAddresses() throws {
        let settings = try APIServerSettings(listen: "127.0.0.1:8080")
        #expect(settings.host == "127.0.0.1" && settings.port == 8080)
        #expect(try APIServerSettings(listen: "[::1]:0").host == "::1")
        for bad in ["8080", ":8080", "host:", "host:70000", "host:x"] {
            #expect(throws: APIServerSettingsError.self) { try APIServerSettings(listen: bad) }
        }
    }

    @Test func tokensAreWellFormedAndDistinct() {
        let tokens = (0..<200).map { _ in APIToken.generate() }
        #expect(Set(tokens.map(\.text)).count == 200)
        #expect(tokens.allSatisfy { APIToken($0.text) != nil && $0.text.hasPrefix("cft_") && $0.sha256.count == 32 })
        #expect(APIToken("cft_short") == nil && APIToken("xyz_" + String(repeating: "a", count: 43)) == nil)
    }
}
