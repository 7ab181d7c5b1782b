import AgentSpool
import CellModel
import DeliveryProtocol
import Foundation
import Logging
import WireProtocol
import ZeroMQ

/// One run of the agent: its spool, channels, registry and link, and the delivery rules whose
/// actions it performs. It exists from the spool's opening to its checkpoint; the `Agent` actor
/// owns it and serialises everything that touches it (the loop's rounds and what the link
/// receives).
final class AgentRuntime {
    typealias Rules = AgentDeliveryStateMachine<ContinuousClock>

    /// Where production stands.
    enum Production: Equatable {
        /// Taking samples from the channels' sources.
        case producing
        /// Not taking samples: the spool is at capacity until the coordinator acknowledges more.
        case spoolFull
        /// Not taking samples: the spool's file system is full (`diskFull` says since when and
        /// when to try again). Delivery and acknowledgements go on.
        case diskFull
        /// The tests are ended; waiting until every delivery is acknowledged.
        case draining
        /// Asked to stop: what is unacknowledged stays in the spool for the next run.
        case stopping
    }

    enum Round { case carryOn, finished }

    let configuration: AgentConfiguration
    let logger: Logger
    let clock = ContinuousClock()
    let startedAt: ContinuousClock.Instant
    let spool: Spool
    var registry: ChannelRegistry
    var channels: [AgentChannel] = []
    var rules: Rules
    var production = Production.producing
    private let context: ZMQContext
    private let credentials: AgentCredentials?
    private let receive: @Sendable (ZMQMessage) async -> Void
    /// nil only after a reopen failed; the rules try again after their back-off.
    private var link: AgentLink?
    /// The spool's last id the rules were told is durable.
    private var reportedThrough: UInt64
    /// When this run appended each unacknowledged delivery (for the lag in `status`).
    var appendedAt: [UInt64: ContinuousClock.Instant] = [:]
    private var lastHeard: ContinuousClock.Instant?
    var spoolFullEpisodes = 0
    /// Deliveries the coordinator refused for good, set aside beside the spool.
    let rejected: RejectedDeliveries
    /// Deliveries to be sent declaring the samples before them lost: the sequence number the
    /// loss starts at (what the coordinator expected). In memory: a restarted agent meets the
    /// same gap once more and declares it again.
    private var lossDeclarations: [UInt64: UInt64] = [:]
    /// Why the agent lacks samples of a test it rejected a delivery of (for the declaration's
    /// reason); bounded, the oldest forgotten first.
    private var rejectionsByTest: [String: String] = [:]
    /// The full disk this run is waiting out, if any (`AgentRuntime+DiskFull`).
    var diskFull: DiskFullEpisode?
    var diskFullEpisodes = 0
    /// `channels.json` changed and could not be stored yet (a full disk), or is to be stored
    /// after the next sync of the spool.
    var registryStoreDue = false
    /// The followed files' reads in progress and scan schedule (their durable state is in `registry`).
    var following = FollowingState()

    /// Opens the spool, continues or starts the channels' tests and opens the link.
    init(configuration: AgentConfiguration, logger: Logger, receive: @escaping @Sendable (ZMQMessage) async -> Void) throws {
        self.configuration = configuration
        self.logger = logger
        self.receive = receive
        startedAt = clock.now
        spool = try Spool(
            configuration: .init(directory: configuration.spoolDirectory, capacityBytes: configuration.spoolCapacityBytes,
                                 faults: configuration.spoolFaults),
            logger: logger)
        if spool.corruptRecordsAtOpen > 0 {
            logger.error("the spool had damaged records at start-up; everything readable will be delivered and what was lost declared to the coordinator",
                         metadata: ["records": "\(spool.corruptRecordsAtOpen)", "bytes": "\(spool.damagedBytesAtOpen)"])
        }
        rejected = RejectedDeliveries(spoolDirectory: configuration.spoolDirectory)
        registry = try ChannelRegistry.load(from: configuration.spoolDirectory, agentID: configuration.agentID)
        reportedThrough = spool.lastAppendedID
        rules = Rules(
            rules: configuration.deliveryRules,
            outstanding: OutstandingDeliveries(runs: spool.unacknowledgedIDRuns, lastAppended: spool.lastAppendedID),
            executedCommands: registry.commands ?? ExecutedCommands(), now: startedAt)
        credentials = try AgentCredentials.load(for: configuration, logger: logger)
        context = try ZMQContext()
        if spool.isOutOfSpace {
            noteOutOfSpace(SpoolError.outOfSpace(operation: "open the spool \(configuration.spoolDirectory.path)", errno: ENOSPC), now: startedAt)
        }
        do {
            try setUpChannels()
            setUpFollowing()
            link = try AgentLink(configuration: configuration, credentials: credentials, context: context, logger: logger, receive: receive)
        } catch {
            context.terminate()
            throw error
        }
    }

