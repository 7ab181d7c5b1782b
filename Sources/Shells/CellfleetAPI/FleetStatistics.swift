import CellModel
import CellStatistics
import CellfleetReports
import Foundation
import Logging
import PostgresNIO

/// Cycle-life statistics straight from the fleet's own tests (`GET /stats`, `cellfleet stats
/// --database`): one life per test, right-censored while the event has not happened, handed to
/// the same `SurvivalReport` as `stats --input` so both say the same (docs/statistics.md §7).
public enum FleetStatistics {
    public enum Event: String, Sendable, CaseIterable {
        /// The test's first detector alert of severity `fail`.
        case fail
        /// The first cycle whose state of health is below `endOfLifeStateOfHealth`.
        case soh80
    }

    public enum Unit: String, Sendable, CaseIterable {
        case cycles
        case hours
    }

    public struct Query: Sendable {
        /// The test attribute whose value names a test's group (e.g. `scenario`, `coating`).
        public var groupBy: String
        public var event: Event
        public var unit: Unit
        /// `attr.KEY=VALUE` / `--where KEY=VALUE`: only tests whose attribute, as text, is the value.
        public var attributes: [(key: String, value: String)]

        public init(groupBy: String, event: Event = .fail, unit: Unit = .cycles, attributes: [(key: String, value: String)] = []) {
            self.groupBy = groupBy
            self.event = event
            self.unit = unit
            self.attributes = attributes
        }
    }

    /// The end of life of `soh80`: the usual 80 % of the reference capacity.
    public static let endOfLifeStateOfHealth = 0.8

    /// The lives of a query and the tests it matched but could not count, which the report names
    /// so a reader knows what n leaves out.
    public struct Lives: Sendable {
        /// One per counted test, ordered by group, cell and test.
        public var cells: [CellLife]
        /// Tests without the group attribute (or with an empty value).
        public var withoutGroup = 0
        /// Tests censored at 0: no completed cycle (`cycles`) or no committed test time (`hours`)
        /// yet. They add nothing to any estimate and would stop the Weibull fit (a life ≤ 0).
        public var notYetAtRisk = 0
        /// Tests whose event has no test time (neither on the alert nor on its sample).
        public var eventTimeUnknown = 0

        public var excluded: Int { withoutGroup + notYetAtRisk + eventTimeUnknown }
    }

    /// One test as the query reads it, before it becomes a life in the chosen unit.
    struct TestLife {
        var cellID: String
        var agentID: String
        var channelID: String
        var group: String?
        var completedCycles: Int
        var lastTestTimeSeconds: Double?
        var eventRule: String?
        var eventTestTimeSeconds: Double?
        var eventCycle: Int?
        var hasEvent: Bool
    }

