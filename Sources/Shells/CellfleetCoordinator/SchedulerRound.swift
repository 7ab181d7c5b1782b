import Foundation
import Logging
import PostgresNIO
import Scheduling
import WireProtocol

/// One scheduling round (docs/scheduling.md §4), inside one transaction that holds the
/// scheduler's advisory lock, so two coordinators on one database never decide at once and every
/// decision commits with the state it was made from — or not at all. The round rebuilds the pure
/// core (`FleetScheduler`, a `StudyProgress` per study) from the rows, feeds it what happened
/// since the last round (tests started and ended, start_test commands refused, loads confirmed),
/// and writes its decisions: requests assigned (a `start_test` command for a simulated channel,
/// an L1 load request for a real one), reservations released, finished tests' verdicts, the
/// replacements and extra replicates queued, `channel_schedule`, and the studies' state.
struct SchedulerRound {
    /// The advisory lock every round holds (migration 0006 names it).
    static let lockKey = SchedulerRecords.roundLockKey

    let connection: PostgresConnection
    let settings: SchedulerService.Settings
    let logger: Logger
    private(set) var report = SchedulerRoundReport()

    init(connection: PostgresConnection, settings: SchedulerService.Settings, logger: Logger) {
        self.connection = connection
        self.settings = settings
        self.logger = logger
    }

    private struct GroupRow {
        var study: String
        var plan: StudyProgress.GroupPlan
        var requirementsJSON: String
    }

    private struct CellRow {
        var id: String
        var study: String
        var group: String
        var state: String
        var protocolText: String?
        var cellType: String?
        var areaSquareMeters: Double?
        var massKilograms: Double?
        var capacityAmpHours: Double?
        var attributes: [String: String]
    }

    private struct RequestRow {
        var request: CellRequest
        var state: String
        var address: ChannelAddress?
        var testID: String?
        var reservedUntil: Double?
        var assignedAt: Double?
        var commandState: String?
        var commandMessage: String?
        var testExists: Bool
        var testEnded: Bool
        var endReason: String?
        var loadAlertID: Int64?
        var releases: Int
        var verdict: String?
    }

    private struct ChannelRow {
        var address: ChannelAddress
        var abilities: ChannelAbilities
        var online: Bool
        var held: Bool
        var stored: StoredChannelState?
    }

    private struct StoredChannelState: Equatable {
        var state: String
        var requestID: String?
        var cellID: String?
        var testID: String?
    }

    private struct RunningTest {
        var testID: String
        var requestID: String?
        var startedAt: Double
        var sourceFile: String?
    }

    private var now = 0.0
    private var studies: [String: StudyProgress.Plan] = [:]
    private var studyStates: [String: String] = [:]
    private var groups: [String: GroupRow] = [:]
    private var cells: [String: CellRow] = [:]
    private var requests: [String: RequestRow] = [:]
    private var channels: [ChannelAddress: ChannelRow] = [:]
    private var runningTests: [ChannelAddress: RunningTest] = [:]
    private var stopping: Set<ChannelAddress> = []

    /// Runs the round; false if another coordinator's round holds the lock (this one does nothing).
    mutating func run() async throws -> Bool {
        let rows = try await connection.query(
            "SELECT pg_try_advisory_xact_lock(\(Self.lockKey)), extract(epoch FROM now())::float8", logger: logger)
        var locked = false
        for try await (got, time) in rows.decode((Bool, Double).self) {
            locked = got
            now = time
        }
        guard locked else { return false }
        try await loadStudies()
        try await loadChannels()
        try await reconcile()
        // Reservations carry their expiry from the rows (a person's or a simulated channel's).
        var scheduler = FleetScheduler(reservationTimeoutSeconds: .infinity)
        var events = restore(into: &scheduler)
        // The tests that started on reserved channels since the last round (the core hears of
        // them as events; their rows are written here, once).
        for id in requests.keys.sorted() where requests[id]!.state == "assigned" && requests[id]!.testExists {
            try await started(id)
        }
        var progress = restoreProgress()
        for _ in 0..<4 {
            let decisions = scheduler.handle(events, now: now)
            events = []
            for decision in decisions { events += try await apply(decision, progress: &progress) }
            for name in progress.keys.sorted() where studyStates[name] == "running" || studyStates[name] == "stock_exhausted" {
                for request in progress[name]!.topUp() {
                    if try await queue(request, group: groupKey(request)) { events.append(.queued(requests[request.id]!.request)) }
                }
            }
            if events.isEmpty && decisions.isEmpty { break }
        }
        try await writeChannelStates(scheduler)
        try await writeStudyStates(progress)
        return true
    }