    // MARK: the loop's round

    /// One flush interval's work: take samples, make them durable, apply the delivery rules.
    func round() throws -> Round {
        if case .failed(let reason) = rules.phase { throw AgentConfiguration.Invalid(description: reason) }
        if production == .stopping { return .finished }
        let now = clock.now
        let appendedBefore = spool.lastAppendedID
        var retried = false
        if production == .producing || production == .spoolFull || production == .diskFull {
            if production == .diskFull, let episode = diskFull, now < episode.retryAt {
                holdBackSources(for: flushInterval)
            } else {
                retried = production == .diskFull
                if retried { retryAfterDiskFull(now: now) }
                do {
                    if isDoneProducing(now: now) {
                        try endTests()
                        production = .draining
                        logger.info("finished producing; waiting for the coordinator to acknowledge everything",
                                    metadata: ["unacked": "\(spool.unackedEntryCount)"])
                    } else {
                        try produce(now: now)
                        if isFollowingFiles {
                            try followFiles(now: now)
                            if configuration.importing { try endImportedTests(now: now) }
                        }
                    }
                } catch where error.isSpoolOutOfSpace {
                    noteOutOfSpace(error, now: now)
                    holdBackSources(for: flushInterval)
                }
            }
        }
        do {
            try syncSpool(now: now)
            if registryStoreDue { try storeRegistry(now: now) }
            try storeFollowingIfDirty()
        } catch where error.isSpoolOutOfSpace {
            noteOutOfSpace(error, now: now)
        }
        if diskFull != nil, production != .diskFull, retried || spool.lastAppendedID > appendedBefore {
            noteDiskFullOver(appended: spool.lastAppendedID > appendedBefore, now: now)
        }
        if link?.takeRefusal() == true { _ = rules.handle(.linkRefused(at: now)) }
        try perform(rules.handle(.tick(at: now, queuedInSocket: link?.queuedCount ?? 0)), now: now)
        if production == .draining && spool.unackedEntryCount == 0 { return .finished }
        return .carryOn
    }

    func requestStop() { production = .stopping }

    var flushInterval: Duration { .milliseconds(Int64(configuration.flushIntervalSeconds * 1000)) }

    /// Makes everything durable (the ledger, the sources' resume points) and closes the link.
    /// On a full disk what cannot be stored is said and left: the files already there are
    /// consistent, and the next start re-sends or re-takes what they do not cover.
    func finish() throws -> AgentSummary {
        close()
        var synced = true
        do {
            try spool.sync()
        } catch where error.isSpoolOutOfSpace {
            synced = false
            logger.warning("the spool's file system is full: the last samples taken could not be made durable; the next start takes them again from their sources",
                           metadata: ["error": "\(error)"])
        }
        do {
            try spool.storeLedger()
        } catch where error.isSpoolOutOfSpace {
            logger.warning("the spool's file system is full: the ledger could not be stored; the next start re-sends what was acknowledged since it was last stored (the coordinator drops the copies)",
                           metadata: ["error": "\(error)"])
        }
        // Resume points past what the spool holds durably would skip samples: kept as stored.
        if synced {
            for channel in channels {
                guard let test = channel.runningTest else { continue }
                registry.tests[channel.channelID]?.resume = .init(afterSequence: test.nextSequence - 1, token: try test.source.encodedResumeToken())
            }
            try storeRegistry(now: clock.now)
            if registryStoreDue {
                logger.warning("the spool's file system is full: channels.json could not be stored; the next start carries on from the one stored before")
            }
        }
        let summary = summary()
        if summary.deliveriesUnacked > 0 {
            logger.notice("stopping with deliveries not yet acknowledged; they stay in the spool and are sent on the next start", metadata: [
                "deliveries_unacked": "\(summary.deliveriesUnacked)", "samples_unacked": "\(summary.samplesUnacked)",
                "spool": "\(configuration.spoolDirectory.path)"])
        }
        return summary
    }

    func close() {
        link?.close()
        link = nil
        context.terminate()
    }

