import CellfleetCoordinator
import CellfleetReports
import CellModel
import Foundation
import Hummingbird
import PostgresNIO

/// `GET /tests`, `GET /tests/{id}` and `GET /tests/{id}/cycles`.
struct TestRoutes {
    let client: PostgresClient

    func add(to api: RouterGroup<APIRequestContext>) {
        api.get("tests") { request, context -> Response in
            let query = try QueryParameters(request.uri.query, allowed: ["state", "agent", "channel", "cell", "limit", "cursor"],
                                            allowsAttributes: true)
            _ = try context.require(.viewer)
            var filter = TestRecords.Filter()
            filter.state = try query.choice("state", of: ["running", "ended"])
            filter.agentID = try query.text("agent")
            filter.channelID = try query.text("channel")
            filter.cellID = try query.text("cell")
            filter.attributes = query.attributes
            let limit = try query.limit()
            let cursor = try query["cursor"].map(PageCursor.testKey)
            let logger = context.logger
            let page = try await client.withConnection { connection in
                try await TestRecords.page(filter, after: cursor, limit: limit, connection: connection, logger: logger)
            }
            return JSONResponse.ok(.object([
                ("tests", .array(page.tests)), ("next_cursor", page.next.map { .string(PageCursor.encode($0)) } ?? .null),
            ]))
        }
        api.get("tests/:id") { request, context -> Response in
            _ = try QueryParameters(request.uri.query, allowed: [])
            _ = try context.require(.viewer)
            let id = try Self.testID(context)
            let logger = context.logger
            guard let test = try await client.withConnection({ connection in
                try await TestRecords.test(id, connection: connection, logger: logger)
            }) else { throw Self.unknownTest(id) }
            return JSONResponse.ok(test)
        }
        api.get("tests/:id/cycles") { request, context -> Response in
            _ = try QueryParameters(request.uri.query, allowed: [])
            _ = try context.require(.viewer)
            let id = try Self.testID(context)
            let logger = context.logger
            let exists = try await client.withConnection { connection in
                try await TestRecords.test(id, connection: connection, logger: logger) != nil
            }
            guard exists else { throw Self.unknownTest(id) }
            let table = try await CycleSummaryRecords.read(test: id, client: client, logger: logger)
            let columns = table.columns.map { CycleSummaryText.Column(name: $0.name, isNumeric: $0.isNumeric) }
            return JSONResponse.ok(.object([
                ("test_id", .string(id.uuidString.lowercased())),
                ("cycles", .array(CycleSummaryText.jsonObjects(columns: columns, rows: table.rows))),
            ]))
        }
    }

    /// The `{id}` of a test route, a UUID in any case.
    static func testID(_ context: APIRequestContext) throws -> UUID {
        let text = context.parameters.get("id") ?? ""
        guard let id = UUID(uuidString: text) else { throw APIProblem.badParameter("the test id must be a UUID, not '\(text)'") }
        return id
    }

    static func unknownTest(_ id: UUID) -> APIProblem {
        .notFound("no test \(id.uuidString.lowercased())")
    }
}