    // MARK: - Loading

    private mutating func loadStudies() async throws {
        let studyRows = try await connection.query("""
            SELECT study_name, priority, infant_hours, infant_cycles, hard_short_cycles, state
            FROM studies WHERE state <> 'complete' ORDER BY study_name
            """, logger: logger)
        for try await (name, priority, infantHours, infantCycles, hardShortCycles, state) in studyRows.decode(
            (String, Int, Double?, Int?, Int, String).self) {
            studies[name] = .init(name: name, priority: priority, infantHours: infantHours, infantCycles: infantCycles, hardShortCycles: hardShortCycles, groups: [])
            studyStates[name] = state
        }
        guard !studies.isEmpty else { return }
        let names = Array(studies.keys)
        let groupRows = try await connection.query("""
            SELECT study_name, group_name, replicates, protocol, requirements::text, duration_hours, on_fail, attributes::text
            FROM study_groups WHERE study_name = ANY(\(names)) ORDER BY study_name, position
            """, logger: logger)
        for try await (study, name, replicates, protocolText, requirementsJSON, duration, onFail, attributesJSON) in groupRows.decode(
            (String, String, Int, String, String, Double?, String, String).self) {
            let requirements = (try? JSONDecoder().decode(ChannelRequirements.self, from: Data(requirementsJSON.utf8))) ?? ChannelRequirements()
            let plan = StudyProgress.GroupPlan(
                name: name, replicates: replicates, protocolToRun: TestProtocol(protocolText, requirements: requirements),
                durationHours: duration, onFail: onFail, attributes: Self.stringMap(attributesJSON), cells: [])
            groups["\(study)/\(name)"] = GroupRow(study: study, plan: plan, requirementsJSON: requirementsJSON)
            groupOrder.append("\(study)/\(name)")
        }
        let cellRows = try await connection.query("""
            SELECT c.cell_id, c.study_name, c.group_name, c.state, c.protocol, c.cell_type, c.electrode_area_m2, c.active_mass_kg,
                   c.nominal_capacity_ah, c.attributes::text,
                   EXISTS (SELECT 1 FROM cell_requests r WHERE r.cell_id = c.cell_id AND r.study_name = c.study_name)
            FROM cells c WHERE c.study_name = ANY(\(names)) ORDER BY c.study_name, c.group_name, c.stock_position
            """, logger: logger)
        var asked: [String: Int] = [:]
        for try await (id, study, group, state, protocolText, cellType, area, mass, capacity, attributesJSON, requested) in cellRows.decode(
            (String, String, String, String, String?, String?, Double?, Double?, Double?, String, Bool).self) {
            let key = "\(study)/\(group)"
            guard var row = groups[key] else { continue }
            // A cell retired before it was asked for (damaged in stock) is not stock any more.
            if state == "retired" && !requested { continue }
            let requirements = row.plan.protocolToRun.requirements
            row.plan.cells.append(.init(id: id, protocolToRun: protocolText.map { TestProtocol($0, requirements: requirements) }))
            groups[key] = row
            if requested { asked[key, default: 0] += 1 }
            cells[id] = CellRow(
                id: id, study: study, group: group, state: state, protocolText: protocolText, cellType: cellType, areaSquareMeters: area,
                massKilograms: mass, capacityAmpHours: capacity, attributes: Self.stringMap(attributesJSON))
        }
        for key in groupOrder { studies[groups[key]!.study]?.groups.append(groups[key]!.plan) }
        stockAsked = asked
        let requestRows = try await connection.query("""
            SELECT r.request_id, r.cell_id, r.study_name, r.group_name, r.protocol, r.priority, r.submitted, r.state,
                   r.agent_id, r.channel_id, r.test_id::text, extract(epoch FROM r.reserved_until)::float8,
                   extract(epoch FROM r.assigned_at)::float8, cmd.state, cmd.result_message,
                   t.test_id IS NOT NULL, t.ended_at IS NOT NULL, t.end_reason, r.load_alert_id, r.releases, r.verdict
            FROM cell_requests r
            LEFT JOIN commands cmd ON cmd.command_id = r.command_id
            LEFT JOIN tests t ON t.test_id = r.test_id
            WHERE r.study_name = ANY(\(names))
            """, logger: logger)
        for try await (id, cell, study, group, protocolText, priority, submitted, state, agent, channel, testID, reservedUntil, assignedAt,
                       commandState, commandMessage, testExists, testEnded, endReason, loadAlertID, releases, verdict) in requestRows.decode(
            (String, String, String, String, String, Int, Int64, String, String?, String?, String?, Double?, Double?, String?, String?,
             Bool, Bool, String?, Int64?, Int, String?).self) {
            let requirements = groups["\(study)/\(group)"]?.plan.protocolToRun.requirements ?? ChannelRequirements()
            let request = CellRequest(
                id: id, cellID: cell, study: study, group: group, protocolToRun: TestProtocol(protocolText, requirements: requirements),
                priority: priority, submitted: UInt64(max(0, submitted)))
            let address = agent.flatMap { agent in channel.map { ChannelAddress(agentID: agent, channelID: $0) } }
            requests[id] = RequestRow(
                request: request, state: state, address: address, testID: testID, reservedUntil: reservedUntil, assignedAt: assignedAt,
                commandState: commandState, commandMessage: commandMessage, testExists: testExists, testEnded: testEnded,
                endReason: endReason, loadAlertID: loadAlertID, releases: releases, verdict: verdict)
        }
    }