    func summary() -> AgentSummary {
        let files = fileCounts
        return AgentSummary(
            agentID: configuration.agentID, samplesProduced: spool.producedSampleCount,
            samplesAcked: spool.ackedSampleCount - rejected.samples, tests: channels.count + registry.followedExperiments.values.filter { $0.testID != nil && isInScope($0) }.count,
            deliveriesResent: rules.deliveriesResent,
            spoolFullEpisodes: spoolFullEpisodes, diskFullEpisodes: diskFullEpisodes,
            deliveriesUnacked: spool.unackedEntryCount, samplesUnacked: spool.producedSampleCount - spool.ackedSampleCount,
            errorsFromCoordinator: rules.errorsFromCoordinator,
            durationSeconds: startedAt.duration(to: clock.now).inSeconds,
            filesRead: files.read, filesQuarantined: files.quarantined, quarantined: files.problems,
            deliveriesRejected: rejected.deliveries, samplesRejected: rejected.samples, lossesDeclared: rules.lossesDeclared,
            spoolDamagedRecords: spool.corruptRecordsAtOpen)
    }

    func status() -> Agent.Status {
        let now = clock.now
        let lag = rules.outstanding.oldest.flatMap { appendedAt[$0] }.map { $0.duration(to: now).inSeconds } ?? 0
        let heardLately = lastHeard.map { $0.duration(to: now) < .seconds(3) } ?? false
        var status = Agent.Status(
            samplesProduced: spool.producedSampleCount, samplesAcked: spool.ackedSampleCount,
            spoolBytes: spool.usedBytes, unackedDeliveries: spool.unackedEntryCount,
            lagSeconds: lag, connected: rules.isWelcomed && heardLately,
            backPressured: production == .spoolFull || production == .diskFull, diskFull: diskFull != nil)
        fileProgress(into: &status)
        return status
    }

    /// A heartbeat that also reports the spool, so the coordinator's `/metrics` shows per agent
    /// what waits here (docs/metrics.md): a growing depth or age is a link or coordinator problem
    /// seen from the agent's side, before any sample is lost.
    func heartbeat(now: ContinuousClock.Instant) -> Cellfleet_Wire_V1_Heartbeat {
        var heartbeat = Cellfleet_Wire_V1_Heartbeat()
        heartbeat.unixTimeS = Date().timeIntervalSince1970
        heartbeat.spoolReported = true
        heartbeat.spoolDepthDeliveries = UInt64(max(0, spool.unackedEntryCount))
        heartbeat.spoolBytes = UInt64(max(0, spool.usedBytes))
        heartbeat.oldestUnackedAgeS = rules.outstanding.oldest.flatMap { appendedAt[$0] }.map { $0.duration(to: now).inSeconds } ?? 0
        heartbeat.spoolDiskFull = diskFull != nil
        return heartbeat
    }

    /// Syncs the spool and tells the delivery rules what became durable. On a full disk it
    /// throws `outOfSpace` and the entries wait, appended, for a later sync.
    func syncSpool(now: ContinuousClock.Instant) throws {
        try spool.sync()
        let last = spool.lastAppendedID
        guard last > reportedThrough else { return }
        _ = rules.handle(.appended((reportedThrough + 1)...last, at: now))
        reportedThrough = last
    }

    // MARK: what the coordinator sends

    func receive(_ message: ZMQMessage) {
        guard let frame = message.frames.last, let envelope = try? WireEnvelope(serializedBytes: frame) else {
            logger.error("the coordinator sent a message we cannot read; ignoring it")
            return
        }
        let now = clock.now
        lastHeard = now
        let event: Rules.Event
        switch envelope.body {
        case .welcome(let welcome):
            logger.info("welcomed by the coordinator", metadata: ["coordinator": "\(welcome.coordinatorID)", "credit": "\(welcome.credit)"])
            event = .welcomed(credit: welcome.credit, protocolVersion: welcome.protocolVersion, at: now)
        case .ack(let ack):
            event = .acknowledged(ack.deliveryIds, at: now)
        case .error(let error):
            log(error)
            event = .refused(code: error.code, deliveryID: error.deliveryID, expectedSequence: error.expectedSeq, message: error.message,
                             earlierOfItsTestHeld: spool.holdsEarlierEntry(ofTestOf: error.deliveryID), at: now)
        case .heartbeat:
            return
        case .command(let command):
            event = .commandReceived(command, at: now)
        default:
            logger.warning("unexpected message from the coordinator", metadata: ["body": "\(String(describing: envelope.body))"])
            return
        }
        do {
            try perform(rules.handle(event), now: now)
        } catch {
            logger.error("could not act on a message from the coordinator", metadata: ["error": "\(error)"])
        }
    }

