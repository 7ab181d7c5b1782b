import FleetHealth
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// The coordinator's fleet-health alerts (docs/live-detection.md §3): every `intervalSeconds` it
/// loads what the rules need from the database — running tests with their arrivals, cadence and
/// clock lead (`test_progress`, written by the ingest transaction), agents' presence (`agents`,
/// written by the coordinator holding each), the open F1/F2/F3 alerts — lets `FleetHealthMonitor`
/// decide, and writes the decisions. It reads the database, not this process's memory, so it is
/// right across restarts and with several coordinators on one database; its writes are
/// idempotent (an episode is inserted ON CONFLICT DO NOTHING on the one-open-episode indexes and
/// resolved only while open), so two coordinators evaluating at once store each episode once.
/// F4 (a source file quarantined) is not decided here: the ingest transaction raises it from the
/// agent's report (`SourceQuarantineRecords`), and people resolve it.
public struct FleetHealthService: Service {
    public struct Settings: Sendable {
        public var limits = FleetHealthLimits()
        /// How often the rules are evaluated.
        public var intervalSeconds: Double = 10

        public init() {}
    }

    let client: PostgresClient
    let settings: Settings
    let logger: Logger
    /// Returns once the schema is migrated (the coordinator's `waitUntilReady`).
    let ready: @Sendable () async -> Void

    public init(client: PostgresClient, settings: Settings, logger: Logger, ready: @escaping @Sendable () async -> Void) {
        self.client = client
        self.settings = settings
        self.logger = logger
        self.ready = ready
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await ready()
            let period = Duration.milliseconds(Int64(max(0.05, settings.intervalSeconds) * 1000))
            var observingSince: Double?
            while !Task.isCancelled {
                do {
                    let now = try await databaseNow()
                    if observingSince == nil { observingSince = now }
                    try await evaluate(observingSinceSeconds: observingSince ?? now)
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("could not evaluate fleet health; trying again", metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: period)
            }
        }
    }

    private func databaseNow() async throws -> Double {
        let rows = try await client.query("SELECT extract(epoch FROM now())::float8", logger: logger)
        for try await now in rows.decode(Double.self) { return now }
        throw NoTime()
    }

    struct NoTime: Error, CustomStringConvertible {
        var description: String { "the database returned no time" }
    }

    /// One evaluation: load, decide, write. Returns the decisions (what this evaluation decided;
    /// with another coordinator evaluating at once, some may already have been written by it).
    @discardableResult
    public func evaluate(observingSinceSeconds: Double) async throws -> [FleetHealthDecision] {
        var (monitor, now) = try await load(observingSinceSeconds: observingSinceSeconds)
        let decisions = monitor.evaluate(nowSeconds: now)
        for decision in decisions { try await write(decision) }
        return decisions
    }

    /// The monitor as the database has it, and the database's time.
    private func load(observingSinceSeconds: Double) async throws -> (FleetHealthMonitor, Double) {
        var monitor = FleetHealthMonitor(limits: settings.limits, observingSinceSeconds: observingSinceSeconds)
        var openForTest: [String: Set<FleetHealthRule>] = [:]
        var lostOpen: Set<String> = []
        let open = try await client.query("""
            SELECT rule, test_id, agent_id FROM alerts
            WHERE rule IN ('F1', 'F2', 'F3') AND source = 'coordinator' AND state <> 'resolved'
            """, logger: logger)
        for try await (rule, testID, agentID) in open.decode((String, UUID?, String?).self) {
            guard let rule = FleetHealthRule(rawValue: rule) else { continue }
            if rule == .agentLost, let agentID {
                lostOpen.insert(agentID)
            } else if let testID {
                openForTest[testID.uuidString.lowercased(), default: []].insert(rule)
            }
        }
        // The running tests, and the ended ones whose F1 or F3 is still open (to resolve it).
        let openTests = Array(openForTest.keys.compactMap(UUID.init(uuidString:)))
        let tests = try await client.query("""
            SELECT t.test_id, t.agent_id, t.ended_at IS NULL, extract(epoch FROM p.updated_at)::float8,
                   extract(epoch FROM p.last_sample_at)::float8, p.usual_interval_s, p.sample_clock_ahead_s,
                   extract(epoch FROM now())::float8
            FROM tests t JOIN test_progress p ON p.test_id = t.test_id
            WHERE t.ended_at IS NULL OR t.test_id = ANY(\(openTests))
            """, logger: logger)
        var now: Double?
        for try await (testID, agentID, running, registered, lastArrival, usual, ahead, databaseNow) in tests.decode(
            (UUID, String, Bool, Double, Double?, Double?, Double?, Double).self) {
            let id = testID.uuidString.lowercased()
            monitor.restore(test: id, .init(
                agentID: agentID, isRunning: running, registeredAtSeconds: registered,
                cadence: ArrivalCadence(lastArrivalSeconds: lastArrival, usualIntervalSeconds: usual),
                sampleClockAheadSeconds: ahead, open: openForTest[id] ?? []))
            now = databaseNow
        }
        let agents = try await client.query("""
            SELECT agent_id, extract(epoch FROM last_seen)::float8, extract(epoch FROM connected_at)::float8, extract(epoch FROM now())::float8
            FROM agents
            WHERE agent_id IN (SELECT agent_id FROM tests WHERE ended_at IS NULL) OR agent_id = ANY(\(Array(lostOpen)))
            """, logger: logger)
        for try await (agentID, lastSeen, connectedAt, databaseNow) in agents.decode((String, Double, Double?, Double).self) {
            monitor.restore(agent: agentID, .init(lastSeenSeconds: lastSeen, connectedAtSeconds: connectedAt, lostEpisodeOpen: lostOpen.contains(agentID)))
            now = databaseNow
        }
        // An open F2 of an agent no longer in `agents` (deleted by hand) is resolved too.
        for agentID in lostOpen where monitor.agents[agentID] == nil {
            monitor.restore(agent: agentID, .init(lastSeenSeconds: nil, lostEpisodeOpen: true))
        }
        if let now { return (monitor, now) }
        return (monitor, try await databaseNow())
    }

