import Foundation
import Logging
import PostgresNIO

/// Where a study stands, from its rows (`cellfleet study status` and `study list`): per group
/// the tests that count, those replaced, those in flight, the stock left. Counted from the
/// requests' verdicts and states as the round recorded them, so it says what the database says,
/// whichever coordinator wrote it.
public enum StudyStatusRecords {
    public struct Study: Sendable, Equatable {
        public var name: String
        /// `studies.state`: the round's verdict (running, complete, stock_exhausted) or withdrawn.
        public var state: String
        public var priority: Int
        public var submittedAt: String
        public var groups: [Group]
    }

    public struct Group: Sendable, Equatable {
        public var name: String
        public var replicatesNeeded: Int
        /// Requests whose verdict counts: conclusive, or failed after the infant window.
        public var conclusive: Int
        public var failed: Int
        /// Verdicts that do not count and call for the next stock cell: infant, aborted, damaged.
        public var replaced: Int
        public var running: Int
        public var assigned: Int
        public var queued: Int
        /// The group's cells still in stock.
        public var stockLeft: Int
        public var tests: [Test]

        /// complete with its replicates; stock_exhausted when what is done, in flight and in stock
        /// cannot reach them; running otherwise.
        public var state: String {
            if conclusive >= replicatesNeeded { return "complete" }
            if conclusive + running + assigned + queued + stockLeft < replicatesNeeded { return "stock_exhausted" }
            return "running"
        }
    }

    /// One of a group's requests, in the order they were submitted.
    public struct Test: Sendable, Equatable {
        public var requestID: String
        public var cellID: String
        public var state: String
        /// `AGENT/CHANNEL` while assigned or running (and after, where the round kept it).
        public var channel: String?
        public var testID: String?
        public var verdict: String?
        /// `cell_requests.outcome` as JSON text.
        public var outcomeJSON: String?
    }

    public struct Summary: Sendable, Equatable {
        public var name: String
        public var state: String
        public var priority: Int
        public var submittedAt: String
        public var groups: Int
    }

    public static func status(_ study: String, client: PostgresClient, logger: Logger) async throws -> Study {
        try await client.withConnection { connection in
            var found: Study?
            for try await (name, state, priority, submittedAt) in try await connection.query("""
                SELECT study_name, state, priority, \(unescaped: SchedulerRecords.instant("submitted_at"))
                FROM studies WHERE study_name = \(study)
                """, logger: logger).decode((String, String, Int, String).self) {
                found = Study(name: name, state: state, priority: priority, submittedAt: submittedAt, groups: [])
            }
            guard var found else { throw SchedulerRecordError("no study named \(study)") }
            for try await (name, replicates, stockLeft) in try await connection.query("""
                SELECT g.group_name, g.replicates,
                       (SELECT count(*) FROM cells c WHERE c.study_name = g.study_name AND c.group_name = g.group_name AND c.state = 'in_stock')
                FROM study_groups g WHERE g.study_name = \(study) ORDER BY g.position
                """, logger: logger).decode((String, Int, Int).self) {
                found.groups.append(Group(
                    name: name, replicatesNeeded: replicates, conclusive: 0, failed: 0, replaced: 0, running: 0, assigned: 0, queued: 0,
                    stockLeft: stockLeft, tests: []))
            }
            let index = Dictionary(uniqueKeysWithValues: found.groups.enumerated().map { ($1.name, $0) })
            for try await (group, requestID, cellID, state, agentID, channelID, testID, verdict, outcome) in try await connection.query("""
                SELECT group_name, request_id, cell_id, state, agent_id, channel_id, test_id::text, verdict, outcome::text
                FROM cell_requests WHERE study_name = \(study) ORDER BY submitted, request_id
                """, logger: logger).decode((String, String, String, String, String?, String?, String?, String?, String?).self) {
                guard let at = index[group] else { continue }
                found.groups[at].tests.append(Test(
                    requestID: requestID, cellID: cellID, state: state, channel: SchedulerRecords.channel(agentID, channelID),
                    testID: testID, verdict: verdict, outcomeJSON: outcome))
                switch verdict {
                case "conclusive": found.groups[at].conclusive += 1
                case "failed":
                    found.groups[at].conclusive += 1
                    found.groups[at].failed += 1
                case "infant", "aborted", "damaged": found.groups[at].replaced += 1
                default: break
                }
                switch state {
                case "running": found.groups[at].running += 1
                case "assigned": found.groups[at].assigned += 1
                case "queued": found.groups[at].queued += 1
                default: break
                }
            }
            return found
        }
    }

    /// Every study, first submitted first.
    public static func list(client: PostgresClient, logger: Logger) async throws -> [Summary] {
        try await client.withConnection { connection in
            var studies: [Summary] = []
            for try await (name, state, priority, submittedAt, groups) in try await connection.query("""
                SELECT s.study_name, s.state, s.priority, \(unescaped: SchedulerRecords.instant("s.submitted_at")),
                       (SELECT count(*) FROM study_groups g WHERE g.study_name = s.study_name)
                FROM studies s ORDER BY s.submitted_at, s.study_name
                """, logger: logger).decode((String, String, Int, String, Int).self) {
                studies.append(Summary(name: name, state: state, priority: priority, submittedAt: submittedAt, groups: groups))
            }
            return studies
        }
    }
}