    private func log(_ error: Cellfleet_Wire_V1_Error) {
        let metadata: Logger.Metadata = ["delivery": "\(error.deliveryID)", "code": "\(error.code)", "message": "\(error.message)"]
        switch error.code {
        case .sequenceGap:
            logger.warning("the coordinator reports a sequence gap; re-sending from the oldest unacknowledged delivery", metadata: metadata)
        case .unsupportedProtocolVersion:
            logger.critical("the coordinator does not speak our protocol version", metadata: metadata)
        case .internal:
            logger.warning("the coordinator could not commit; backing off", metadata: metadata)
        case .creditExceeded:
            logger.warning("the coordinator holds more of our deliveries than the credit allows; waiting for acknowledgements, then re-sending", metadata: metadata)
        case .malformed, .notYourTest, .unstorable, .unknownTest:
            logger.warning("the coordinator refused a delivery", metadata: metadata)
        default:
            logger.error("the coordinator refused a delivery; it stays in the spool and will be retried", metadata: metadata)
        }
    }

    // MARK: performing the rules' actions

    func perform(_ actions: [Rules.Action], now: ContinuousClock.Instant) throws {
        /// A command's outcome not stored (a full disk) is not sent: the coordinator sends the
        /// command again, and the outcome goes once it is stored.
        var outcomeUnstored = false
        for action in actions {
            switch action {
            case .sendHello:
                send(WireEnvelope(.hello(hello())))
            case .sendHeartbeat:
                send(WireEnvelope(.heartbeat(heartbeat(now: now))))
            case .sendDeliveries(let ids):
                for (id, payload) in zip(ids, try spool.payloads(ofEntries: ids)) {
                    if let from = lossDeclarations[id] {
                        link?.send(try declaringLoss(payload, from: from, deliveryID: id))
                    } else {
                        link?.send(payload)
                    }
                }
            case .reject(let id, let code, let message):
                try setAside(id, code: code, message: message)
            case .declareLoss(let id, let from):
                lossDeclarations[id] = from
                logger.error("the coordinator lacks samples of a test that this agent no longer holds; declaring them lost", metadata: [
                    "delivery": "\(id)", "test": "\(spool.testID(ofEntry: id) ?? "")", "lost_from_seq": "\(from)"])
            case .forget(let ids):
                do {
                    try spool.acknowledge(ids)
                } catch where error.isSpoolOutOfSpace {
                    // Recorded in memory; the segments are freed when the ledger can be stored.
                    noteOutOfSpace(error, now: now)
                } catch {
                    logger.error("could not record acknowledgements in the spool", metadata: ["error": "\(error)"])
                }
                for id in ids {
                    appendedAt[id] = nil
                    lossDeclarations[id] = nil
                }
            case .wentBack(let resumeAt, let abandoned, let reason):
                if reason == .acknowledgementTimeout {
                    logger.warning("no acknowledgement in time; will re-send", metadata: ["in_flight": "\(abandoned)", "from": "\(resumeAt)"])
                } else {
                    logger.debug("re-sending", metadata: ["abandoned": "\(abandoned)", "from": "\(resumeAt)", "reason": "\(reason)"])
                }
            case .reopenLink:
                reopenLink(now: now)
            case .backOff:
                break  // said with the refusal that caused it
            case .fail(let reason):
                logger.critical("the agent cannot go on", metadata: ["reason": "\(reason)"])
            case .executeCommand(let command):
                let outcome = execute(command, now: now)
                try perform(rules.handle(.commandExecuted(outcome)), now: now)
            case .persistCommandOutcome:
                registry.commands = rules.executedCommands
                outcomeUnstored = try !storeRegistry(now: now)
            case .sendCommandResult(let outcome):
                if outcomeUnstored { continue }
                var result = Cellfleet_Wire_V1_CommandResult()
                result.commandID = outcome.commandID
                result.ok = outcome.ok
                result.message = outcome.message
                send(WireEnvelope(.commandResult(result)))
            }
        }
    }

    /// Sets a delivery refused for good aside (durably), then frees it in the spool. If it
    /// cannot be kept (the disk is full), it stays in the spool and is sent, refused and set
    /// aside again later: nothing is dropped unseen.
    private func setAside(_ id: UInt64, code: Cellfleet_Wire_V1_ErrorCode, message: String) throws {
        let test = spool.testID(ofEntry: id) ?? ""
        let samples = spool.sampleCount(ofEntry: id)
        do {
            let payload = try spool.payloads(ofEntries: [id])[0]
            try rejected.setAside(payload: payload, deliveryID: id, epoch: spool.epoch, testID: test, samples: samples,
                                  code: "\(code)", message: message)
        } catch {
            logger.error("could not set a refused delivery aside; it stays in the spool", metadata: ["delivery": "\(id)", "error": "\(error)"])
            return
        }
        logger.error("the coordinator refused a delivery for good; set aside in the spool's rejected/ directory, not sent again", metadata: [
            "delivery": "\(id)", "test": "\(test)", "samples": "\(samples)", "code": "\(code)", "message": "\(message)"])
        if !test.isEmpty {
            if rejectionsByTest.count >= 1024 { rejectionsByTest.removeAll() }
            rejectionsByTest[test] = "delivery \(id) was refused (\(code)): \(message)"
        }
        try spool.acknowledge([id])
        appendedAt[id] = nil
        lossDeclarations[id] = nil
    }

