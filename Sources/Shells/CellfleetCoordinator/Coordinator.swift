import CellModel
import Foundation
import DeliveryProtocol
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import WireProtocol
import ZeroMQ

/// The coordinator: a ROUTER socket in front of PostgreSQL. It validates what agents send,
/// commits deliveries in group transactions, and acknowledges each delivery only after the
/// COMMIT that made it durable. A bad message is refused alone, counted and logged; the other
/// agents' deliveries carry on.
///
/// A `Service`: run it in a `ServiceGroup` after the `PostgresClient` (a graceful shutdown stops
/// it; an open transaction rolls back and its deliveries, never acknowledged, are re-sent), or
/// call `run()` in a task and cancel it.
///
/// What it holds is bounded: the socket's inbox (`ZMQInbox`), the deliveries read and not yet
/// answered (`GroupCommitQueue`: the credit per agent, samples and bytes per agent and in all)
/// and the hellos waiting to be registered (`AgentRegistrationQueue`). The rules are those pure
/// values'; this actor only moves messages between them, the socket and the database.
public actor Coordinator: Service {
    public nonisolated let statistics = IngestStatistics()
    let configuration: CoordinatorConfiguration
    let client: PostgresClient
    let logger: Logger

    enum Lifecycle {
        case idle
        case starting
        case running(Link)
        case finished
    }

    /// The socket and what authenticates it, while running.
    struct Link: Sendable {
        let context: ZMQContext
        let socket: ZMQSocketLoop
        let authentication: AgentAuthentication?
    }

    /// A hello to register: what the agent said, where to answer, the version agreed.
    private struct HelloRequest: Sendable, Equatable {
        var hello: Cellfleet_Wire_V1_Hello
        var routingID: [UInt8]
        var version: UInt32
    }

    private(set) var lifecycle = Lifecycle.idle
    private var readyWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var lastReadyWaiter = 0
    private var queue: GroupCommitQueue<[UInt8]>
    private var registrations: AgentRegistrationQueue<HelloRequest>
    /// Registrations decided and not yet started by the registration loop.
    private var registrationsToStart: [(agentID: String, request: HelloRequest)] = []
    /// As of the last COMMIT (a transaction works on copies).
    private var stages: [any CommitStage]
    private let writerWakeups: AsyncStream<Void>
    private let wakeWriter: AsyncStream<Void>.Continuation
    private let roomWakeups: AsyncStream<Void>
    private let wakeReader: AsyncStream<Void>.Continuation
    private let registrationWakeups: AsyncStream<Void>
    private let wakeRegistrations: AsyncStream<Void>.Continuation
    let commandWakeups: AsyncStream<Void>
    let wakeCommands: AsyncStream<Void>.Continuation
    let presenceWakeups: AsyncStream<Void>
    let wakePresence: AsyncStream<Void>.Continuation
    /// Agents heard from since their presence was last written (`Coordinator+Presence`).
    var agentsHeard: Set<String> = []
    /// The agents welcomed here and where to reach them (the last connection each said hello on).
    var connectedAgents: [String: [UInt8]] = [:]
    /// When each agent was last heard (any message), for `cellfleet_agents_connected`.
    var lastHeardAt: [String: ContinuousClock.Instant] = [:]
    /// When each delivery held for commit was read, for `cellfleet_ingest_commit_latency_seconds`.
    private var receivedAt: [GroupCommitQueue<[UInt8]>.Ticket: ContinuousClock.Instant] = [:]
    /// Deliveries the database refused on their own, and how often (`unstorable`).
    private var failuresAlone: [String: (failures: Int, commitsBefore: Int)] = [:]
    /// Group commits that succeeded, over this run (for `unstorable`).
    private var commitsSucceeded = 0
    /// Refusals are logged at most a few a minute per kind and agent (`LogThrottle`).
    private var refusalLogs = LogThrottle<ContinuousClock>()

    public struct AlreadyRun: Error, CustomStringConvertible {
        public var description: String { "a coordinator runs once; make a new one" }
    }

    /// - Parameter stages: run inside every group commit's transaction (`CommitStage`).
    public init(configuration: CoordinatorConfiguration, client: PostgresClient, stages: [any CommitStage] = [],
                logger: Logger = Logger(label: "cellfleet.coordinator")) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        self.stages = stages
        queue = GroupCommitQueue(limits: configuration.ingestLimits)
        registrations = AgentRegistrationQueue(maximumConcurrent: configuration.maximumConcurrentRegistrations)
        (writerWakeups, wakeWriter) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        (roomWakeups, wakeReader) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        (registrationWakeups, wakeRegistrations) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        (commandWakeups, wakeCommands) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        (presenceWakeups, wakePresence) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Returns once the schema is migrated and the socket is bound — or once `run()` has ended,
    /// if it failed before that.
    public func waitUntilReady() async {
        switch lifecycle {
        case .running, .finished: return
        case .idle, .starting:
            // Cancellable: a service waiting here for a coordinator that waits for its database
            // must let a shutdown through (it held SIGTERM up for ever).
            lastReadyWaiter += 1
            let id = lastReadyWaiter
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    if Task.isCancelled { continuation.resume() } else { readyWaiters[id] = continuation }
                }
            } onCancel: {
                Task { await self.releaseReadyWaiter(id) }
            }
        }
    }

    private func releaseReadyWaiter(_ id: Int) {
        readyWaiters.removeValue(forKey: id)?.resume()
    }

    /// The commit stages as of the last COMMIT.
    public var committedStages: [any CommitStage] { stages }

    /// Deliveries read and not yet answered, per agent and in all.
    public func pendingUsage(of agentID: String? = nil) -> GroupCommitQueue<[UInt8]>.Usage {
        agentID.map { queue.usage(of: $0) } ?? queue.total
    }

    /// Runs until cancelled or a graceful shutdown. The PostgresClient must be running.
    public func run() async throws {
        guard case .idle = lifecycle else { throw AlreadyRun() }
        lifecycle = .starting
        let link: Link
        do {
            link = try await start()
        } catch {
            finish()
            throw error
        }
        lifecycle = .running(link)
        readyWaiters.values.forEach { $0.resume() }
        readyWaiters.removeAll()

        let stop: @Sendable () -> Void = { [wakeWriter, wakeReader, wakeRegistrations, wakeCommands, wakePresence] in
            link.socket.stop()
            wakeWriter.finish()
            wakeReader.finish()
            wakeRegistrations.finish()
            wakeCommands.finish()
            wakePresence.finish()
        }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withDiscardingTaskGroup { group in
                    group.addTask { await self.receive(from: link) }
                    group.addTask { await self.writeLoop() }
                    group.addTask { await self.registrationLoop() }
                    group.addTask { await self.commandLoop(link) }
                    group.addTask { [wakeCommands, configuration] in
                        await Self.tick(wakeCommands, everySeconds: configuration.commandPollSeconds)
                    }
                    group.addTask { await self.presenceLoop() }
                    // Often, so a shutdown is not held up by a long sleep; the loop writes once a period.
                    group.addTask { [wakePresence, configuration] in
                        await Self.tick(wakePresence, everySeconds: min(0.25, configuration.presenceWriteSeconds))
                    }
                }
            } onCancel: {
                stop()
            }
        } onGracefulShutdown: {
            stop()
        }
        link.authentication?.stop()
        link.context.terminate()
        finish()
    }

    /// Wakes a periodic loop (commands, presence) every `everySeconds` (at least 50 ms) until
    /// its stream is finished, which the coordinator's stop does.
    static func tick(_ wake: AsyncStream<Void>.Continuation, everySeconds: Double) async {
        let period = Duration.milliseconds(Int64(max(0.05, everySeconds) * 1000))
        while true {
            if case .terminated = wake.yield() { return }
            try? await Task.sleep(for: period)
        }
    }

    private func finish() {
        lifecycle = .finished
        readyWaiters.values.forEach { $0.resume() }
        readyWaiters.removeAll()
    }

    private func start() async throws -> Link {
        let directory = try SchemaMigrations.locateDirectory(explicit: configuration.schemasDirectory)
        let migrations = try SchemaMigrations(directory: directory)
        try await cancelWhenGracefulShutdown {
            try await migrations.applyWhenTheDatabaseAnswers(client: self.client, database: self.configuration.database, logger: self.logger)
        }
        let context = try ZMQContext()
        let authentication: AgentAuthentication?
        do {
            authentication = try AgentAuthentication.start(configuration: configuration, context: context, logger: logger)
        } catch {
            context.terminate()
            throw error
        }
        let statistics = self.statistics
        let logger = self.logger
        let configuration = self.configuration
        let socket: ZMQSocketLoop
        do {
            socket = try ZMQSocketLoop(
                name: "coordinator-router", context: context,
                inboundLimits: ZMQInbox.Limits(messages: configuration.inboundMessages, bytes: configuration.inboundBytes),
                whenPeerFull: .drop,
                configure: { context in
                    let socket = try ZMQSocket(context: context, type: .router)
                    // Without it the ROUTER silently drops replies to peers that are gone or full.
                    try socket.setRouterMandatory(true)
                    // A restarted agent reconnecting with its routing id takes over the old connection.
                    try socket.setRouterHandover(true)
                    try socket.setLinger(milliseconds: 0)
                    // Never ZMTP heartbeats: they cut a connection we push back on (ZMQConnectionLiveness).
                    try socket.detectDeadConnectionsByKeepalive()
                    // The receive mark is per connection: what libzmq holds for one agent while
                    // the inbox is full, before TCP pushes back on it.
                    try socket.setHighWaterMarks(send: 10_000, receive: configuration.receiveHighWaterMark)
                    // Larger than any message of any kind may be: libzmq drops the connection on
                    // its length header, before a byte of it is held (WireMessageLimits).
                    try socket.setMaximumMessageSize(bytes: Int64(WireMessageLimits.largestMessageBytes + 4096))
                    try authentication?.configureServer(socket)
                    try socket.bind(configuration.listenEndpoint)
                    return socket
                },
                onSendFailure: { failure in
                    statistics.record(\.repliesUndeliverable, metric: "replies_undeliverable")
                    logger.debug("a reply could not be delivered; the agent will re-send", metadata: ["failure": "\(failure)"])
                })
        } catch {
            authentication?.stop()
            context.terminate()
            throw error
        }
        logger.info("coordinator listening", metadata: ["endpoint": "\(configuration.listenEndpoint)"])
        return Link(context: context, socket: socket, authentication: authentication)
    }

    // MARK: receiving

    /// Reads while the queue has room; when it is full, waits for commits to make some, and the
    /// socket's inbox and high-water marks push back on the agents meanwhile.
    private func receive(from link: Link) async {
        var room = roomWakeups.makeAsyncIterator()
        for await message in link.socket.messages {
            handle(message, link: link)
            // While messages keep coming, `next()` never suspends; without this the reader would
            // hold the actor and starve the writer and the registrations (a flood would stop
            // every agent's acknowledgements).
            await Task.yield()
            while !queue.hasRoom {
                statistics.record(\.readPauses, metric: "read_pauses")
                guard await room.next() != nil else { return }
            }
        }
        wakeWriter.finish()
    }

    private func handle(_ message: ZMQMessage, link: Link) {
        statistics.record(\.messagesReceived, metric: "messages_received")
        guard message.frames.count == 2 else {
            statistics.record(\.malformedMessages, metric: "malformed_messages")
            logRefusal("refusing a message that is not one frame", metadata: ["frames": "\(message.frames.count)"])
            if let routingID = message.frames.first {
                reply(to: routingID, error: .malformed, "expected exactly one frame holding an Envelope", on: link)
            }
            return
        }
        let routingID = message.frames[0]
        if let authentication = link.authentication, let refusal = authentication.refusal(for: message) {
            reply(to: routingID, error: .unspecified, refusal, on: link)
            authentication.cut(connectionOf: message, because: refusal)
            return
        }
        let agentID = message.userID ?? String(decoding: routingID, as: UTF8.self)
        if let problem = DeliveryValidator.agentIDProblem(agentID) {
            statistics.record(\.malformedMessages, metric: "malformed_messages")
            logRefusal("refusing a message from a connection without a usable agent id; set ZMQ_ROUTING_ID to the agent id",
                           metadata: ["problem": "\(problem)", "id_bytes": "\(routingID.count)"])
            reply(to: routingID, error: .malformed, problem + "; set the DEALER's routing id (ZMQ_ROUTING_ID) to your agent id", on: link)
            return
        }
        if queue.usage(of: agentID).deliveries > 0, let refusal = refusalBeforeDecoding(message.frames[1], agentID: agentID) {
            refuseBeyondCredit(refusal.refusal, deliveryID: refusal.deliveryID, routingID: routingID, agentID: agentID, link: link)
            return
        }
        if let problem = WireMessageLimits.problem(message.frames[1]) {
            statistics.record(\.malformedMessages, metric: "malformed_messages")
            logRefusal("refusing a message larger than its kind may be", metadata: ["agent": "\(agentID.prefix(64))", "problem": "\(problem)"])
            reply(to: routingID, error: .malformed, problem, deliveryID: WireDeliveryPeek.peek(message.frames[1])?.deliveryID ?? 0, on: link)
            return
        }
        let envelope: WireEnvelope
        do {
            envelope = try WireEnvelope(serializedBytes: message.frames[1])
        } catch {
            statistics.record(\.malformedMessages, metric: "malformed_messages")
            logRefusal("refusing a frame that is not a wire Envelope", metadata: ["agent": "\(agentID)", "bytes": "\(message.frames[1].count)"])
            reply(to: routingID, error: .malformed, "the frame is not a cellfleet Envelope: \(error)", on: link)
            return
        }
        // A hello is read whatever its envelope version: its version range is what is negotiated.
        guard configuration.supportedProtocolVersions.contains(envelope.protocolVersion) || envelope.isHello else {
            statistics.record(\.unsupportedProtocolVersion, metric: "unsupported_protocol_version")
            logRefusal("refusing a message of an unsupported protocol version",
                           metadata: ["agent": "\(agentID)", "version": "\(envelope.protocolVersion)"])
            reply(to: routingID, error: .unsupportedProtocolVersion,
                  "protocol version \(envelope.protocolVersion) is not supported; this coordinator speaks \(configuration.supportedProtocolVersions)",
                  on: link)
            return
        }
        // Anything readable from the agent says it is there (fleet health, F2).
        agentsHeard.insert(agentID)
        lastHeardAt[agentID] = ContinuousClock.now
        // An agent that said hello to a coordinator before this one (this one restarted, or took
        // over its endpoint) carries on without a new hello: ZeroMQ reconnected under it. Its
        // route is learnt from what it sends, so its commands (a safety stop, a scheduled start)
        // reach it — not only after its next hello.
        if !envelope.isHello, connectedAgents[agentID] != routingID {
            connectedAgents[agentID] = routingID
            wakeCommands.yield()
        }
        let bytes = message.frames[1].count
        switch envelope.body {
        case .hello(let hello):
            statistics.record(\.hellos, metric: "hellos")
            received(hello, routingID: routingID, agentID: agentID, link: link)
        case .heartbeat(let received):
            AgentSpoolMetrics.record(received, agentID: agentID)
            var heartbeat = Cellfleet_Wire_V1_Heartbeat()
            heartbeat.unixTimeS = Date().timeIntervalSince1970
            send(to: routingID, WireEnvelope(.heartbeat(heartbeat)), on: link)
        case .testStart(let start):
            if let problem = DeliveryValidator.validate(start) {
                statistics.record(\.malformedMessages, metric: "malformed_messages")
                logRefusal("refusing a malformed test start", metadata: ["agent": "\(agentID)", "problem": "\(problem)"])
                reply(to: routingID, error: .malformed, problem, deliveryID: start.deliveryID, on: link)
                return
            }
            offer(routingID: routingID, agentID: agentID, deliveryID: start.deliveryID, testID: start.testID, body: .start(start), bytes: bytes, link: link)
        case .sampleBatch(let batch):
            if let problem = DeliveryValidator.validate(batch) {
                statistics.record(\.malformedMessages, metric: "malformed_messages")
                logRefusal("refusing a malformed sample batch", metadata: ["agent": "\(agentID)", "problem": "\(problem)"])
                reply(to: routingID, error: .malformed, problem, deliveryID: batch.deliveryID, on: link)
                return
            }
            offer(routingID: routingID, agentID: agentID, deliveryID: batch.deliveryID, testID: batch.testID, body: .batch(batch), bytes: bytes, link: link)
        case .testEnd(let end):
            if let problem = DeliveryValidator.validate(end) {
                statistics.record(\.malformedMessages, metric: "malformed_messages")
                logRefusal("refusing a malformed test end", metadata: ["agent": "\(agentID)", "problem": "\(problem)"])
                reply(to: routingID, error: .malformed, problem, deliveryID: end.deliveryID, on: link)
                return
            }
            offer(routingID: routingID, agentID: agentID, deliveryID: end.deliveryID, testID: end.testID, body: .end(end), bytes: bytes, link: link)
        case .sourceQuarantined(let quarantine):
            if let problem = DeliveryValidator.validate(quarantine) {
                statistics.record(\.malformedMessages, metric: "malformed_messages")
                logRefusal("refusing a malformed source quarantine", metadata: ["agent": "\(agentID)", "problem": "\(problem)"])
                reply(to: routingID, error: .malformed, problem, deliveryID: quarantine.deliveryID, on: link)
                return
            }
            // About a file, not a test's samples: it moves no mark (its test id is for people).
            offer(IngestDelivery(agentID: agentID, deliveryID: quarantine.deliveryID, testID: nil, body: .quarantine(quarantine)),
                  routingID: routingID, bytes: bytes, link: link)
        case .commandResult(let result):
            logger.info("command result", metadata: ["agent": "\(agentID)", "command": "\(result.commandID)", "ok": "\(result.ok)", "message": "\(result.message)"])
            received(result, from: agentID)
        case .welcome, .ack, .error, .command, nil:
            statistics.record(\.malformedMessages, metric: "malformed_messages")
            reply(to: routingID, error: .malformed, "agents do not send this kind of message", on: link)
        }
    }

    private func offer(routingID: [UInt8], agentID: String, deliveryID: UInt64, testID: String, body: IngestDelivery.Body, bytes: Int, link: Link) {
        guard let uuid = UUID(uuidString: testID) else {
            statistics.record(\.malformedMessages, metric: "malformed_messages")
            reply(to: routingID, error: .malformed, "test id '\(testID)' is not a UUID", deliveryID: deliveryID, on: link)
            return
        }
        offer(IngestDelivery(agentID: agentID, deliveryID: deliveryID, testID: uuid, body: body), routingID: routingID, bytes: bytes, link: link)
    }

    private func offer(_ delivery: IngestDelivery, routingID: [UInt8], bytes: Int, link: Link) {
        switch queue.offer(delivery, bytes: bytes, replyAddress: routingID) {
        case .accepted(let ticket):
            receivedAt[ticket] = ContinuousClock.now
            statistics.record(\.bytesReceived, bytes, metric: "bytes")
            wakeWriter.yield()
        case .coalesced:
            statistics.record(\.deliveriesCoalesced, metric: "deliveries_coalesced")
        case .refused(let refusal):
            refuseBeyondCredit(refusal, deliveryID: delivery.deliveryID, routingID: routingID, agentID: delivery.agentID, link: link)
        }
    }

    /// A delivery from an agent over its credit is refused on its header alone: a flood of large
    /// batches is not decoded only to be dropped.
    private func refusalBeforeDecoding(_ frame: [UInt8], agentID: String) -> (refusal: IngestRefusal, deliveryID: UInt64)? {
        guard let peek = WireDeliveryPeek.peek(frame), configuration.supportedProtocolVersions.contains(peek.protocolVersion),
              let refusal = queue.refusalBeforeDecoding(agentID: agentID, deliveryID: peek.deliveryID, samples: peek.sampleCount, bytes: frame.count)
        else { return nil }
        return (refusal, peek.deliveryID)
    }

    private func refuseBeyondCredit(_ refusal: IngestRefusal, deliveryID: UInt64, routingID: [UInt8], agentID: String, link: Link) {
        statistics.record(\.creditExceeded, metric: "credit_exceeded")
        logRefusal("refused a delivery beyond the agent's credit", metadata: [
            "agent": "\(agentID)", "delivery": "\(deliveryID)", "reason": "\(refusal.message)"])
        reply(to: routingID, error: refusal.code, refusal.message, deliveryID: deliveryID, on: link)
    }

    // MARK: registering agents

    private func received(_ hello: Cellfleet_Wire_V1_Hello, routingID: [UInt8], agentID: String, link: Link) {
        if let problem = DeliveryValidator.validate(hello, agentID: agentID) {
            statistics.record(\.malformedMessages, metric: "malformed_messages")
            logRefusal("refusing a malformed hello", metadata: ["agent": "\(agentID.prefix(64))", "problem": "\(problem)"])
            reply(to: routingID, error: .malformed, problem, on: link)
            return
        }
        let version: UInt32
        switch ProtocolNegotiation.negotiate(
            agentMinimum: hello.minProtocolVersion, agentMaximum: hello.maxProtocolVersion, coordinator: configuration.supportedProtocolVersions) {
        case .agreed(let agreed):
            version = agreed
        case .refused(let message):
            statistics.record(\.unsupportedProtocolVersion, metric: "unsupported_protocol_version")
            logRefusal("refused an agent with no protocol version in common", metadata: ["agent": "\(agentID)", "reason": "\(message)"])
            reply(to: routingID, error: .unsupportedProtocolVersion, message, on: link)
            return
        }
        switch registrations.received(HelloRequest(hello: hello, routingID: routingID, version: version), from: agentID) {
        case .register(let request):
            registrationsToStart.append((agentID, request))
            wakeRegistrations.yield()
        case .queued:
            break
        case .coalesced:
            statistics.record(\.hellosCoalesced, metric: "hellos_coalesced")
        case .dropped:
            statistics.record(\.hellosDropped, metric: "hellos_dropped")
            logger.warning("too many agents waiting to be registered; dropped a hello (the agent says hello again)", metadata: ["agent": "\(agentID)"])
        }
    }

    /// Registers agents in child tasks of its own group (structured: a shutdown waits for them),
    /// as many at once as the registration queue allows.
    private func registrationLoop() async {
        await withDiscardingTaskGroup { group in
            for await _ in registrationWakeups {
                for (agentID, request) in takeRegistrationsToStart() {
                    group.addTask { await self.register(request, agentID: agentID) }
                }
            }
        }
    }

    private func takeRegistrationsToStart() -> [(agentID: String, request: HelloRequest)] {
        defer { registrationsToStart.removeAll() }
        return registrationsToStart
    }

    private func register(_ request: HelloRequest, agentID: String) async {
        defer {
            registrationsToStart += registrations.finished(agentID).map { ($0.agentID, $0.hello) }
            if !registrationsToStart.isEmpty { wakeRegistrations.yield() }
        }
        let hello = request.hello
        do {
            try await client.withTransaction(logger: logger) { connection in
                _ = try await connection.query("""
                    INSERT INTO agents (agent_id, software_version, agent_epoch, protocol_version, last_seen, connected_at, coordinator_id)
                    VALUES (\(agentID), \(hello.softwareVersion), \(Int64(bitPattern: hello.agentEpoch)), \(Int(request.version)), now(), now(),
                            \(configuration.coordinatorID))
                    ON CONFLICT (agent_id) DO UPDATE SET software_version = EXCLUDED.software_version,
                        agent_epoch = EXCLUDED.agent_epoch, protocol_version = EXCLUDED.protocol_version, last_seen = now(),
                        connected_at = now(), coordinator_id = EXCLUDED.coordinator_id
                    """, logger: logger).collect()
                for channel in hello.channels {
                    _ = try await connection.query("""
                        INSERT INTO channels (agent_id, channel_id, cycler_make, cycler_model, current_min_a, current_max_a,
                                              voltage_min_v, voltage_max_v, aux_temperature, updated_at)
                        VALUES (\(agentID), \(channel.channelID), \(channel.cyclerMake), \(channel.cyclerModel),
                                \(channel.currentMinA), \(channel.currentMaxA), \(channel.voltageMinV), \(channel.voltageMaxV),
                                \(channel.auxTemperature), now())
                        ON CONFLICT (agent_id, channel_id) DO UPDATE SET cycler_make = EXCLUDED.cycler_make,
                            cycler_model = EXCLUDED.cycler_model, current_min_a = EXCLUDED.current_min_a,
                            current_max_a = EXCLUDED.current_max_a, voltage_min_v = EXCLUDED.voltage_min_v,
                            voltage_max_v = EXCLUDED.voltage_max_v, aux_temperature = EXCLUDED.aux_temperature, updated_at = now()
                        """, logger: logger).collect()
                }
            }
        } catch {
            // No welcome: the agent says hello again in a second, and sends nothing meanwhile.
            logger.error("could not register an agent; not welcoming it yet", metadata: ["agent": "\(agentID)", "error": "\(String(reflecting: error))"])
            return
        }
        guard case .running(let link) = lifecycle else { return }
        var welcome = Cellfleet_Wire_V1_Welcome()
        welcome.credit = UInt32(clamping: queue.limits.credit)
        welcome.coordinatorID = configuration.coordinatorID
        welcome.protocolVersion = request.version
        send(to: request.routingID, WireEnvelope(.welcome(welcome)), on: link)
        connectedAgents[agentID] = request.routingID
        wakeCommands.yield()
        logger.info("agent connected", metadata: ["agent": "\(agentID)", "version": "\(hello.softwareVersion)", "channels": "\(hello.channels.count)"])
    }

    /// A refusal's warning, unless this kind from this agent was logged often enough this minute.
    private func logRefusal(_ message: Logger.Message, metadata: Logger.Metadata) {
        let agent = metadata["agent"].map { "\($0)".prefix(64) } ?? ""
        switch refusalLogs.admit("\(message)|\(agent)", now: .now) {
        case .suppress:
            return
        case .log(let suppressed):
            var metadata = metadata
            if suppressed > 0 { metadata["suppressed_since_last"] = "\(suppressed)" }
            logger.warning(message, metadata: metadata)
        }
    }

    // MARK: replying

    func send(to routingID: [UInt8], _ envelope: WireEnvelope, on link: Link) {
        guard let bytes: [UInt8] = try? envelope.serializedBytes() else { return }
        link.socket.send([routingID, bytes])
    }

    private func reply(to routingID: [UInt8], error code: Cellfleet_Wire_V1_ErrorCode, _ message: String,
                       deliveryID: UInt64 = 0, expectedSequence: UInt64 = 0, on link: Link) {
        var error = Cellfleet_Wire_V1_Error()
        error.code = code
        error.message = message
        error.deliveryID = deliveryID
        error.expectedSeq = expectedSequence
        error.supportedProtocolVersion = WireProtocol.version
        send(to: routingID, WireEnvelope(.error(error)), on: link)
    }

    // MARK: writing

    private typealias Member = GroupCommitQueue<[UInt8]>.GroupMember

    private func writeLoop() async {
        for await _ in writerWakeups {
            while queue.hasWaiting {
                await commit(queue.takeGroup())
            }
        }
    }

    private func commit(_ group: [Member]) async {
        do {
            let clock = ContinuousClock()
            let started = clock.now
            let client = self.client, logger = self.logger, stages = self.stages
            let deliveries = group.map(\.delivery)
            let result = try await Self.withDeadline(seconds: configuration.commitTimeoutSeconds) {
                try await client.withTransaction(logger: logger) { connection in
                    try await IngestTransaction(deliveries: deliveries).run(on: connection, stages: stages, logger: logger)
                }
            }
            // Committed: the stages' copies become theirs.
            commitsSucceeded += 1
            // A delivery that failed alone before and has now committed starts afresh.
            if !failuresAlone.isEmpty { for delivery in deliveries { failuresAlone[Self.failureKey(delivery)] = nil } }
            self.stages = result.stages
            for index in self.stages.indices { self.stages[index].didCommit() }
            let total = started.duration(to: clock.now)
            let totalSeconds = total.inSeconds
            statistics.recordTime(\.encodeSeconds, result.encodeSeconds)
            statistics.recordTime(\.copySeconds, result.copySeconds)
            statistics.recordTime(\.statementSeconds, result.statementSeconds)
            statistics.recordTime(\.commitSeconds, max(0, totalSeconds - result.encodeSeconds - result.copySeconds - result.statementSeconds))
            // Only now, after COMMIT, may anything be acknowledged.
            statistics.record(\.transactions, metric: "transactions")
            statistics.record(\.samplesCommitted, result.samplesCommitted, metric: "samples")
            statistics.record(\.samplesDuplicate, result.samplesDuplicate, metric: "samples_duplicate")
            statistics.record(\.nonFiniteValues, result.nonFiniteValues, metric: "non_finite_values")
            statistics.record(\.samplesLost, result.samplesLost, metric: "samples_lost")
            if result.nonFiniteValues > 0 {
                logger.warning("stored non-finite measurements as NULL", metadata: ["values": "\(result.nonFiniteValues)"])
            }
            respond(group, result.outcomes)
        } catch {
            statistics.record(\.commitFailures, metric: "commit_failures")
            let refusal = DatabaseRefusal.serverError(in: error)
            logger.error("a group commit failed", metadata: [
                "deliveries": "\(group.count)", "error": "\(String(reflecting: error))"])
            if refusal != nil && group.count > 1 {
                // The server refused something in the group: commit each delivery on its own so
                // one agent's bad delivery cannot hold back the others.
                for member in group { await commit([member]) }
            } else if let refusal, let member = group.first, let reason = unstorable(member.delivery, refusal) {
                // Alone, and refused for what it holds (or again and again): re-sending it would
                // fail for ever and hold up its agent's spool behind it.
                statistics.record(\.unstorableDeliveries, metric: "unstorable_deliveries")
                respond(group, [.refused(.unstorable, reason)])
            } else {
                // Nothing is acknowledged; the agents back off and re-send from their spools.
                respond(group, group.map { _ in .refused(.internal, "the coordinator could not commit: \(error)") })
            }
        }
    }

    /// Why a delivery the database refused on its own is refused for good, or nil to let the
    /// agent retry: at once when the refusal is about its data, else after it has failed alone
    /// `maximumFailuresAlone` times with other commits succeeding in between — then the failure
    /// is the delivery's, not the database's. A refusal that says the database is unavailable
    /// (shutting down, starting, out of connections) never counts: a restart must not make
    /// deliveries unstorable.
    private func unstorable(_ delivery: IngestDelivery, _ refusal: PSQLError) -> String? {
        let key = Self.failureKey(delivery)
        if DatabaseRefusal.isAboutTheData(refusal) {
            failuresAlone[key] = nil
            return "the database refuses to store this delivery: \(DatabaseRefusal.describe(refusal))"
        }
        guard !DatabaseRefusal.isAboutTheDatabase(refusal) else { return nil }
        if failuresAlone.count >= 10_000 { failuresAlone.removeAll() }  // bounded, whatever agents send
        let previous = failuresAlone[key]
        // Counted only if something else committed since this delivery last failed.
        guard previous.map({ $0.commitsBefore < commitsSucceeded }) ?? true else { return nil }
        let failures = (previous?.failures ?? 0) + 1
        failuresAlone[key] = (failures, commitsSucceeded)
        guard failures >= Self.maximumFailuresAlone else { return nil }
        failuresAlone[key] = nil
        return "the database refused this delivery \(failures) times, each time on its own while others committed: \(DatabaseRefusal.describe(refusal))"
    }

    static let maximumFailuresAlone = 5

    private static func failureKey(_ delivery: IngestDelivery) -> String { "\(delivery.agentID)\u{0}\(delivery.deliveryID)" }

    struct CommitTimedOut: Error, CustomStringConvertible {
        let seconds: Double
        var description: String { "the transaction did not finish within \(seconds) s" }
    }

    /// Runs `work`, but stops waiting for it after `seconds`: a connection that died in the middle
    /// of a COPY (the database restarted) can leave its transaction waiting forever, and the
    /// writer must not wait with it. Nothing is acknowledged for an abandoned transaction; the
    /// agents re-send, and the high-water marks keep a late commit from counting twice.
    static func withDeadline<T: Sendable>(seconds: Double, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let once = ResumeOnce()
        return try await withCheckedThrowingContinuation { continuation in
            let task = Task {
                do {
                    let value = try await work()
                    if once.claim() { continuation.resume(returning: value) }
                } catch {
                    if once.claim() { continuation.resume(throwing: error) }
                }
            }
            let timer = Task {
                try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                if once.claim() {
                    task.cancel()
                    continuation.resume(throwing: CommitTimedOut(seconds: seconds))
                }
            }
            Task {
                _ = await task.result
                timer.cancel()
            }
        }
    }

    /// Sends each delivery's outcome (acks gathered per connection) once it is final and
    /// releases it from the queue, which may let the reader read on.
    private func respond(_ group: [Member], _ outcomes: [IngestOutcome]) {
        guard case .running(let link) = lifecycle else {
            for (member, outcome) in zip(group, outcomes) where queue.finish(member, outcome) != nil {
                receivedAt[member.ticket] = nil
            }
            return
        }
        let now = ContinuousClock.now
        var acknowledged: [[UInt8]: [UInt64]] = [:]
        for (member, outcome) in zip(group, outcomes) {
            // Nothing to send for a part of a large batch with more parts to come.
            guard let (completed, outcome) = queue.finish(member, outcome) else { continue }
            let delivery = completed.delivery
            let readAt = receivedAt.removeValue(forKey: member.ticket)
            switch outcome {
            case .committed:
                statistics.record(\.deliveriesCommitted, metric: "deliveries_committed")
                if let readAt {
                    Timer(label: "cellfleet_ingest_commit_latency_seconds").recordNanoseconds(Int64(readAt.duration(to: now).inSeconds * 1e9))
                }
                acknowledged[completed.replyAddress, default: []].append(delivery.deliveryID)
            case .refused(let refusal):
                switch refusal.code {
                case .sequenceGap: statistics.record(\.sequenceGaps, metric: "sequence_gaps")
                case .unknownTest: statistics.record(\.unknownTests, metric: "unknown_tests")
                case .notYourTest: statistics.record(\.notYourTest, metric: "not_your_test")
                default: break
                }
                if refusal.code != .internal {
                    logRefusal("refused a delivery", metadata: [
                        "agent": "\(delivery.agentID)", "delivery": "\(delivery.deliveryID)", "code": "\(refusal.code)", "reason": "\(refusal.message)"])
                }
                reply(to: completed.replyAddress, error: refusal.code, refusal.message, deliveryID: delivery.deliveryID,
                      expectedSequence: refusal.expectedSequence, on: link)
            }
        }
        for (routingID, ids) in acknowledged {
            var ack = Cellfleet_Wire_V1_Ack()
            ack.deliveryIds = ids
            send(to: routingID, WireEnvelope(.ack(ack)), on: link)
        }
        wakeReader.yield()
    }
}

/// Lets exactly one of two racers resume a continuation.
final class ResumeOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false
    func claim() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if claimed { return false }
        claimed = true
        return true
    }
}