    private var stockAsked: [String: Int] = [:]
    /// `STUDY/GROUP` in each study's file order.
    private var groupOrder: [String] = []

    private mutating func loadChannels() async throws {
        let channelRows = try await connection.query("""
            SELECT c.agent_id, c.channel_id, c.cycler_make, c.cycler_model, COALESCE(c.current_min_a, 0), COALESCE(c.current_max_a, 0),
                   COALESCE(c.voltage_min_v, 0), COALESCE(c.voltage_max_v, 0), COALESCE(c.aux_temperature, false),
                   a.last_seen > now() - make_interval(secs => \(settings.offlineAfterSeconds)),
                   COALESCE(s.held, false), s.state, s.request_id, s.cell_id, s.test_id::text
            FROM channels c JOIN agents a ON a.agent_id = c.agent_id
            LEFT JOIN channel_schedule s ON s.agent_id = c.agent_id AND s.channel_id = c.channel_id
            """, logger: logger)
        for try await (agent, channel, make, model, currentMin, currentMax, voltageMin, voltageMax, aux, online, held, state, requestID, cellID, testID)
            in channelRows.decode((String, String, String, String, Double, Double, Double, Double, Bool, Bool, Bool, String?, String?, String?, String?).self) {
            let address = ChannelAddress(agentID: agent, channelID: channel)
            let abilities = ChannelAbilities(
                make: make, model: model, currentMinAmperes: currentMin, currentMaxAmperes: currentMax, voltageMinVolts: voltageMin,
                voltageMaxVolts: voltageMax, auxTemperature: aux, simulated: make.lowercased() == Self.simulatedMake)
            channels[address] = ChannelRow(
                address: address, abilities: abilities, online: online, held: held,
                stored: state.map { StoredChannelState(state: $0, requestID: requestID, cellID: cellID, testID: testID) })
        }
        let testRows = try await connection.query("""
            SELECT agent_id, channel_id, test_id::text, extract(epoch FROM started_at)::float8, attributes ->> 'request_id',
                   attributes ->> 'source_file'
            FROM tests WHERE ended_at IS NULL ORDER BY started_at
            """, logger: logger)
        for try await (agent, channel, testID, startedAt, requestID, sourceFile) in testRows.decode((String, String, String, Double, String?, String?).self) {
            runningTests[ChannelAddress(agentID: agent, channelID: channel)] = RunningTest(
                testID: testID, requestID: requestID, startedAt: startedAt, sourceFile: sourceFile)
        }
        let stopRows = try await connection.query("""
            SELECT agent_id, COALESCE(channel_id, '') FROM commands WHERE action = 'stop_channel' AND state IN ('pending', 'sent')
            """, logger: logger)
        for try await (agent, channel) in stopRows.decode((String, String).self) {
            stopping.insert(ChannelAddress(agentID: agent, channelID: channel))
        }
    }

    // MARK: - What happened since the last round, before the core decides

