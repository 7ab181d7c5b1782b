import CellDetection
import CellfleetCoordinator
import CellfleetReports
import CellModel
import Foundation
import Hummingbird
import NIOCore
import PostgresNIO

/// `GET /alerts`, `GET /alerts/{id}`, and the people's changes `POST /alerts/{id}/ack` and
/// `/resolve`: the same records and decisions as `cellfleet alerts ack|resolve`, with the
/// token's name as who did it, written to the audit log in the change's transaction.
struct AlertRoutes {
    let client: PostgresClient

    func add(to api: RouterGroup<APIRequestContext>) {
        api.get("alerts") { request, context -> Response in
            let query = try QueryParameters(request.uri.query, allowed: ["state", "severity", "rule", "test", "agent", "source", "limit", "cursor"])
            _ = try context.require(.viewer)
            var filter = AlertFilter()
            filter.state = try query.choice("state", of: AlertState.allCases.map(\.rawValue)).flatMap(AlertState.init(rawValue:))
            filter.severity = try query.choice("severity", of: ["info", "warn", "fail"])
            filter.rule = try query.text("rule")
            filter.testID = try query.uuid("test")
            filter.agentID = try query.text("agent")
            filter.source = try query.choice("source", of: ["detector", "coordinator", "scheduler"])
            let limit = try query.limit()
            let before = try query["cursor"].map(PageCursor.alertID)
            let logger = context.logger
            // One past the page says whether there is another.
            let alerts = try await client.withConnection { connection in
                try await AlertRecords.page(filter, beforeID: before, limit: limit + 1, connection: connection, logger: logger)
            }
            let page = alerts.prefix(limit)
            let next: JSONText = alerts.count > limit ? .string(PageCursor.encode(alertID: page.last!.alertID)) : .null
            return JSONResponse.ok(.object([("alerts", .array(page.map(StoredAlertText.json))), ("next_cursor", next)]))
        }
        api.get("alerts/:id") { request, context -> Response in
            _ = try QueryParameters(request.uri.query, allowed: [])
            _ = try context.require(.viewer)
            return JSONResponse.ok(StoredAlertText.json(try await alert(try Self.alertID(context), logger: context.logger)))
        }
        api.post("alerts/:id/ack") { request, context -> Response in
            try await change(request, context: context) { by, note in .acknowledge(by: by, note: note) }
        }
        api.post("alerts/:id/resolve") { request, context -> Response in
            try await change(request, context: context) { by, note in .resolve(by: by, note: note) }
        }
    }

    private func alert(_ id: Int64, logger: Logger) async throws -> StoredAlert {
        guard let alert = try await client.withConnection({ connection in
            try await AlertRecords.alert(id, connection: connection, logger: logger)
        }) else { throw APIProblem.notFound("no alert \(id)") }
        return alert
    }

    private func change(_ request: Request, context: APIRequestContext,
                        _ makeRequest: (String, String?) -> AlertStateRequest) async throws -> Response {
        _ = try QueryParameters(request.uri.query, allowed: [])
        let caller = try context.require(.operator)
        let id = try Self.alertID(context)
        let note = try await Self.note(request)
        do {
            _ = try await AlertRecords.apply(makeRequest(caller.name, note), toAlert: id, via: "api", client: client, logger: context.logger)
        } catch {
            switch AlertRecordError.unwrapped(error) {
            case .unknownAlert?: throw APIProblem.notFound("no alert \(id)")
            case .refused(let reason)?: throw APIProblem.conflict(reason)
            default: throw error
            }
        }
        return JSONResponse.ok(StoredAlertText.json(try await alert(id, logger: context.logger)))
    }

    static func alertID(_ context: APIRequestContext) throws -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else { throw APIProblem.badParameter("the alert id must be a positive whole number, not '\(text)'") }
        return id
    }

    /// The optional body `{"note": "…"}`.
    static func note(_ request: Request) async throws -> String? {
        try RequestBody.note(try await RequestBody.object(request, keys: ["note"])["note"])
    }
}