    /// The delivery as spooled, declaring its test's samples from `from` up to it lost.
    private func declaringLoss(_ payload: [UInt8], from: UInt64, deliveryID: UInt64) throws -> [UInt8] {
        var envelope = try WireEnvelope(serializedBytes: payload)
        let test = spool.testID(ofEntry: deliveryID) ?? ""
        var reason = "the agent's spool holds none of these samples"
        if let rejection = rejectionsByTest[test] {
            reason += ": \(rejection)"
        } else if spool.corruptRecordsAtOpen > 0 {
            reason += ": \(spool.corruptRecordsAtOpen) damaged spool record(s) were skipped when the agent started"
        }
        // At most 4 bytes a character: within the coordinator's bound on a reason.
        reason = String(reason.prefix(DeliveryValidator.maximumReasonBytes / 4))
        switch envelope.body {
        case .sampleBatch(var batch):
            batch.lostFromSeq = from
            batch.lostReason = reason
            envelope.body = .sampleBatch(batch)
        case .testEnd(var end):
            end.lostFromSeq = from
            end.lostReason = reason
            envelope.body = .testEnd(end)
        default:
            return payload
        }
        return try envelope.serializedBytes()
    }

    private func send(_ envelope: WireEnvelope) {
        guard let link, let bytes: [UInt8] = try? envelope.serializedBytes() else { return }
        link.send(bytes)
    }

    private func hello() -> Cellfleet_Wire_V1_Hello {
        var hello = Cellfleet_Wire_V1_Hello()
        hello.agentID = configuration.agentID
        hello.softwareVersion = CellfleetVersion.string
        hello.agentEpoch = spool.epoch
        hello.minProtocolVersion = configuration.supportedProtocolVersions.lowerBound
        hello.maxProtocolVersion = configuration.supportedProtocolVersions.upperBound
        func describe(_ channelID: String, _ capabilities: ChannelCapabilities, make: String?, model: String?) -> Cellfleet_Wire_V1_Channel {
            var info = Cellfleet_Wire_V1_Channel()
            info.channelID = channelID
            info.cyclerMake = make ?? configuration.cyclerMake
            info.cyclerModel = model ?? configuration.cyclerModel
            info.currentMinA = capabilities.currentMinAmperes
            info.currentMaxA = capabilities.currentMaxAmperes
            info.voltageMinV = capabilities.voltageMinVolts
            info.voltageMaxV = capabilities.voltageMaxVolts
            info.auxTemperature = capabilities.auxTemperature
            return info
        }
        hello.channels = channels.map { describe($0.channelID, $0.capabilities, make: nil, model: nil) }
        // Declared channels, then those only the followed files name (nothing known of their ranges).
        var announced = Set(hello.channels.map(\.channelID))
        for declared in configuration.declaredChannels where announced.insert(declared.channelID).inserted {
            hello.channels.append(describe(declared.channelID, declared.capabilities, make: declared.make, model: declared.model))
        }
        for channelID in Set(registry.followedExperiments.values.map(\.channelID)).sorted() where announced.insert(channelID).inserted {
            hello.channels.append(describe(channelID, ChannelCapabilities(currentMinAmperes: 0, currentMaxAmperes: 0, voltageMinVolts: 0, voltageMaxVolts: 0), make: nil, model: nil))
        }
        return hello
    }

    /// libzmq gives up on a connection whose key the coordinator refused; a new socket tries
    /// again (the key may have been allowed since).
    private func reopenLink(now: ContinuousClock.Instant) {
        link?.close()
        link = nil
        do {
            link = try AgentLink(configuration: configuration, credentials: credentials, context: context, logger: logger, receive: receive)
        } catch {
            logger.error("could not reopen the link to the coordinator", metadata: ["error": "\(error)"])
            // Tried again after the relink back-off.
            _ = rules.handle(.linkRefused(at: now))
        }
    }
}
