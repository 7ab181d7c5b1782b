import Foundation
import DeliveryProtocol
import Logging
import PostgresNIO
import WireProtocol
import ZeroMQ

/// The coordinator: a ROUTER socket in front of PostgreSQL. It validates what agents send,
/// commits deliveries in group transactions, and acknowledges each delivery only after the
/// COMMIT that made it durable. A bad message is refused alone, counted and logged; the other
/// agents' deliveries carry on.
public actor Coordinator {
    public nonisolated let statistics = IngestStatistics()
    private let configuration: CoordinatorConfiguration
    private let client: PostgresClient
    private let logger: Logger
    private var link: ZMQSocketLoop?
    private var pending: [PendingDelivery] = []
    private var pendingSamples = 0
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private var ready = false
    private var readyWaiters: [CheckedContinuation<Void, Never>] = []
    private var authentication: AgentAuthentication?

    public init(configuration: CoordinatorConfiguration, client: PostgresClient, logger: Logger = Logger(label: "cellfleet.coordinator")) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Returns once the schema is migrated and the socket is bound.
    public func waitUntilReady() async {
        if ready { return }
        await withCheckedContinuation { readyWaiters.append($0) }
    }

    /// Runs until the task is cancelled. The PostgresClient must be running (`client.run()`).
    public func run() async throws {
        let directory = try SchemaMigrations.locateDirectory(explicit: configuration.schemasDirectory)
        try await SchemaMigrations(directory: directory).apply(client: client, logger: logger)
        let context = try ZMQContext()
        let authentication = try AgentAuthentication.start(configuration: configuration, context: context, logger: logger)
        self.authentication = authentication
        let statistics = self.statistics
        let logger = self.logger
        let endpoint = configuration.listenEndpoint
        let link = try ZMQSocketLoop(
            name: "coordinator-router", context: context,
            configure: { context in
                let socket = try ZMQSocket(context: context, type: .router)
                // Without it the ROUTER silently drops replies to peers that are gone or full.
                try socket.setRouterMandatory(true)
                // A restarted agent reconnecting with its routing id takes over the old connection.
                try socket.setRouterHandover(true)
                try socket.setLinger(milliseconds: 0)
                try socket.setHeartbeat(intervalMilliseconds: 1000, timeoutMilliseconds: 3000, ttlMilliseconds: 6000)
                try socket.setHighWaterMarks(send: 10_000, receive: 10_000)
                try socket.setMaximumMessageSize(bytes: 256 << 20)
                try authentication?.configureServer(socket)
                try socket.bind(endpoint)
                return socket
            },
            onSendFailure: { failure in
                statistics.record(\.repliesUndeliverable, metric: "replies_undeliverable")
                logger.debug("a reply could not be delivered; the agent will re-send", metadata: ["failure": "\(failure)"])
            })
        self.link = link
        logger.info("coordinator listening", metadata: ["endpoint": "\(endpoint)"])
        ready = true
        readyWaiters.forEach { $0.resume() }
        readyWaiters.removeAll()

        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.receive(from: link) }
                group.addTask { await self.writeLoop() }
                await group.waitForAll()
            }
        } onCancel: {
            link.stop()
            wake.finish()
        }
        authentication?.stop()
        context.terminate()
    }

    // MARK: receiving

    private func receive(from link: ZMQSocketLoop) async {
        for await message in link.messages {
            handle(message)
        }
        wake.finish()
    }

    private func handle(_ message: ZMQMessage) {
        statistics.record(\.messagesReceived, metric: "messages_received")
        guard message.frames.count == 2 else {
            statistics.record(\.malformedMessages, metric: "malformed_messages")
            logger.warning("refusing a message that is not one frame", metadata: ["frames": "\(message.frames.count)"])
            if let routingID = message.frames.first {
                reply(to: routingID, error: .malformed, "expected exactly one frame holding an Envelope")
            }
            return
        }
        let routingID = message.frames[0]
        if let authentication, let refusal = authentication.refusal(for: message) {
            reply(to: routingID, error: .unspecified, refusal)
            authentication.cut(connectionOf: message, because: refusal)
            return
        }
        let agentID = message.userID ?? String(decoding: routingID, as: UTF8.self)
        let envelope: WireEnvelope
        do {
            envelope = try WireEnvelope(serializedBytes: message.frames[1])
        } catch {
            statistics.record(\.malformedMessages, metric: "malformed_messages")
            logger.warning("refusing a frame that is not a wire Envelope", metadata: ["agent": "\(agentID)", "bytes": "\(message.frames[1].count)"])
            reply(to: routingID, error: .malformed, "the frame is not a cellfleet Envelope: \(error)")
            return
        }
        // A hello is read whatever its envelope version: its version range is what is negotiated.
        guard configuration.supportedProtocolVersions.contains(envelope.protocolVersion) || envelope.isHello else {
            statistics.record(\.unsupportedProtocolVersion, metric: "unsupported_protocol_version")
            logger.warning("refusing a message of an unsupported protocol version",
                           metadata: ["agent": "\(agentID)", "version": "\(envelope.protocolVersion)"])
            reply(to: routingID, error: .unsupportedProtocolVersion,
                  "protocol version \(envelope.protocolVersion) is not supported; this coordinator speaks \(configuration.supportedProtocolVersions)")
            return
        }
        switch envelope.body {
        case .hello(let hello):
            statistics.record(\.hellos, metric: "hellos")
            Task { await self.welcome(hello, routingID: routingID, agentID: agentID) }
        case .heartbeat:
            var heartbeat = Cellfleet_Wire_V1_Heartbeat()
            heartbeat.unixTimeS = Date().timeIntervalSince1970
            send(to: routingID, WireEnvelope(.heartbeat(heartbeat)))
        case .testStart(let start):
            enqueue(routingID: routingID, agentID: agentID, deliveryID: start.deliveryID, testID: start.testID, body: .start(start))
        case .sampleBatch(let batch):
            if let problem = DeliveryValidator.validate(batch) {
                statistics.record(\.malformedMessages, metric: "malformed_messages")
                logger.warning("refusing a malformed sample batch", metadata: ["agent": "\(agentID)", "problem": "\(problem)"])
                reply(to: routingID, error: .malformed, problem, deliveryID: batch.deliveryID)
                return
            }
            enqueue(routingID: routingID, agentID: agentID, deliveryID: batch.deliveryID, testID: batch.testID, body: .batch(batch))
        case .testEnd(let end):
            enqueue(routingID: routingID, agentID: agentID, deliveryID: end.deliveryID, testID: end.testID, body: .end(end))
        case .commandResult(let result):
            logger.info("command result", metadata: ["agent": "\(agentID)", "command": "\(result.commandID)", "ok": "\(result.ok)", "message": "\(result.message)"])
        case .welcome, .ack, .error, .command, nil:
            statistics.record(\.malformedMessages, metric: "malformed_messages")
            reply(to: routingID, error: .malformed, "agents do not send this kind of message")
        }
    }

    private func enqueue(routingID: [UInt8], agentID: String, deliveryID: UInt64, testID: String, body: PendingDelivery.Body) {
        guard let uuid = UUID(uuidString: testID) else {
            statistics.record(\.malformedMessages, metric: "malformed_messages")
            reply(to: routingID, error: .malformed, "test id '\(testID)' is not a UUID", deliveryID: deliveryID)
            return
        }
        let delivery = PendingDelivery(routingID: routingID, agentID: agentID, deliveryID: deliveryID, testID: uuid, body: body)
        pending.append(delivery)
        pendingSamples += delivery.sampleCount
        wake.yield()
    }

    private func welcome(_ hello: Cellfleet_Wire_V1_Hello, routingID: [UInt8], agentID: String) async {
        let negotiated: UInt32
        switch ProtocolNegotiation.negotiate(
            agentMinimum: hello.minProtocolVersion, agentMaximum: hello.maxProtocolVersion, coordinator: configuration.supportedProtocolVersions) {
        case .agreed(let version):
            negotiated = version
        case .refused(let message):
            statistics.record(\.unsupportedProtocolVersion, metric: "unsupported_protocol_version")
            logger.warning("refused an agent with no protocol version in common", metadata: ["agent": "\(agentID)", "reason": "\(message)"])
            reply(to: routingID, error: .unsupportedProtocolVersion, message)
            return
        }
        do {
            try await client.withTransaction(logger: logger) { connection in
                _ = try await connection.query("""
                    INSERT INTO agents (agent_id, software_version, agent_epoch, protocol_version, last_seen)
                    VALUES (\(agentID), \(hello.softwareVersion), \(Int64(bitPattern: hello.agentEpoch)), \(Int(negotiated)), now())
                    ON CONFLICT (agent_id) DO UPDATE SET software_version = EXCLUDED.software_version,
                        agent_epoch = EXCLUDED.agent_epoch, protocol_version = EXCLUDED.protocol_version, last_seen = now()
                    """, logger: logger).collect()
                for channel in hello.channels {
                    _ = try await connection.query("""
                        INSERT INTO channels (agent_id, channel_id, cycler_make, cycler_model, current_min_a, current_max_a,
                                              voltage_min_v, voltage_max_v, updated_at)
                        VALUES (\(agentID), \(channel.channelID), \(channel.cyclerMake), \(channel.cyclerModel),
                                \(channel.currentMinA), \(channel.currentMaxA), \(channel.voltageMinV), \(channel.voltageMaxV), now())
                        ON CONFLICT (agent_id, channel_id) DO UPDATE SET cycler_make = EXCLUDED.cycler_make,
                            cycler_model = EXCLUDED.cycler_model, current_min_a = EXCLUDED.current_min_a,
                            current_max_a = EXCLUDED.current_max_a, voltage_min_v = EXCLUDED.voltage_min_v,
                            voltage_max_v = EXCLUDED.voltage_max_v, updated_at = now()
                        """, logger: logger).collect()
                }
            }
        } catch {
            // No welcome: the agent says hello again in a second, and sends nothing meanwhile.
            logger.error("could not register an agent; not welcoming it yet", metadata: ["agent": "\(agentID)", "error": "\(String(reflecting: error))"])
            return
        }
        var welcome = Cellfleet_Wire_V1_Welcome()
        welcome.credit = configuration.credit
        welcome.coordinatorID = configuration.coordinatorID
        welcome.protocolVersion = negotiated
        send(to: routingID, WireEnvelope(.welcome(welcome)))
        logger.info("agent connected", metadata: ["agent": "\(agentID)", "version": "\(hello.softwareVersion)", "channels": "\(hello.channels.count)"])
    }

    // MARK: replying

    private func send(to routingID: [UInt8], _ envelope: WireEnvelope) {
        guard let bytes: [UInt8] = try? envelope.serializedBytes() else { return }
        link?.send([routingID, bytes])
    }

    private func reply(to routingID: [UInt8], error code: Cellfleet_Wire_V1_ErrorCode, _ message: String, deliveryID: UInt64 = 0, expectedSequence: UInt64 = 0) {
        var error = Cellfleet_Wire_V1_Error()
        error.code = code
        error.message = message
        error.deliveryID = deliveryID
        error.expectedSeq = expectedSequence
        error.supportedProtocolVersion = WireProtocol.version
        send(to: routingID, WireEnvelope(.error(error)))
    }

    // MARK: writing

    private func takeGroup() -> [PendingDelivery] {
        guard !pending.isEmpty else { return [] }
        var samples = 0
        var count = 0
        while count < pending.count {
            let next = pending[count].sampleCount
            if count > 0 && samples + next > configuration.maximumRowsPerTransaction { break }
            samples += next
            count += 1
        }
        let group = Array(pending.prefix(count))
        pending.removeFirst(count)
        pendingSamples -= samples
        return group
    }

    private func writeLoop() async {
        for await _ in wakeups {
            while true {
                let group = takeGroup()
                if group.isEmpty { break }
                await commit(group)
            }
        }
    }

    private func commit(_ group: [PendingDelivery]) async {
        do {
            let clock = ContinuousClock()
            let started = clock.now
            let client = self.client, logger = self.logger
            let result = try await Self.withDeadline(seconds: configuration.commitTimeoutSeconds) {
                try await client.withTransaction(logger: logger) { connection in
                    try await IngestTransaction(deliveries: group).run(on: connection, logger: logger)
                }
            }
            let total = started.duration(to: clock.now)
            let totalSeconds = Double(total.components.seconds) + Double(total.components.attoseconds) * 1e-18
            statistics.recordTime(\.encodeSeconds, result.encodeSeconds)
            statistics.recordTime(\.copySeconds, result.copySeconds)
            statistics.recordTime(\.statementSeconds, result.statementSeconds)
            statistics.recordTime(\.commitSeconds, max(0, totalSeconds - result.encodeSeconds - result.copySeconds - result.statementSeconds))
            // Only now, after COMMIT, may anything be acknowledged.
            statistics.record(\.transactions, metric: "transactions")
            statistics.record(\.samplesCommitted, result.samplesCommitted, metric: "samples_committed")
            statistics.record(\.samplesDuplicate, result.samplesDuplicate, metric: "samples_duplicate")
            statistics.record(\.nonFiniteValues, result.nonFiniteValues, metric: "non_finite_values")
            if result.nonFiniteValues > 0 {
                logger.warning("stored non-finite measurements as NULL", metadata: ["values": "\(result.nonFiniteValues)"])
            }
            respond(group, result.outcomes)
        } catch {
            statistics.record(\.commitFailures, metric: "commit_failures")
            let serverRefused = (error as? PSQLError)?.serverInfo != nil
            logger.error("a group commit failed", metadata: [
                "deliveries": "\(group.count)", "error": "\(String(reflecting: error))"])
            if serverRefused && group.count > 1 {
                // The server refused something in the group: commit each delivery on its own so
                // one agent's bad delivery cannot hold back the others.
                for delivery in group { await commit([delivery]) }
            } else {
                // Nothing is acknowledged; the agents back off and re-send from their spools.
                respond(group, group.map { _ in .refused(.internal, "the coordinator could not commit: \(error)") })
            }
        }
    }

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

    private func respond(_ group: [PendingDelivery], _ outcomes: [DeliveryOutcome]) {
        var acknowledged: [[UInt8]: [UInt64]] = [:]
        for (delivery, outcome) in zip(group, outcomes) {
            switch outcome {
            case .committed:
                statistics.record(\.deliveriesCommitted, metric: "deliveries_committed")
                acknowledged[delivery.routingID, default: []].append(delivery.deliveryID)
            case .refused(let code, let message, let expected):
                switch code {
                case .sequenceGap: statistics.record(\.sequenceGaps, metric: "sequence_gaps")
                case .unknownTest: statistics.record(\.unknownTests, metric: "unknown_tests")
                case .notYourTest: statistics.record(\.notYourTest, metric: "not_your_test")
                default: break
                }
                if code != .internal {
                    logger.warning("refused a delivery", metadata: [
                        "agent": "\(delivery.agentID)", "delivery": "\(delivery.deliveryID)", "code": "\(code)", "reason": "\(message)"])
                }
                reply(to: delivery.routingID, error: code, message, deliveryID: delivery.deliveryID, expectedSequence: expected)
            }
        }
        for (routingID, ids) in acknowledged {
            var ack = Cellfleet_Wire_V1_Ack()
            ack.deliveryIds = ids
            send(to: routingID, WireEnvelope(.ack(ack)))
        }
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
