import CellfleetCoordinator
import CellModel
import Foundation
import Hummingbird
import NIOCore
import PostgresNIO
import Scheduling

/// The scheduler's state (`GET /studies`, `/studies/{name}`, `/queue`, `/channels`) and the
/// one change a person makes at the bench through the API: confirming that a requested cell is
/// on its channel (`POST /channels/{agent}/{channel}/load`, operator) — the same records and
/// checks as `cellfleet channels load`, audited in its transaction.
struct SchedulerRoutes {
    let client: PostgresClient

    func add(to api: RouterGroup<APIRequestContext>) {
        api.get("studies") { request, context -> Response in
            _ = try QueryParameters(request.uri.query, allowed: [])
            _ = try context.require(.viewer)
            let logger = context.logger
            return JSONResponse.ok(SchedulerDocuments.studyList(try await StudyStatusRecords.list(client: client, logger: logger)))
        }
        api.get("studies/:name") { request, context -> Response in
            _ = try QueryParameters(request.uri.query, allowed: [])
            _ = try context.require(.viewer)
            let name = context.parameters.get("name") ?? ""
            guard !name.unicodeScalars.contains("\u{0}") else { throw APIProblem.notFound("no study named \(name)") }
            let logger = context.logger
            guard try await StudyStatusRecords.list(client: client, logger: logger).contains(where: { $0.name == name }) else {
                throw APIProblem.notFound("no study named \(name) (GET /studies lists them)")
            }
            let study = try await StudyStatusRecords.status(name, client: client, logger: logger)
            let utilisation = try await client.withConnection { try await StudyUtilisation.measure(study: name, connection: $0, logger: logger) }
            return JSONResponse.ok(SchedulerDocuments.studyStatus(study, utilisation: utilisation))
        }
        api.get("queue") { request, context -> Response in
            let query = try QueryParameters(request.uri.query, allowed: ["study"])
            _ = try context.require(.viewer)
            let study = try query.text("study")
            if let study, study.unicodeScalars.contains("\u{0}") { return JSONResponse.ok(SchedulerDocuments.queue([])) }
            let logger = context.logger
            do {
                return JSONResponse.ok(SchedulerDocuments.queue(try await QueueRecords.list(study: study, client: client, logger: logger)))
            } catch {
                // The one refusal: a study that does not exist.
                guard let refusal = unwrappedTransactionError(error) as? SchedulerRecordError else { throw error }
                throw APIProblem.notFound(refusal.description)
            }
        }
        api.get("channels") { request, context -> Response in
            _ = try QueryParameters(request.uri.query, allowed: [])
            _ = try context.require(.viewer)
            let logger = context.logger
            return JSONResponse.ok(SchedulerDocuments.channels(try await ChannelScheduleRecords.list(client: client, logger: logger)))
        }
        api.post("channels/:agent/:channel/load") { request, context -> Response in
            _ = try QueryParameters(request.uri.query, allowed: [])
            let caller = try context.require(.operator)
            let address = ChannelAddress(agentID: context.parameters.get("agent") ?? "", channelID: context.parameters.get("channel") ?? "")
            let body = try await Self.loadBody(request)
            let logger = context.logger
            let outcome: ChannelScheduleRecords.Load
            do {
                outcome = try await ChannelScheduleRecords.load(address, cellID: body.cellID, by: caller.name, damaged: body.damaged,
                                                                note: body.note, client: client, logger: logger)
            } catch {
                guard let refusal = unwrappedTransactionError(error) as? SchedulerRecordError else { throw error }
                if refusal.description.hasPrefix("no channel") { throw APIProblem.notFound(refusal.description) }
                if refusal.description.contains("try again") { throw APIProblem.unavailable(refusal.description) }
                throw APIProblem.conflict(refusal.description)
            }
            let (state, requestID): (String, String)
            switch outcome {
            case .loaded(let id): (state, requestID) = ("loaded", id)
            case .damaged(let id): (state, requestID) = ("damaged", id)
            }
            return JSONResponse.ok(.object([
                ("channel", .string(address.description)), ("cell_id", .string(body.cellID)), ("request_id", .string(requestID)),
                ("outcome", .string(state)), ("by", .string(caller.name)),
            ]))
        }
    }

    struct LoadBody {
        var cellID: String
        var damaged = false
        var note: String?
    }

    /// `{"cell_id": "…", "damaged": false, "note": "…"}`: the cell the person put on the channel.
    static func loadBody(_ request: Request) async throws -> LoadBody {
        let object = try await RequestBody.object(request, keys: ["cell_id", "damaged", "note"])
        guard let cellID = object["cell_id"] as? String, !cellID.isEmpty, !cellID.unicodeScalars.contains("\u{0}") else {
            throw APIProblem.badBody("\"cell_id\" (the cell put on the channel) is needed, a non-empty string")
        }
        var body = LoadBody(cellID: cellID)
        switch object["damaged"] {
        case nil, is NSNull: break
        case let flag as Bool: body.damaged = flag
        default: throw APIProblem.badBody("\"damaged\" must be true or false")
        }
        body.note = try RequestBody.note(object["note"])
        return body
    }
}

/// The error inside postgres-nio's `PostgresTransactionError` (what a transaction's body threw).
func unwrappedTransactionError(_ error: any Error) -> any Error {
    if let transaction = error as? PostgresTransactionError, let inner = transaction.closureError {
        return unwrappedTransactionError(inner)
    }
    return error
}
