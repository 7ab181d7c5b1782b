import CellModel
import Foundation
import Logging
import PostgresNIO
import Scheduling

/// A study's rows as people change them: `cellfleet study submit` (the study, its groups, its
/// stock cells and the first requests, all in one transaction), `study withdraw` and `study
/// add-replicates`. The coordinators' scheduler round reads these rows; it queues what follows.
public enum StudyRecords {
    public enum SubmitOutcome: Sendable, Equatable {
        case submitted(groups: Int, cells: Int, requests: Int)
        /// The study was submitted before with exactly this definition: a script may submit twice.
        case unchanged
    }

    /// Stores a parsed study and queues its first requests (`StudyProgress.start()`, in its
    /// order, so `submitted` follows the file). A study name already taken is unchanged when the
    /// definition is byte-identical and refused otherwise; a stock cell that `cells add` stored
    /// is taken with its metadata if it is in stock and belongs to no study, refused otherwise.
    public static func submit(_ plan: StudyProgress.Plan, definition: String, submittedBy: String, client: PostgresClient,
                              logger: Logger) async throws -> SubmitOutcome {
        try await client.withTransaction(logger: logger) { connection in
            let inserted = try await connection.query("""
                INSERT INTO studies (study_name, priority, infant_hours, infant_cycles, hard_short_cycles, definition, submitted_by)
                VALUES (\(plan.name), \(plan.priority), \(plan.infantHours), \(plan.infantCycles), \(plan.hardShortCycles),
                        \(definition), \(submittedBy))
                ON CONFLICT (study_name) DO NOTHING
                RETURNING study_name
                """, logger: logger).collect()
            if inserted.isEmpty {
                var stored: String?
                for try await text in try await connection.query(
                    "SELECT definition FROM studies WHERE study_name = \(plan.name)", logger: logger).decode(String.self) { stored = text }
                // Bytes, not Swift's canonical equivalence: "identical" is what a diff would say.
                if let stored, Array(stored.utf8) == Array(definition.utf8) { return .unchanged }
                throw SchedulerRecordError("""
                    study \(plan.name) was submitted before with a different definition; a study's definition does not change: \
                    withdraw it (`cellfleet study withdraw \(plan.name)`) if it should stop, and submit the new one under another name
                    """)
            }
            var cellCount = 0
            for (position, group) in plan.groups.enumerated() {
                _ = try await connection.query("""
                    INSERT INTO study_groups (study_name, group_name, position, replicates, protocol, requirements, duration_hours,
                                              on_fail, attributes)
                    VALUES (\(plan.name), \(group.name), \(position), \(group.replicates), \(group.protocolToRun.description),
                            \(requirementsJSON(group.protocolToRun))::jsonb, \(group.durationHours), \(group.onFail),
                            \(stringMapJSON(group.attributes))::jsonb)
                    """, logger: logger).collect()
                for (stockPosition, cell) in group.cells.enumerated() {
                    try await takeStockCell(cell, study: plan.name, group: group.name, position: stockPosition, connection: connection, logger: logger)
                    cellCount += 1
                }
            }
            var progress = StudyProgress(plan: plan, firstSubmitted: 0)
            let requests = progress.start()
            let requirements = Dictionary(uniqueKeysWithValues: plan.groups.map { ($0.name, requirementsJSON($0.protocolToRun)) })
            for request in requests {
                // One statement per request, in order: `submitted` comes from the sequence as
                // each is inserted, so the queue's FIFO order is the file's.
                _ = try await connection.query("""
                    INSERT INTO cell_requests (request_id, cell_id, study_name, group_name, protocol, requirements, priority)
                    VALUES (\(request.id), \(request.cellID), \(request.study), \(request.group), \(request.protocolToRun.description),
                            \(requirements[request.group] ?? "{}")::jsonb, \(request.priority))
                    """, logger: logger).collect()
            }
            _ = try await connection.query("""
                UPDATE cells SET state = 'queued', updated_at = now() WHERE cell_id = ANY(\(requests.map(\.cellID)))
                """, logger: logger).collect()
            return .submitted(groups: plan.groups.count, cells: cellCount, requests: requests.count)
        }
    }