    /// The changes the core has no event for: withdrawn studies, start_test commands an agent
    /// refused, files that confirm a real channel's load, tests started from a released
    /// reservation.
    private mutating func reconcile() async throws {
        for id in requests.keys.sorted() {
            guard let row = requests[id] else { continue }
            let active = row.state == "assigned" || row.state == "running"
            if studyStates[row.request.study] == "withdrawn", row.state == "queued" || (row.state == "assigned" && !row.testExists) {
                try await release(id, to: "withdrawn", reason: "the study was withdrawn")
                continue
            }
            if row.state == "assigned", row.commandState == "failed" {
                // The agent refused the start (or the command could not be read): back to the
                // queue, and withdrawn after a few refusals rather than refused for ever.
                let reason = "the agent refused the start_test: \(row.commandMessage ?? "no reason given")"
                if row.releases + 1 >= settings.maximumRefusals {
                    // The cell is not used again (its next stock cell is asked for instead).
                    try await release(id, to: "withdrawn", reason: "\(reason) (\(settings.maximumRefusals) times)", cellState: "retired")
                } else {
                    try await release(id, to: "queued", reason: reason)
                }
                continue
            }
            if active, row.testID == nil, let address = row.address, channels[address]?.abilities.simulated == false {
                try await bindNextFile(on: address, to: id)
            }
        }
        // A test a released reservation's command started anyway (the command was already on
        // its way): the cell is back in the queue or elsewhere, so that channel is stopped.
        for (address, test) in runningTests.sorted(by: { $0.key < $1.key }) {
            guard let requestID = test.requestID, let row = requests[requestID], row.testID != test.testID else { continue }
            _ = try await connection.query("""
                INSERT INTO commands (agent_id, channel_id, test_id, action, reason)
                SELECT \(address.agentID), \(address.channelID), \(test.testID)::uuid, 'stop_channel', 'its reservation was released'
                WHERE NOT EXISTS (SELECT 1 FROM commands WHERE test_id = \(test.testID)::uuid AND action = 'stop_channel')
                """, logger: logger).collect()
            logger.warning("stopping a test started from a released reservation", metadata: ["channel": "\(address)", "test": "\(test.testID)"])
        }
    }

    /// The next file on a reserved real channel is its load: the first test stored on the
    /// channel after the reservation and bound to no request (running or already ended: a
    /// short file may be read whole between two rounds) gets the request's cell and the study's
    /// attributes, and the load request is resolved.
    private mutating func bindNextFile(on address: ChannelAddress, to requestID: String) async throws {
        let rows = try await connection.query("""
            SELECT t.test_id::text, t.ended_at IS NOT NULL, t.end_reason, t.attributes ->> 'source_file'
            FROM tests t, cell_requests r
            WHERE r.request_id = \(requestID) AND t.agent_id = \(address.agentID) AND t.channel_id = \(address.channelID)
              AND t.registered_at >= r.assigned_at
              AND NOT EXISTS (SELECT 1 FROM cell_requests b WHERE b.test_id = t.test_id)
            ORDER BY t.registered_at, t.test_id LIMIT 1
            """, logger: logger)
        for try await (testID, ended, endReason, sourceFile) in rows.decode((String, Bool, String?, String?).self) {
            try await bindFile(testID: testID, sourceFile: sourceFile, to: requestID)
            requests[requestID]?.testEnded = ended
            requests[requestID]?.endReason = endReason
        }
    }

    private mutating func bindFile(testID: String, sourceFile: String?, to requestID: String) async throws {
        guard var row = requests[requestID], let address = row.address, let group = groups[groupKey(row.request)] else { return }
        let attributes = try Self.jsonText(testAttributes(for: row.request, group: group.plan, cell: cells[row.request.cellID]))
        _ = try await connection.query("""
            UPDATE tests SET cell_id = \(row.request.cellID),
                   attributes = jsonb_build_object('source_cell_id', cell_id) || attributes || \(attributes)::jsonb
            WHERE test_id = \(testID)::uuid
            """, logger: logger).collect()
        _ = try await connection.query("""
            UPDATE cell_requests SET test_id = \(testID)::uuid WHERE request_id = \(requestID)
            """, logger: logger).collect()
        if row.state == "assigned" {
            _ = try await connection.query("""
                INSERT INTO channel_loads (agent_id, channel_id, cell_id, request_id, test_id, how, loaded_by, note)
                VALUES (\(address.agentID), \(address.channelID), \(row.request.cellID), \(requestID), \(testID)::uuid, 'file',
                        'file', \(sourceFile))
                """, logger: logger).collect()
        } else {
            _ = try await connection.query("""
                UPDATE channel_loads SET test_id = \(testID)::uuid
                WHERE load_id = (SELECT max(load_id) FROM channel_loads WHERE request_id = \(requestID))
                """, logger: logger).collect()
        }
        row.testID = testID
        row.testExists = true
        requests[requestID] = row
        logger.info("a file confirmed a load", metadata: ["channel": "\(address)", "cell": "\(row.request.cellID)", "test": "\(testID)"])
    }

    // MARK: - The core, rebuilt