    private func write(_ decision: FleetHealthDecision) async throws {
        switch decision {
        case .raise(let alert):
            let evidence = Self.json(alert.evidence)
            let rows: PostgresRowSequence
            switch alert.subject {
            case .test(let testID, _):
                guard let uuid = UUID(uuidString: testID) else { return }
                rows = try await client.query("""
                    INSERT INTO alerts (test_id, agent_id, channel_id, cell_id, rule, severity, message, evidence, source)
                    SELECT t.test_id, t.agent_id, t.channel_id, t.cell_id, \(alert.rule.rawValue), \(FleetHealthRule.severity),
                           \(alert.message), \(evidence)::jsonb, 'coordinator'
                    FROM tests t WHERE t.test_id = \(uuid)
                    ON CONFLICT (test_id, rule) WHERE rule IN ('F1', 'F3') AND state <> 'resolved' DO NOTHING
                    RETURNING alert_id
                    """, logger: logger)
            case .agent(let agentID):
                rows = try await client.query("""
                    INSERT INTO alerts (test_id, agent_id, rule, severity, message, evidence, source)
                    VALUES (NULL, \(agentID), \(alert.rule.rawValue), \(FleetHealthRule.severity), \(alert.message), \(evidence)::jsonb, 'coordinator')
                    ON CONFLICT (agent_id, rule) WHERE rule = 'F2' AND state <> 'resolved' DO NOTHING
                    RETURNING alert_id
                    """, logger: logger)
            }
            for try await alertID in rows.decode(Int64.self) {
                logger.notice("fleet-health alert", metadata: [
                    "alert": "\(alertID)", "rule": "\(alert.rule.rawValue)", "agent": "\(alert.subject.agentID)",
                    "test": "\(alert.subject.testID ?? "")", "message": "\(alert.message)"])
            }
        case .resolve(let rule, let subject):
            let rows: PostgresRowSequence
            switch subject {
            case .test(let testID, _):
                guard let uuid = UUID(uuidString: testID) else { return }
                rows = try await client.query("""
                    UPDATE alerts SET state = 'resolved', resolved_at = now(), resolved_by = 'coordinator'
                    WHERE test_id = \(uuid) AND rule = \(rule.rawValue) AND source = 'coordinator' AND state <> 'resolved'
                    RETURNING alert_id
                    """, logger: logger)
            case .agent(let agentID):
                rows = try await client.query("""
                    UPDATE alerts SET state = 'resolved', resolved_at = now(), resolved_by = 'coordinator'
                    WHERE agent_id = \(agentID) AND test_id IS NULL AND rule = \(rule.rawValue) AND source = 'coordinator' AND state <> 'resolved'
                    RETURNING alert_id
                    """, logger: logger)
            }
            for try await alertID in rows.decode(Int64.self) {
                logger.notice("fleet-health alert resolved", metadata: [
                    "alert": "\(alertID)", "rule": "\(rule.rawValue)", "agent": "\(subject.agentID)", "test": "\(subject.testID ?? "")"])
            }
        }
    }

    /// Evidence as a JSON object, keys sorted, non-finite values as null.
    static func json(_ evidence: [String: Double]) -> String {
        DetectionWriter.json(evidence)
    }
}