    /// Inserts a study's stock cell, or takes the inventory's cell of that id when it is in stock
    /// and belongs to no study (keeping what `cells add` recorded about it).
    private static func takeStockCell(_ cell: StudyProgress.StockCell, study: String, group: String, position: Int,
                                      connection: PostgresConnection, logger: Logger) async throws {
        let taken = try await connection.query("""
            INSERT INTO cells AS c (cell_id, study_name, group_name, stock_position, protocol)
            VALUES (\(cell.id), \(study), \(group), \(position), \(cell.protocolToRun?.description))
            ON CONFLICT (cell_id) DO UPDATE SET
                study_name = EXCLUDED.study_name, group_name = EXCLUDED.group_name, stock_position = EXCLUDED.stock_position,
                protocol = EXCLUDED.protocol, updated_at = now()
            WHERE c.study_name IS NULL AND c.state = 'in_stock'
            RETURNING cell_id
            """, logger: logger).collect()
        guard taken.isEmpty else { return }
        for try await (state, owner) in try await connection.query(
            "SELECT state, study_name FROM cells WHERE cell_id = \(cell.id)", logger: logger).decode((String, String?).self) {
            if let owner {
                throw SchedulerRecordError("cell \(cell.id) (group \(group)) belongs to study \(owner) already")
            }
            throw SchedulerRecordError("cell \(cell.id) (group \(group)) is not in stock: it is \(state)")
        }
        throw SchedulerRecordError("cell \(cell.id) (group \(group)) could not be stored")
    }

    /// A group's channel requirements as `study_groups.requirements` holds them: only the keys
    /// set, `{}` for a `sim:` protocol (it runs on any simulated channel).
    public static func requirementsJSON(_ protocolToRun: TestProtocol) -> String {
        guard case .vendor(_, let requirements) = protocolToRun else { return "{}" }
        var members: [(String, JSONText)] = []
        if let make = requirements.make { members.append(("make", .string(make))) }
        if let value = requirements.currentMinAmperes { members.append(("current_min_a", .finite(value))) }
        if let value = requirements.currentMaxAmperes { members.append(("current_max_a", .finite(value))) }
        if let value = requirements.voltageMinVolts { members.append(("voltage_min_v", .finite(value))) }
        if let value = requirements.voltageMaxVolts { members.append(("voltage_max_v", .finite(value))) }
        if requirements.auxTemperature { members.append(("aux_temperature", .bool(true))) }
        return JSONText.object(members).render(pretty: false)
    }

    static func stringMapJSON(_ map: [String: String]) -> String {
        JSONText.object(map.keys.sorted().map { ($0, .string(map[$0]!)) }).render(pretty: false)
    }

    // MARK: withdraw

    public struct Withdrawal: Sendable, Equatable {
        /// Whether the study was withdrawn before (nothing changed then).
        public var alreadyWithdrawn: Bool
        /// Queued requests withdrawn now; their cells are back in stock.
        public var withdrawnRequests: Int
        /// Requests with a reserved channel: the round releases them.
        public var assigned: Int
        /// Requests whose test runs on.
        public var running: Int
    }