    private mutating func restore(into scheduler: inout FleetScheduler) -> [FleetScheduler.Event] {
        var onChannel: [ChannelAddress: RequestRow] = [:]
        for row in requests.values where row.state == "assigned" || row.state == "running" {
            if let address = row.address { onChannel[address] = row }
        }
        var events: [FleetScheduler.Event] = []
        for address in channels.keys.sorted() {
            let channel = channels[address]!
            let row = onChannel[address]
            var state: FleetScheduler.ChannelState
            if let row {
                state = row.state == "assigned" ? .reserved : (stopping.contains(address) ? .stopping : .running)
            } else {
                state = runningTests[address] == nil ? .idle : .running
            }
            if !channel.online { state = .offline }
            scheduler.restore(
                address, abilities: channel.abilities, state: state, request: row?.request, testID: row?.testID,
                reservedUntil: row?.reservedUntil, held: channel.held)
            guard let row else { continue }
            if row.state == "assigned", row.testExists, let testID = row.testID {
                events.append(.testStarted(address, testID: testID))
            }
            if row.testEnded, let testID = row.testID {
                events.append(.testEnded(address, testID: testID))
            }
        }
        for row in requests.values.sorted(by: { $0.request.id < $1.request.id }) where row.state == "queued" {
            events.append(.queued(row.request))
        }
        return events
    }

    private func restoreProgress() -> [String: StudyProgress] {
        var progress: [String: StudyProgress] = [:]
        for (name, plan) in studies {
            var restored: [String: StudyProgress.GroupState] = [:]
            for group in plan.groups {
                var state = StudyProgress.GroupState(nextStock: stockAsked["\(name)/\(group.name)"] ?? 0)
                for row in requests.values where row.request.study == name && row.request.group == group.name {
                    switch row.state {
                    case "queued", "assigned", "running": state.inFlight.insert(row.request.cellID)
                    case "finished":
                        let verdict = row.verdict.flatMap(StudyProgress.Verdict.init(rawValue:)) ?? .aborted
                        state.verdicts[row.request.cellID] = verdict
                        switch verdict {
                        case .conclusive: state.conclusive += 1
                        case .failed:
                            state.conclusive += 1
                            state.failed += 1
                        case .infant, .aborted, .damaged: state.replaced += 1
                        }
                    default: break
                    }
                }
                restored[group.name] = state
            }
            progress[name] = StudyProgress(plan: plan, restoring: restored, nextSubmitted: 0)
        }
        return progress
    }

    // MARK: - Decisions, written

    /// Writes a decision; returns the events it makes (a replacement queued).
    private mutating func apply(_ decision: FleetScheduler.Decision, progress: inout [String: StudyProgress]) async throws -> [FleetScheduler.Event] {
        switch decision {
        case .assign(let request, let address):
            try await assign(request, to: address)
        case .reservationReleased(let request, let address, _):
            let who = channels[address]?.abilities.simulated == true ? "the agent did not start it" : "nobody confirmed the load"
            try await release(request.id, to: "queued", reason: "the reservation of \(address) ran out: \(who)")
        case .finished(let request, let address, let testID):
            if let replacement = try await finish(request, on: address, testID: testID, progress: &progress),
               try await queue(replacement, group: groupKey(replacement)) {
                return [.queued(requests[replacement.id]!.request)]
            }
        }
        return []
    }

