import AgentSpool
import CellModel
import Foundation
import Logging
import WireProtocol
import ZeroMQ

/// The agent: takes samples from its channels' sources, spools them durably, and streams them to
/// the coordinator over a DEALER socket with a credit window. A delivery leaves the spool only
/// when the coordinator acknowledges it (after its COMMIT); anything unacknowledged after a
/// reconnect, a timeout or a restart is sent again, and the coordinator de-duplicates.
public actor Agent {
    public struct Status: Sendable {
        public var samplesProduced: Int
        public var samplesAcked: Int
        public var spoolBytes: Int
        public var unackedDeliveries: Int
        public var lagSeconds: Double
        public var connected: Bool
        public var backPressured: Bool
    }

    private let configuration: AgentConfiguration
    private var logger: Logger
    private var spool: Spool!
    private var registry: ChannelRegistry!
    private var link: ZMQSocketLoop?
    private var context: ZMQContext?
    private var linkMonitor: AgentLinkMonitor?
    private var receiver: Task<Void, Never>?
    private var linkOpenedAt = 0.0
    private var relinkDelaySeconds = 2.0

    private struct ChannelState {
        var channelID: String
        var source: SimulatedChannel
        var testID: String
        var nextSequence: UInt64
        var producedThisRun = 0
        /// The simulated test has run its course and its end is spooled.
        var ended = false
        /// Wall-clock origin of this run's production, shifted while back-pressured so that a
        /// paused source resumes where it stopped instead of catching up in a burst.
        var clockOrigin: Double
    }
    private var channels: [ChannelState] = []

    // link state
    private var welcomed = false
    private var credit = 0
    private var inFlight: Set<UInt64> = []
    private var sendCursor: UInt64 = 0
    private var lastProgress = 0.0
    private var lastHello = -1.0
    private var lastHeartbeatSent = 0.0
    private var lastHeard = 0.0
    private var backoffUntil = 0.0
    private var appendedAt: [UInt64: Double] = [:]

    // counters
    private var deliveriesResent = 0
    private var spoolFullEpisodes = 0
    private var backPressured = false
    private var errorsFromCoordinator = 0
    private var stopRequested = false
    private var fatalError: String?
    private var finishedProducing = false

    public init(configuration: AgentConfiguration, logger: Logger = Logger(label: "cellfleet.agent")) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "agent"] = "\(configuration.agentID)"
        self.logger = logger
    }

    /// Asks the agent to stop producing and exit without waiting for outstanding
    /// acknowledgements (they stay in the spool for the next run).
    public func requestStop() { stopRequested = true }

    public func status() -> Status {
        let now = Self.now()
        var lag = 0.0
        if let first = spool?.firstUnackedID, let at = appendedAt[first] { lag = now - at }
        return Status(
            samplesProduced: spool?.producedSampleCount ?? 0, samplesAcked: spool?.ackedSampleCount ?? 0,
            spoolBytes: spool?.usedBytes ?? 0, unackedDeliveries: spool?.unackedEntryCount ?? 0,
            lagSeconds: lag, connected: welcomed && now - lastHeard < 3, backPressured: backPressured)
    }

    /// Runs until the configured duration has passed and every spooled delivery is acknowledged,
    /// or until `requestStop()`. Returns the totals, counted across restarts on the same spool.
    public func run() async throws -> AgentSummary {
        let started = Self.now()
        try configuration.validate()
        spool = try Spool(
            configuration: .init(directory: configuration.spoolDirectory, capacityBytes: configuration.spoolCapacityBytes),
            logger: logger)
        if spool.corruptRecordsAtOpen > 0 {
            logger.error("the spool had damaged records at start-up", metadata: ["count": "\(spool.corruptRecordsAtOpen)"])
        }
        registry = try ChannelRegistry.load(from: configuration.spoolDirectory, agentID: configuration.agentID)
        try setUpChannels(now: started)
        try spool.sync()

        let context = try ZMQContext()
        self.context = context
        try openLink(context: context)
        defer {
            receiver?.cancel()
            link?.stop()
            linkMonitor?.stop()
            context.terminate()
        }
        sendCursor = spool.firstUnackedID ?? (spool.lastAppendedID + 1)
        lastProgress = Self.now()

        let tick: Duration = configuration.unpaced ? .milliseconds(1) : .milliseconds(Int64(configuration.flushIntervalSeconds * 1000))
        while !stopRequested {
            let now = Self.now()
            if let fatalError { throw AgentConfiguration.Invalid(description: fatalError) }
            if !finishedProducing {
                if isDoneProducing(now: now, started: started) {
                    try endTests(now: now)
                    finishedProducing = true
                    logger.info("finished producing; waiting for the coordinator to acknowledge everything",
                                metadata: ["unacked": "\(spool.unackedEntryCount)"])
                } else {
                    try produce(now: now)
                }
            }
            try spool.sync()
            housekeeping(now: now)
            reopenLinkIfRefused(now: now)
            try pump(now: now)
            if finishedProducing && spool.unackedEntryCount == 0 { break }
            try await Task.sleep(for: tick)
        }
        try spool.checkpoint()
        return AgentSummary(
            agentID: configuration.agentID, samplesProduced: spool.producedSampleCount,
            samplesAcked: spool.ackedSampleCount, tests: channels.count, deliveriesResent: deliveriesResent,
            spoolFullEpisodes: spoolFullEpisodes, errorsFromCoordinator: errorsFromCoordinator,
            durationSeconds: Self.now() - started)
    }

    // MARK: channels and tests

    private func setUpChannels(now: Double) throws {
        let testSecondsPerSample = configuration.speedFactor / configuration.sampleRateHertz
        for index in 0..<configuration.simulatedChannels {
            let channelID = "ch\(index + 1)"
            if let running = registry.tests[channelID] {
                var source = try SimulatedChannel(
                    channelIndex: index, scenario: running.scenario ?? configuration.scenarios[index % configuration.scenarios.count],
                    seed: running.seed, testSecondsPerSample: testSecondsPerSample, cellIDPrefix: configuration.agentID)
                let next = spool.highestSequence(forTest: running.testID) + 1
                source.skip(next - 1)
                channels.append(ChannelState(
                    channelID: channelID, source: source, testID: running.testID, nextSequence: next, clockOrigin: now))
                logger.info("continuing a test after restart", metadata: [
                    "channel": "\(channelID)", "test": "\(running.testID)", "next_seq": "\(next)"])
            } else {
                let source = try SimulatedChannel(
                    channelIndex: index, scenario: configuration.scenarios[index % configuration.scenarios.count],
                    seed: configuration.seed, testSecondsPerSample: testSecondsPerSample, cellIDPrefix: configuration.agentID)
                channels.append(try startTest(channelID: channelID, source: source, now: now))
            }
        }
        try spool.sync()
        try registry.store(in: configuration.spoolDirectory)
    }

    private func startTest(channelID: String, source: SimulatedChannel, now: Double, testID: String = UUID().uuidString.lowercased()) throws -> ChannelState {
        var start = Cellfleet_Wire_V1_TestStart()
        start.testID = testID
        start.agentID = configuration.agentID
        start.channelID = channelID
        start.cell = Cellfleet_Wire_V1_Cell(source.cell)
        start.startUnixTimeS = now
        try spool.append { id in
            start.deliveryID = id
            return WireEnvelope(.testStart(start))
        }
        appendedAt[spool.lastAppendedID] = now
        registry.tests[channelID] = .init(
            testID: testID, channelID: channelID, cell: source.cell, startUnixTimeSeconds: now, seed: source.seed,
            scenario: source.scenario)
        return ChannelState(channelID: channelID, source: source, testID: testID, nextSequence: 1, clockOrigin: now)
    }

    private func endTests(now: Double) throws {
        for index in channels.indices where !channels[index].ended {
            try endTest(index, now: now, reason: "completed")
        }
        try spool.sync()
        try registry.store(in: configuration.spoolDirectory)
    }

    private func endTest(_ index: Int, now: Double, reason: String) throws {
        var end = Cellfleet_Wire_V1_TestEnd()
        end.testID = channels[index].testID
        end.lastSeq = channels[index].nextSequence - 1
        end.endUnixTimeS = now
        end.reason = reason
        try spool.append { id in
            end.deliveryID = id
            return WireEnvelope(.testEnd(end))
        }
        appendedAt[spool.lastAppendedID] = now
        registry.tests[channels[index].channelID] = nil
        channels[index].ended = true
    }

    private func isDoneProducing(now: Double, started: Double) -> Bool {
        if configuration.unpaced, let limit = configuration.samplesPerChannel {
            return channels.allSatisfy { $0.ended || $0.producedThisRun >= limit }
        }
        if let duration = configuration.durationSeconds, now - started >= duration { return true }
        return !channels.isEmpty && channels.allSatisfy(\.ended)
    }

    // MARK: producing

    private func produce(now: Double) throws {
        for index in channels.indices where !channels[index].ended {
            var due: Int
            if configuration.unpaced {
                let limit = configuration.samplesPerChannel ?? Int.max
                due = min(configuration.maximumBatchSamples, limit - channels[index].producedThisRun)
            } else {
                let target = Int((now - channels[index].clockOrigin) * configuration.sampleRateHertz)
                due = min(target - channels[index].producedThisRun, configuration.maximumBatchSamples)
            }
            guard due > 0 else { continue }
            let estimatedBytes = due * 90 + 128
            guard spool.hasRoom(forBytes: estimatedBytes) else {
                if !backPressured {
                    backPressured = true
                    spoolFullEpisodes += 1
                    logger.warning(
                        "SPOOL FULL: not taking samples from the channels until the coordinator acknowledges more",
                        metadata: ["spool_bytes": "\(spool.usedBytes)", "capacity_bytes": "\(configuration.spoolCapacityBytes)"])
                }
                // The source waits: shift its clock so it resumes without a burst.
                for other in channels.indices {
                    channels[other].clockOrigin += configuration.unpaced ? 0 : configuration.flushIntervalSeconds
                }
                return
            }
            if backPressured {
                backPressured = false
                logger.notice("spool has room again; taking samples")
            }
            var columns = SampleColumns()
            let first = channels[index].nextSequence
            for _ in 0..<due {
                guard let sample = channels[index].source.next(unixTimeSeconds: now) else { break }
                columns.append(sample)
            }
            due = columns.count
            let testID = channels[index].testID
            if due == 0 {
                // The simulated test ran its course: end it; the channel falls idle.
                try endTest(index, now: now, reason: "completed")
                try registry.store(in: configuration.spoolDirectory)
                continue
            }
            try spool.append { id in
                WireEnvelope(.sampleBatch(Cellfleet_Wire_V1_SampleBatch(deliveryID: id, testID: testID, firstSeq: first, columns: columns)))
            }
            appendedAt[spool.lastAppendedID] = now
            channels[index].nextSequence += UInt64(due)
            channels[index].producedThisRun += due
        }
    }

    // MARK: the link

    private func openLink(context: ZMQContext) throws {
        let link = try makeLink(context: context)
        self.link = link
        receiver = Task { [weak self] in
            for await message in link.messages {
                await self?.handle(message)
            }
        }
        linkOpenedAt = Self.now()
    }

    /// libzmq gives up on a connection whose key the coordinator refused; a new socket tries
    /// again (the key may have been allowed since), resending from the oldest unacknowledged.
    private func reopenLinkIfRefused(now: Double) {
        guard let linkMonitor, let context, now - linkOpenedAt >= relinkDelaySeconds, linkMonitor.takeRefusal() else { return }
        // Back off while refused (2, 4, 8, 10 s…): each attempt is a warning in the coordinator's log.
        relinkDelaySeconds = min(relinkDelaySeconds * 2, 10)
        receiver?.cancel()
        link?.stop()
        link = nil
        linkMonitor.stop()
        self.linkMonitor = nil
        do {
            try openLink(context: context)
        } catch {
            logger.error("could not reopen the link to the coordinator", metadata: ["error": "\(error)"])
        }
        goBack(now: now, rehello: true)
    }

    private func makeLink(context: ZMQContext) throws -> ZMQSocketLoop {
        let configuration = self.configuration
        let credentials = try AgentCredentials.load(for: configuration, logger: logger)
        let monitorEndpoint = "inproc://cellfleet-agent-link-monitor-\(UUID().uuidString)"
        let link = try ZMQSocketLoop(name: "agent-link", context: context) { context in
            let socket = try ZMQSocket(context: context, type: .dealer)
            try credentials?.configureClient(socket)
            if credentials != nil { try socket.monitor(endpoint: monitorEndpoint) }
            try socket.setRoutingID(configuration.agentID)
            try socket.setLinger(milliseconds: 0)
            // Do not queue onto a connection that is not up: the spool is our queue.
            try socket.setImmediate(true)
            try socket.setHeartbeat(intervalMilliseconds: 1000, timeoutMilliseconds: 3000, ttlMilliseconds: 6000)
            try socket.setReconnect(intervalMilliseconds: 100, maximumMilliseconds: 5000)
            try socket.connect(configuration.coordinatorEndpoint)
            return socket
        }
        if credentials != nil { linkMonitor = try AgentLinkMonitor(context: context, endpoint: monitorEndpoint, logger: logger) }
        return link
    }

    private func send(_ envelope: WireEnvelope) {
        guard let link, let bytes: [UInt8] = try? envelope.serializedBytes() else { return }
        link.send([bytes])
    }

    private func housekeeping(now: Double) {
        if !welcomed, now - lastHello >= 1 {
            var hello = Cellfleet_Wire_V1_Hello()
            hello.agentID = configuration.agentID
            hello.softwareVersion = CellfleetVersion.string
            hello.agentEpoch = spool.epoch
            hello.minProtocolVersion = configuration.supportedProtocolVersions.lowerBound
            hello.maxProtocolVersion = configuration.supportedProtocolVersions.upperBound
            hello.channels = channels.map { channel in
                var info = Cellfleet_Wire_V1_Channel()
                info.channelID = channel.channelID
                info.cyclerMake = configuration.cyclerMake
                info.cyclerModel = configuration.cyclerModel
                info.currentMinA = -0.01
                info.currentMaxA = 0.01
                info.voltageMinV = -5
                info.voltageMaxV = 5
                return info
            }
            send(WireEnvelope(.hello(hello)))
            lastHello = now
        }
        if now - lastHeartbeatSent >= 1 {
            var heartbeat = Cellfleet_Wire_V1_Heartbeat()
            heartbeat.unixTimeS = now
            send(WireEnvelope(.heartbeat(heartbeat)))
            lastHeartbeatSent = now
        }
        // No acknowledgement for too long: the coordinator or the connection went away and took
        // what was in flight with it. Say hello again and re-send from the oldest unacknowledged.
        if !inFlight.isEmpty, now - lastProgress > configuration.acknowledgementTimeoutSeconds,
           (link?.pendingSendCount ?? 0) == 0 {
            logger.warning("no acknowledgement in time; will re-send", metadata: ["in_flight": "\(inFlight.count)"])
            goBack(now: now, rehello: true)
        }
    }

    private func goBack(now: Double, rehello: Bool) {
        deliveriesResent += inFlight.count
        inFlight.removeAll()
        sendCursor = spool.firstUnackedID ?? (spool.lastAppendedID + 1)
        lastProgress = now
        if rehello {
            welcomed = false
            lastHello = -1
        }
    }

    private func pump(now: Double) throws {
        guard welcomed, now >= backoffUntil, credit > inFlight.count else { return }
        let entries = try spool.pendingEntries(from: sendCursor, limit: credit - inFlight.count)
        for entry in entries {
            link?.send([entry.payload])
            inFlight.insert(entry.id)
            sendCursor = entry.id + 1
        }
        if !entries.isEmpty && inFlight.count == entries.count { lastProgress = now }
    }

    private func handle(_ message: ZMQMessage) {
        guard let frame = message.frames.last, let envelope = try? WireEnvelope(serializedBytes: frame) else {
            logger.error("the coordinator sent a message we cannot read; ignoring it")
            return
        }
        let now = Self.now()
        lastHeard = now
        switch envelope.body {
        case .welcome(let welcome):
            guard configuration.supportedProtocolVersions.contains(welcome.protocolVersion) else {
                fatalError = "the coordinator chose protocol version \(welcome.protocolVersion), which this agent (\(configuration.supportedProtocolVersions)) does not speak; upgrade the agent"
                return
            }
            welcomed = true
            relinkDelaySeconds = 2
            credit = Int(max(1, min(welcome.credit, 10_000)))
            goBack(now: now, rehello: false)
            logger.info("welcomed by the coordinator", metadata: ["coordinator": "\(welcome.coordinatorID)", "credit": "\(credit)"])
            try? pump(now: now)
        case .ack(let ack):
            do {
                try spool.acknowledge(ack.deliveryIds)
            } catch {
                logger.error("could not record acknowledgements in the spool", metadata: ["error": "\(error)"])
            }
            for id in ack.deliveryIds {
                inFlight.remove(id)
                appendedAt[id] = nil
            }
            lastProgress = now
            try? pump(now: now)
        case .error(let error):
            errorsFromCoordinator += 1
            handle(error, now: now)
        case .heartbeat:
            break
        case .command(let command):
            handle(command, now: now)
        default:
            logger.warning("unexpected message from the coordinator", metadata: ["body": "\(String(describing: envelope.body))"])
        }
    }

    private func handle(_ error: Cellfleet_Wire_V1_Error, now: Double) {
        let metadata: Logger.Metadata = ["delivery": "\(error.deliveryID)", "code": "\(error.code)", "message": "\(error.message)"]
        switch error.code {
        case .sequenceGap:
            logger.warning("the coordinator reports a sequence gap; re-sending from the oldest unacknowledged delivery", metadata: metadata)
            goBack(now: now, rehello: false)
        case .unsupportedProtocolVersion:
            logger.critical("the coordinator does not speak our protocol version", metadata: metadata)
            fatalError = "the coordinator refused this agent's protocol versions \(configuration.supportedProtocolVersions): \(error.message)"
        case .internal:
            logger.warning("the coordinator could not commit; backing off", metadata: metadata)
            backoffUntil = now + 1
            goBack(now: now, rehello: false)
        default:
            // The delivery stays in the spool: nothing is dropped. Retry slowly so an operator
            // can fix the cause (e.g. the coordinator's configuration) without data loss.
            logger.error("the coordinator refused a delivery; it stays in the spool and will be retried", metadata: metadata)
            backoffUntil = now + 5
            goBack(now: now, rehello: false)
        }
    }

    private func handle(_ command: Cellfleet_Wire_V1_Command, now: Double) {
        var result = Cellfleet_Wire_V1_CommandResult()
        result.commandID = command.commandID
        switch command.action {
        case .stopChannel(let stop):
            if let index = channels.firstIndex(where: { $0.channelID == stop.channelID && !$0.ended }) {
                do {
                    try endTest(index, now: now, reason: stop.reason.isEmpty ? "stopped" : "stopped: \(stop.reason)")
                    try registry.store(in: configuration.spoolDirectory)
                    result.ok = true
                    result.message = "channel \(stop.channelID) stopped"
                } catch {
                    result.message = "could not stop: \(error)"
                }
            } else {
                result.message = "no running test on channel \(stop.channelID)"
            }
        case .startTest(let start):
            result.message = "starting tests by command is not supported by the simulated source yet (channel \(start.channelID))"
        case nil:
            result.message = "empty command"
        }
        send(WireEnvelope(.commandResult(result)))
    }

    static func now() -> Double { Date().timeIntervalSince1970 }
}

public enum CellfleetVersion {
    public static let string = "0.1.0"
}