    /// Withdraws a study: nothing more of it is queued or assigned. Its queued requests are
    /// withdrawn and their cells go back to stock; reserved channels are the round's to release
    /// (it resolves their load requests and fails their unsent commands), running tests run on.
    public static func withdraw(_ study: String, by person: String, client: PostgresClient, logger: Logger) async throws -> Withdrawal {
        try await client.withTransaction(logger: logger) { connection in
            try await SchedulerRecords.waitForRound(connection, logger: logger)
            var state: String?
            for try await stored in try await connection.query(
                "SELECT state FROM studies WHERE study_name = \(study) FOR UPDATE", logger: logger).decode(String.self) { state = stored }
            guard let state else { throw SchedulerRecordError("no study named \(study)") }
            _ = try await connection.query("""
                UPDATE studies SET state = 'withdrawn', state_changed_at = now() WHERE study_name = \(study) AND state <> 'withdrawn'
                """, logger: logger).collect()
            var cells: [String] = []
            for try await cell in try await connection.query("""
                UPDATE cell_requests SET state = 'withdrawn', note = \("the study was withdrawn by \(person)")
                WHERE study_name = \(study) AND state = 'queued' RETURNING cell_id
                """, logger: logger).decode(String.self) { cells.append(cell) }
            _ = try await connection.query("""
                UPDATE cells SET state = 'in_stock', updated_at = now() WHERE cell_id = ANY(\(cells)) AND state = 'queued'
                """, logger: logger).collect()
            var withdrawal = Withdrawal(alreadyWithdrawn: state == "withdrawn", withdrawnRequests: cells.count, assigned: 0, running: 0)
            for try await (assigned, running) in try await connection.query("""
                SELECT count(*) FILTER (WHERE state = 'assigned'), count(*) FILTER (WHERE state = 'running')
                FROM cell_requests WHERE study_name = \(study)
                """, logger: logger).decode((Int, Int).self) {
                withdrawal.assigned = assigned
                withdrawal.running = running
            }
            return withdrawal
        }
    }

    // MARK: add-replicates

    public struct ReplicatesAdded: Sendable, Equatable {
        public var before: Int
        public var after: Int
        /// A complete study is running again.
        public var reopened: Bool
        /// The group's cells still in stock (the round queues the extra cells from them).
        public var stockLeft: Int
    }

    /// A group needs `count` more conclusive tests; a complete study runs again. The round queues
    /// the extra cells from the group's stock.
    public static func addReplicates(_ study: String, group: String, count: Int, client: PostgresClient, logger: Logger) async throws -> ReplicatesAdded {
        guard count >= 1 else { throw SchedulerRecordError("--count must be at least 1") }
        return try await client.withTransaction(logger: logger) { connection in
            try await SchedulerRecords.waitForRound(connection, logger: logger)
            var state: String?
            for try await stored in try await connection.query(
                "SELECT state FROM studies WHERE study_name = \(study) FOR UPDATE", logger: logger).decode(String.self) { state = stored }
            guard let state else { throw SchedulerRecordError("no study named \(study)") }
            guard state != "withdrawn" else {
                throw SchedulerRecordError("study \(study) is withdrawn: nothing more of it is run (submit a new study instead)")
            }
            var after: Int?
            for try await replicates in try await connection.query("""
                UPDATE study_groups SET replicates = replicates + \(count) WHERE study_name = \(study) AND group_name = \(group)
                RETURNING replicates
                """, logger: logger).decode(Int.self) { after = replicates }
            guard let after else {
                var names: [String] = []
                for try await name in try await connection.query(
                    "SELECT group_name FROM study_groups WHERE study_name = \(study) ORDER BY position", logger: logger).decode(String.self) {
                    names.append(name)
                }
                throw SchedulerRecordError("study \(study) has no group \(group) (its groups: \(names.joined(separator: ", ")))")
            }
            let reopened = state == "complete"
            if reopened {
                _ = try await connection.query("""
                    UPDATE studies SET state = 'running', state_changed_at = now() WHERE study_name = \(study)
                    """, logger: logger).collect()
            }
            var stockLeft = 0
            for try await left in try await connection.query("""
                SELECT count(*) FROM cells WHERE study_name = \(study) AND group_name = \(group) AND state = 'in_stock'
                """, logger: logger).decode(Int.self) { stockLeft = left }
            return ReplicatesAdded(before: after - count, after: after, reopened: reopened, stockLeft: stockLeft)
        }
    }
}