    private mutating func assign(_ request: CellRequest, to address: ChannelAddress) async throws {
        guard let channel = channels[address], let group = groups[groupKey(request)] else { return }
        let simulated = channel.abilities.simulated
        let timeout = simulated ? settings.startTimeoutSeconds : settings.loadTimeoutSeconds
        var commandID: Int64?
        var loadAlertID: Int64?
        var testID: String?
        if simulated {
            let minted = UUID().uuidString.lowercased()
            testID = minted
            let body = try startTest(request, testID: minted, channelID: address.channelID, group: group.plan).jsonString()
            let rows = try await connection.query("""
                INSERT INTO commands (agent_id, channel_id, action, reason, body)
                VALUES (\(address.agentID), \(address.channelID), 'start_test', \("scheduled: \(request.id)"), \(body)::jsonb)
                RETURNING command_id
                """, logger: logger)
            for try await id in rows.decode(Int64.self) { commandID = id }
        } else {
            let message = "load cell \(request.cellID) on channel \(address), schedule \(request.protocolToRun)"
            let evidence = try Self.jsonText([
                "request_id": request.id, "cell_id": request.cellID, "protocol": request.protocolToRun.description,
                "study": request.study, "group": request.group,
            ])
            let rows = try await connection.query("""
                INSERT INTO alerts (test_id, agent_id, channel_id, cell_id, rule, severity, message, evidence, source)
                VALUES (NULL, \(address.agentID), \(address.channelID), \(request.cellID), 'L1', 'info', \(message), \(evidence)::jsonb, 'scheduler')
                RETURNING alert_id
                """, logger: logger)
            for try await id in rows.decode(Int64.self) { loadAlertID = id }
        }
        let rows = try await connection.query("""
            UPDATE cell_requests SET state = 'assigned', agent_id = \(address.agentID), channel_id = \(address.channelID),
                   test_id = \(testID)::uuid, command_id = \(commandID), load_alert_id = \(loadAlertID), assigned_at = now(),
                   reserved_until = now() + make_interval(secs => \(timeout))
            WHERE request_id = \(request.id) AND state = 'queued'
            RETURNING request_id
            """, logger: logger)
        var updated = 0
        for try await _ in rows.decode(String.self) { updated += 1 }
        guard updated == 1 else { throw SchedulerConflict(description: "request \(request.id) was not queued when assigned") }
        try await setCell(request.cellID, state: "assigned")
        requests[request.id]?.state = "assigned"
        requests[request.id]?.address = address
        requests[request.id]?.testID = testID
        requests[request.id]?.assignedAt = now
        requests[request.id]?.testExists = false
        report.assigned += 1
        logger.info("assigned a cell", metadata: [
            "cell": "\(request.cellID)", "channel": "\(address)", "request": "\(request.id)", "protocol": "\(request.protocolToRun)",
            "how": "\(simulated ? "start_test command" : "load request to a person")"])
    }

    /// A reservation ends without a test: the request goes back to the queue in its place (or is
    /// withdrawn), its load request is resolved, its unsent start_test failed.
    private mutating func release(_ requestID: String, to state: String, reason: String, cellState: String? = nil) async throws {
        guard let row = requests[requestID] else { return }
        _ = try await connection.query("""
            UPDATE commands SET state = 'failed', result_ok = false, completed_at = now(), result_message = \("withdrawn: \(reason)")
            WHERE command_id = (SELECT command_id FROM cell_requests WHERE request_id = \(requestID)) AND state = 'pending'
            """, logger: logger).collect()
        _ = try await connection.query("""
            UPDATE alerts SET state = 'resolved', resolved_at = now(), resolved_by = 'scheduler', note = \(reason)
            WHERE alert_id = (SELECT load_alert_id FROM cell_requests WHERE request_id = \(requestID)) AND state <> 'resolved'
            """, logger: logger).collect()
        _ = try await connection.query("""
            UPDATE cell_requests SET state = \(state), agent_id = NULL, channel_id = NULL, test_id = NULL, command_id = NULL,
                   load_alert_id = NULL, reserved_until = NULL, assigned_at = NULL, note = \(reason),
                   releases = releases + \(row.state == "assigned" ? 1 : 0)
            WHERE request_id = \(requestID)
            """, logger: logger).collect()
        try await setCell(row.request.cellID, state: cellState ?? (state == "queued" ? "queued" : "in_stock"))
        if cellState == "retired" {
            _ = try await connection.query("UPDATE cells SET note = \(reason) WHERE cell_id = \(row.request.cellID)", logger: logger).collect()
        }
        requests[requestID]?.state = state
        requests[requestID]?.address = nil
        requests[requestID]?.testID = nil
        requests[requestID]?.testExists = false
        requests[requestID]?.testEnded = false
        if row.state == "assigned" { requests[requestID]?.releases += 1 }
        report.released += 1
        logger.notice("released a reservation", metadata: ["request": "\(requestID)", "reason": "\(reason)", "now": "\(state)"])
    }

    private mutating func started(_ requestID: String) async throws {
        guard let row = requests[requestID], let address = row.address else { return }
        _ = try await connection.query("""
            UPDATE cell_requests r SET state = 'running', reserved_until = NULL,
                   started_at = COALESCE((SELECT started_at FROM tests t WHERE t.test_id = r.test_id), now())
            WHERE request_id = \(requestID) AND state = 'assigned'
            """, logger: logger).collect()
        if channels[address]?.abilities.simulated == true {
            _ = try await connection.query("""
                INSERT INTO channel_loads (agent_id, channel_id, cell_id, request_id, test_id, how, loaded_by)
                VALUES (\(address.agentID), \(address.channelID), \(row.request.cellID), \(requestID), \(row.testID)::uuid, 'command', 'scheduler')
                """, logger: logger).collect()
        }
        _ = try await connection.query("""
            UPDATE alerts SET state = 'resolved', resolved_at = now(), resolved_by = 'scheduler', note = 'loaded: its test started'
            WHERE alert_id = \(row.loadAlertID) AND state <> 'resolved'
            """, logger: logger).collect()
        try await setCell(row.request.cellID, state: "on_test")
        requests[requestID]?.state = "running"
        report.started += 1
    }