    public static func lives(_ query: Query, connection: PostgresConnection, logger: Logger) async throws -> Lives {
        try validate(query)
        let keys = query.attributes.map(\.key)
        let values = query.attributes.map(\.value)
        let event = eventSQL(query.event)
        // Whole-fleet joins (hash joins over tests, marks, counts and each test's first event),
        // not a lookup per test: 10 000 tests read in tens of milliseconds. The filter is only
        // written when there is one: its selectivity is unknown to the planner, which then
        // guessed 50 rows and looked every test up one by one.
        let filter = query.attributes.isEmpty ? "" : """
            WHERE NOT EXISTS (SELECT 1 FROM unnest($2::text[], $3::text[]) AS f(k, v)
                              WHERE (t.attributes ->> f.k) IS DISTINCT FROM f.v)
            """
        var bindings = PostgresBindings()
        bindings.append(query.groupBy)
        if !query.attributes.isEmpty {
            bindings.append(keys)
            bindings.append(values)
        }
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            WITH first_event AS (\(event.firstEvent))
            SELECT t.test_id::text, t.cell_id, t.agent_id, t.channel_id, t.attributes ->> $1 AS group_value,
                   COALESCE(k.completed_cycles, 0) AS completed_cycles,
                   COALESCE(
                       p.last_test_time_s,
                       (SELECT x.test_time_s FROM samples x
                        WHERE x.test_id = t.test_id AND x.seq <= p.committed_seq AND x.test_time_s IS NOT NULL
                        ORDER BY x.seq DESC LIMIT 1),
                       -- Its last samples compacted (migration 0011): the newest chunk's latest time.
                       (SELECT k2.max_test_time_s FROM sample_chunks k2
                        WHERE k2.test_id = t.test_id AND k2.first_seq <= p.committed_seq AND k2.max_test_time_s IS NOT NULL
                        ORDER BY k2.last_seq DESC LIMIT 1),
                       (SELECT max(c.end_test_time_s) FROM cycle_summaries c WHERE c.test_id = t.test_id)) AS last_test_time_s,
                   e.rule, e.test_time_s,
                   CASE WHEN e.test_id IS NOT NULL THEN (\(event.cycle)) END AS cycle,
                   e.test_id IS NOT NULL
            FROM tests t
            LEFT JOIN test_progress p ON p.test_id = t.test_id
            LEFT JOIN test_cycle_counts k ON k.test_id = t.test_id
            LEFT JOIN first_event e ON e.test_id = t.test_id
            \(filter)
            ORDER BY group_value, t.cell_id, t.test_id
            """, binds: bindings), logger: logger)
        var lives = Lives(cells: [])
        for try await row in rows {
            let r = row.makeRandomAccess()
            let test = TestLife(
                cellID: try r[1].decode(String.self), agentID: try r[2].decode(String.self),
                channelID: try r[3].decode(String.self), group: try r[4].decode(String?.self),
                completedCycles: Int(try r[5].decode(Int64.self)), lastTestTimeSeconds: try r[6].decode(Double?.self),
                eventRule: try r[7].decode(String?.self), eventTestTimeSeconds: try r[8].decode(Double?.self),
                eventCycle: try r[9].decode(Int64?.self).map(Int.init), hasEvent: try r[10].decode(Bool.self))
            add(test, query: query, to: &lives)
        }
        return lives
    }

    /// The `stats --input --json` report of the query's lives, with the query and what it left
    /// out added at the top.
    public static func report(_ query: Query, connection: PostgresConnection, logger: Logger) async throws -> JSONText {
        let read = try await lives(query, connection: connection, logger: logger)
        return try report(of: read, query: query)
    }

    /// The report of lives already read (the CLI writes the same lives to `--lives-csv`).
    public static func report(of lives: Lives, query: Query) throws -> JSONText {
        let survival = try survivalReport(of: lives, query: query)
        guard case .object(let members) = survival.jsonValue() else { return survival.jsonValue() }
        return .object([
            ("group_by", .string(query.groupBy)), ("event", .string(query.event.rawValue)), ("unit", .string(query.unit.rawValue)),
        ] + members + [
            ("excluded_tests", .integer(lives.excluded)),
            ("excluded", .object([
                ("without_group", .integer(lives.withoutGroup)),
                ("not_yet_at_risk", .integer(lives.notYetAtRisk)),
                ("event_time_unknown", .integer(lives.eventTimeUnknown)),
            ])),
        ])
    }

    public static func survivalReport(of lives: Lives, query: Query) throws -> SurvivalReport {
        guard !lives.cells.isEmpty else {
            throw FleetStatisticsError.noLives(groupBy: query.groupBy, excluded: lives.excluded)
        }
        do {
            return try SurvivalReport(cells: lives.cells)
        } catch {
            throw FleetStatisticsError.statistics("\(error)")
        }
    }

    static func validate(_ query: Query) throws {
        guard !query.groupBy.isEmpty else { throw FleetStatisticsError.emptyGroupBy }
        for pair in query.attributes where pair.key.isEmpty {
            throw FleetStatisticsError.emptyAttributeKey(value: pair.value)
        }
    }

    /// The event of every test that has one (`first_event`: test_id, rule, test_time_s and
    /// what `cycle` needs), and the cycle it fell in for a test `t` joined to its event `e`,
    /// counted 1, 2, 3 … over the test's own cycles whatever the cycler's numbering (some count
    /// from 0): an event in the k-th cycle is at life k, after k − 1 completed cycles.
    static func eventSQL(_ event: Event) -> (firstEvent: String, cycle: String) {
        switch event {
        case .fail:
            // Fleet-health (source 'coordinator', F*) and scheduler (L1) alerts never count; a
            // resolved fail alert still does (the cell failed; what people did after is theirs).
            return ("""
                SELECT DISTINCT ON (a.test_id) a.test_id, a.rule, a_time.test_time_s
                FROM alerts a
                CROSS JOIN LATERAL (SELECT COALESCE(a.test_time_s,
                    (SELECT x.test_time_s FROM samples x WHERE x.test_id = a.test_id AND x.seq = a.seq LIMIT 1)) AS test_time_s) a_time
                WHERE a.source = 'detector' AND a.severity = 'fail'
                ORDER BY a.test_id, a.seq NULLS LAST, a_time.test_time_s NULLS LAST, a.alert_id
                """, """
                SELECT count(*) + 1 FROM cycle_summaries c WHERE c.test_id = t.test_id AND c.end_test_time_s < e.test_time_s
                """)
        case .soh80:
            return ("""
                SELECT DISTINCT ON (c.test_id) c.test_id, 'soh80'::text AS rule,
                       COALESCE(c.end_test_time_s, c.start_test_time_s) AS test_time_s, c.cycle_index
                FROM cycle_summaries c
                WHERE c.state_of_health < \(endOfLifeStateOfHealth)
                ORDER BY c.test_id, c.cycle_index
                """, """
                SELECT count(*) FROM cycle_summaries c2 WHERE c2.test_id = t.test_id AND c2.cycle_index <= e.cycle_index
                """)
        }
    }

    static func add(_ test: TestLife, query: Query, to lives: inout Lives) {
        guard let group = test.group, !group.isEmpty else {
            lives.withoutGroup += 1
            return
        }
        let life: Double
        if test.hasEvent {
            guard let seconds = test.eventTestTimeSeconds, seconds.isFinite, seconds >= 0 else {
                lives.eventTimeUnknown += 1
                return
            }
            switch query.unit {
            case .cycles: life = Double(test.eventCycle ?? 1)
            case .hours: life = seconds / 3600
            }
        } else {
            switch query.unit {
            case .cycles: life = Double(test.completedCycles)
            case .hours:
                let seconds = test.lastTestTimeSeconds ?? 0
                life = seconds.isFinite && seconds > 0 ? seconds / 3600 : 0
            }
            guard life > 0 else {
                lives.notYetAtRisk += 1
                return
            }
        }
        lives.cells.append(CellLife(
            cell: test.cellID, group: group, life: life, failed: test.hasEvent,
            channel: "\(test.agentID)/\(test.channelID)", cycler: test.agentID,
            kind: test.hasEvent && query.event == .fail ? test.eventRule : nil))
    }
}

/// A `/stats` query or `stats --database` run that cannot give a report, as a sentence for a
/// person (the API answers it as 400).
public enum FleetStatisticsError: Error, CustomStringConvertible, Equatable {
    case emptyGroupBy
    case emptyAttributeKey(value: String)
    case noLives(groupBy: String, excluded: Int)
    case statistics(String)

    public var description: String {
        switch self {
        case .emptyGroupBy:
            return "group_by is empty: name the test attribute whose value is a test's group (e.g. scenario)"
        case .emptyAttributeKey(let value):
            return "an attribute filter has no key (=\(value)): write KEY=VALUE"
        case .noLives(let groupBy, let excluded):
            return excluded == 0
                ? "no test matches the query: there are no lives to analyse"
                : "no test has a life to analyse: of the \(excluded) tests the query matched, none has the attribute '\(groupBy)' and a life yet"
        case .statistics(let reason):
            return "the lives cannot be analysed: \(reason)"
        }
    }
}
