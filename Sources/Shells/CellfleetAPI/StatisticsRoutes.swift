import CellModel
import Hummingbird
import PostgresNIO

/// `GET /stats?group_by=ATTR`: cycle-life statistics of the fleet's own tests (FleetStatistics,
/// the report `cellfleet stats --input --json` prints), running tests censored.
struct StatisticsRoutes {
    let client: PostgresClient
    let shared: SharedReads

    func add(to api: RouterGroup<APIRequestContext>) {
        api.get("stats") { request, context -> Response in
            let query = try QueryParameters(request.uri.query, allowed: ["group_by", "event", "unit"], allowsAttributes: true)
            _ = try context.require(.viewer)
            guard let groupBy = try query.text("group_by") else {
                throw APIProblem.badParameter("'group_by' is needed: the test attribute whose values are the groups, e.g. group_by=coating")
            }
            let event = try query.choice("event", of: FleetStatistics.Event.allCases.map(\.rawValue)).flatMap(FleetStatistics.Event.init) ?? .fail
            let unit = try query.choice("unit", of: FleetStatistics.Unit.allCases.map(\.rawValue)).flatMap(FleetStatistics.Unit.init) ?? .cycles
            let statisticsQuery = FleetStatistics.Query(groupBy: groupBy, event: event, unit: unit, attributes: query.attributes)
            // A NUL can be in no attribute: nothing matches.
            let impossible = ([groupBy] + query.attributes.flatMap { [$0.key, $0.value] }).contains { $0.unicodeScalars.contains("\u{0}") }
            let logger = context.logger
            do {
                if impossible { throw FleetStatisticsError.noLives(groupBy: groupBy, excluded: 0) }
                // The same query is the same report: the key spells every part of it unambiguously.
                let key = JSONText.array(([groupBy, event.rawValue, unit.rawValue] + query.attributes.flatMap { [$0.key, $0.value] }).map(JSONText.string))
                return JSONResponse.ok(rendered: try await shared.document("stats " + key.render(pretty: false)) { [client] in
                    try await client.withConnection { connection in
                        try await FleetStatistics.report(statisticsQuery, connection: connection, logger: logger).renderBytes(pretty: false)
                    }
                })
            } catch let error as FleetStatisticsError {
                if case .noLives(_, let excluded) = error {
                    // No test has a life to count yet: an empty report, not an error.
                    return JSONResponse.ok(.object([
                        ("group_by", .string(groupBy)), ("event", .string(event.rawValue)), ("unit", .string(unit.rawValue)),
                        ("groups", .object([])), ("excluded_tests", .integer(excluded)), ("note", .string(error.description)),
                    ]))
                }
                throw APIProblem.badParameter(error.description)
            }
        }
    }
}