    /// Records the verdict; returns the replacement the replicate policy asks for, if any.
    private mutating func finish(_ request: CellRequest, on address: ChannelAddress, testID: String?, progress: inout [String: StudyProgress]) async throws -> CellRequest? {
        guard let row = requests[request.id] else { return nil }
        var outcome = StudyProgress.Outcome(endReason: row.endReason)
        if let testID = testID ?? row.testID {
            let rows = try await connection.query("""
                SELECT rule, test_time_s, cycle_index FROM alerts
                WHERE test_id = \(testID)::uuid AND severity = 'fail' AND source = 'detector'
                ORDER BY test_time_s NULLS LAST, alert_id LIMIT 1
                """, logger: logger)
            for try await (rule, testTime, cycle) in rows.decode((String, Double?, Int?).self) {
                outcome.failRule = rule
                outcome.failAtHours = testTime.map { $0 / 3600 }
                outcome.failAtCycle = cycle
            }
        }
        let judged = progress[request.study]?.testFinished(cellID: request.cellID, group: request.group, outcome: outcome)
        let verdict = judged?.verdict ?? StudyProgress.Verdict.conclusive
        var outcomeObject: [String: Any] = ["end_reason": row.endReason ?? NSNull()]
        outcomeObject["fail_rule"] = outcome.failRule ?? NSNull()
        outcomeObject["fail_at_hours"] = outcome.failAtHours ?? NSNull()
        outcomeObject["fail_at_cycle"] = outcome.failAtCycle ?? NSNull()
        let outcomeJSON = try Self.jsonText(outcomeObject)
        _ = try await connection.query("""
            UPDATE cell_requests SET state = 'finished', verdict = \(verdict.rawValue), outcome = \(outcomeJSON)::jsonb,
                   finished_at = now(), reserved_until = NULL
            WHERE request_id = \(request.id)
            """, logger: logger).collect()
        try await setCell(request.cellID, state: verdict == .conclusive || verdict == .aborted ? "done" : "failed")
        requests[request.id]?.state = "finished"
        requests[request.id]?.verdict = verdict.rawValue
        report.finished += 1
        logger.info("a scheduled test finished", metadata: [
            "cell": "\(request.cellID)", "channel": "\(address)", "verdict": "\(verdict.rawValue)", "fail_rule": "\(outcome.failRule ?? "none")"])
        return judged?.replacement
    }

    /// A replacement or a further replicate, into the queue (false if that request exists).
    private mutating func queue(_ request: CellRequest, group key: String) async throws -> Bool {
        guard let group = groups[key] else { return false }
        let rows = try await connection.query("""
            INSERT INTO cell_requests (request_id, cell_id, study_name, group_name, protocol, requirements, priority)
            VALUES (\(request.id), \(request.cellID), \(request.study), \(request.group), \(request.protocolToRun.description),
                    \(group.requirementsJSON)::jsonb, \(request.priority))
            ON CONFLICT (request_id) DO NOTHING
            RETURNING submitted
            """, logger: logger)
        var submitted: Int64?
        for try await value in rows.decode(Int64.self) { submitted = value }
        guard let submitted else { return false }
        try await setCell(request.cellID, state: "queued")
        var queued = request
        queued.submitted = UInt64(max(0, submitted))
        requests[request.id] = RequestRow(
            request: queued, state: "queued", testExists: false, testEnded: false, releases: 0)
        report.queued += 1
        logger.info("queued a cell", metadata: ["cell": "\(request.cellID)", "request": "\(request.id)"])
        return true
    }

    private func setCell(_ cellID: String, state: String) async throws {
        _ = try await connection.query("""
            UPDATE cells SET state = \(state), updated_at = now() WHERE cell_id = \(cellID) AND state IS DISTINCT FROM \(state)
            """, logger: logger).collect()
    }

    /// The scheduler owns channel state: each channel's row, written when it changed.
    private func writeChannelStates(_ scheduler: FleetScheduler) async throws {
        var agents: [String] = [], channelIDs: [String] = [], states: [String] = [], requestIDs: [String] = [], cellIDs: [String] = [], testIDs: [String] = []
        for (address, slot) in scheduler.channels {
            let test = slot.testID ?? (slot.request == nil ? runningTests[address]?.testID : nil)
            let state = StoredChannelState(state: slot.state.rawValue, requestID: slot.request?.id, cellID: slot.request?.cellID, testID: test)
            guard channels[address]?.stored != state else { continue }
            agents.append(address.agentID)
            channelIDs.append(address.channelID)
            states.append(state.state)
            requestIDs.append(state.requestID ?? "")
            cellIDs.append(state.cellID ?? "")
            testIDs.append(state.testID ?? "")
        }
        guard !agents.isEmpty else { return }
        _ = try await connection.query("""
            INSERT INTO channel_schedule AS s (agent_id, channel_id, state, request_id, cell_id, test_id)
            SELECT a, c, st, NULLIF(r, ''), NULLIF(ce, ''), NULLIF(t, '')::uuid
            FROM unnest(\(agents)::text[], \(channelIDs)::text[], \(states)::text[], \(requestIDs)::text[], \(cellIDs)::text[], \(testIDs)::text[])
                 AS u(a, c, st, r, ce, t)
            ON CONFLICT (agent_id, channel_id) DO UPDATE SET
                state = EXCLUDED.state, request_id = EXCLUDED.request_id, cell_id = EXCLUDED.cell_id, test_id = EXCLUDED.test_id,
                since = CASE WHEN s.state IS DISTINCT FROM EXCLUDED.state THEN now() ELSE s.since END, updated_at = now()
            """, logger: logger).collect()
    }

    private func writeStudyStates(_ progress: [String: StudyProgress]) async throws {
        for (name, study) in progress where studyStates[name] != "withdrawn" {
            let state = study.state.rawValue
            guard state != studyStates[name] else { continue }
            _ = try await connection.query("""
                UPDATE studies SET state = \(state), state_changed_at = now() WHERE study_name = \(name) AND state <> 'withdrawn'
                """, logger: logger).collect()
            logger.notice("a study changed state", metadata: ["study": "\(name)", "state": "\(state)"])
        }
    }

    // MARK: - Helpers

    static let simulatedMake = "simulated"

    private func groupKey(_ request: CellRequest) -> String { "\(request.study)/\(request.group)" }

    /// A scheduled test's attributes (the contract): the cell's, the group's, and `study`,
    /// `group`, `on_fail` (the safety stop reads it) and `request_id`.
    private func testAttributes(for request: CellRequest, group: StudyProgress.GroupPlan, cell: CellRow?) -> [String: String] {
        var attributes = cell?.attributes ?? [:]
        attributes.merge(group.attributes) { _, group in group }
        attributes["study"] = request.study
        attributes["group"] = request.group
        attributes["on_fail"] = group.onFail
        attributes["request_id"] = request.id
        return attributes
    }

    private func startTest(_ request: CellRequest, testID: String, channelID: String, group: StudyProgress.GroupPlan) -> Cellfleet_Wire_V1_StartTest {
        var start = Cellfleet_Wire_V1_StartTest()
        start.testID = testID
        start.channelID = channelID
        start.protocol = request.protocolToRun.description
        start.durationS = (group.durationHours ?? 0) * 3600
        var cell = Cellfleet_Wire_V1_Cell()
        cell.cellID = request.cellID
        let row = cells[request.cellID]
        switch row?.cellType {
        case "symmetric": cell.cellType = .symmetric
        case "full": cell.cellType = .full
        case "half": cell.cellType = .half
        default: break
        }
        cell.electrodeAreaM2 = row?.areaSquareMeters ?? 0
        cell.activeMassKg = row?.massKilograms ?? 0
        cell.nominalCapacityAh = row?.capacityAmpHours ?? 0
        cell.attributes = testAttributes(for: request, group: group, cell: row)
        start.cell = cell
        return start
    }

    static func stringMap(_ json: String) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return [:] }
        var map: [String: String] = [:]
        for (key, value) in object { map[key] = value as? String ?? "\(value)" }
        return map
    }

    static func jsonText(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// What a round did, for logs and tests.
public struct SchedulerRoundReport: Sendable, Equatable {
    public var assigned = 0
    public var released = 0
    public var started = 0
    public var finished = 0
    public var queued = 0
}

struct SchedulerConflict: Error, CustomStringConvertible {
    var description: String
}

extension TestProtocol {
    var requirements: ChannelRequirements {
        if case .vendor(_, let requirements) = self { return requirements }
        return ChannelRequirements()
    }
}
