import WireProtocol

/// The agent's delivery rules, with no socket, spool or wall clock in it: fed events (a
/// Welcome, acknowledgements, refusals, the passing of time, newly spooled deliveries, commands)
/// it returns what to do (say hello, send these deliveries, forget those, reopen the link, back
/// off, fail, execute a command). The agent's shell performs the actions.
///
/// The rules (docs/delivery.md):
/// - Hello every `helloInterval` until welcomed; a heartbeat every `heartbeatInterval` — neither
///   while the socket still holds unsent messages (the link is down), so a reconnect says one.
/// - A Welcome sets the credit (1…`maximumCredit`) and sends from the oldest unacknowledged
///   delivery: whatever was in flight before is abandoned and sent again (go-back-N). A Welcome
///   in a protocol version the agent does not speak is fatal.
/// - At most `credit` deliveries are in flight. Each acknowledgement frees its delivery in the
///   spool (only if it was outstanding) and lets the next one go.
/// - No acknowledgement for `acknowledgementTimeout` with deliveries in flight and nothing queued
///   in the socket: hello again and re-send from the oldest unacknowledged.
/// - SEQUENCE_GAP: re-send from the oldest unacknowledged at once. INTERNAL: the same after 1 s.
///   CREDIT_EXCEEDED: send nothing new until an acknowledgement arrives and the rest of the
///   window is acknowledged (or the timeout hits), then re-send from the oldest unacknowledged.
///   UNSUPPORTED_PROTOCOL_VERSION: fatal. MALFORMED, NOT_YOUR_TEST and UNSTORABLE: refused for
///   good, so the delivery is set aside (`reject`) rather than re-sent without end; so is an
///   UNKNOWN_TEST when nothing older of its test is left to send. A SEQUENCE_GAP when nothing
///   older of its test is left: the samples from the coordinator's expected sequence number up to
///   the delivery are declared lost on it (`declareLoss`) and it is sent again — one refusal, never
///   a loop. Any other refusal: re-send after 5 s. Nothing is dropped without being set aside
///   where people can find it.
/// - A refused CURVE handshake reopens the link after 2, 4, 8, 10, 10… s, reset by a Welcome.
/// - A command is executed once per command id; a repeat is answered with the first outcome.
public struct AgentDeliveryStateMachine<C: Clock>: Sendable where C.Duration == Duration {
    public enum Phase: Sendable, Equatable {
        /// Saying hello until a Welcome arrives; nil: hello is due now.
        case greeting(lastHelloAt: C.Instant?)
        /// Welcomed: deliveries flow within the credit.
        case delivering(credit: Int, protocolVersion: UInt32)
        /// The agent cannot go on; the sentence says why.
        case failed(String)
    }

    /// The CURVE link's refusal back-off.
    private struct Link: Sendable {
        var openedAt: C.Instant
        var relinkDelay: Duration
        /// The coordinator refused our key since the link was opened.
        var refused = false
    }

    public let rules: AgentDeliveryRules
    public private(set) var phase: Phase = .greeting(lastHelloAt: nil)
    public private(set) var outstanding: OutstandingDeliveries
    /// Sent on this link and neither acknowledged nor abandoned.
    private var inFlight: Set<UInt64> = []
    /// In flight and refused with CREDIT_EXCEEDED (a subset of `inFlight`): sent again once an
    /// acknowledgement shows the coordinator has room and the rest of the window is acknowledged.
    private var refusedForCredit: Set<UInt64> = []
    /// The next delivery to send is the first outstanding one at or above this.
    private var sendCursor: UInt64
    /// When the window last made progress (a first send, an acknowledgement, a go-back).
    private var lastProgressAt: C.Instant
    private var lastHeartbeatAt: C.Instant?
    private var backOffUntil: C.Instant?
    private var link: Link
    public private(set) var executedCommands: ExecutedCommands
    private var commandsExecuting: Set<UInt64> = []

    /// In-flight deliveries abandoned and sent again, over this run.
    public private(set) var deliveriesResent = 0
    /// Error messages received from the coordinator, over this run.
    public private(set) var errorsFromCoordinator = 0
    /// Deliveries refused for good and set aside, over this run.
    public private(set) var deliveriesRejected = 0
    /// Deliveries sent again declaring the samples before them lost, over this run.
    public private(set) var lossesDeclared = 0

    /// - Parameters:
    ///   - outstanding: what the spool holds unacknowledged at start-up (sent again first).
    ///   - executedCommands: as stored beside the spool by the previous run.
    ///   - now: when the link was opened.
    public init(rules: AgentDeliveryRules, outstanding: OutstandingDeliveries, executedCommands: ExecutedCommands = ExecutedCommands(), now: C.Instant) {
        self.rules = rules
        self.outstanding = outstanding
        self.executedCommands = executedCommands
        sendCursor = outstanding.resendStart
        lastProgressAt = now
        link = Link(openedAt: now, relinkDelay: rules.initialRelinkDelay)
    }

    public var isWelcomed: Bool {
        if case .delivering = phase { return true }
        return false
    }

    public var credit: Int? {
        if case .delivering(let credit, _) = phase { return credit }
        return nil
    }

    public var inFlightCount: Int { inFlight.count }

    // MARK: events

    public mutating func handle(_ event: Event) -> [Action] {
        if case .failed = phase { return [] }
        switch event {
        case .appended(let ids, _):
            outstanding.append(ids)
            return []
        case .welcomed(let credit, let protocolVersion, let now):
            return welcomed(credit: credit, protocolVersion: protocolVersion, now: now)
        case .acknowledged(let ids, let now):
            return acknowledged(ids, now: now)
        case .refused(let code, let deliveryID, let expected, let message, let earlierHeld, let now):
            return refused(code: code, deliveryID: deliveryID, expectedSequence: expected, message: message, earlierOfItsTestHeld: earlierHeld, now: now)
        case .tick(let now, let queuedInSocket):
            return tick(now: now, queuedInSocket: queuedInSocket)
        case .linkRefused:
            link.refused = true
            return []
        case .commandReceived(let command, _):
            return commandReceived(command)
        case .commandExecuted(let outcome):
            commandsExecuting.remove(outcome.commandID)
            // A command without an id cannot be told from a repeat: it is not remembered.
            if outcome.commandID != 0 { executedCommands.record(outcome) }
            return [.persistCommandOutcome, .sendCommandResult(outcome)]
        }
    }

    private mutating func welcomed(credit: UInt32, protocolVersion: UInt32, now: C.Instant) -> [Action] {
        guard rules.supportedProtocolVersions.contains(protocolVersion) else {
            return fail("the coordinator chose protocol version \(protocolVersion), which this agent (\(rules.supportedProtocolVersions)) does not speak; upgrade the agent")
        }
        phase = .delivering(credit: Int(max(1, min(credit, UInt32(clamping: rules.maximumCredit)))), protocolVersion: protocolVersion)
        link.relinkDelay = rules.initialRelinkDelay
        return goBack(now: now, rehello: false, reason: .welcomed) + pump(now: now)
    }

    private mutating func acknowledged(_ ids: [UInt64], now: C.Instant) -> [Action] {
        var forgotten: [UInt64] = []
        for id in ids {
            if outstanding.acknowledge(id) { forgotten.append(id) }
            inFlight.remove(id)
            refusedForCredit.remove(id)
        }
        lastProgressAt = now
        var actions: [Action] = forgotten.isEmpty ? [] : [.forget(forgotten)]
        if !ids.isEmpty, !refusedForCredit.isEmpty, inFlight.count == refusedForCredit.count {
            // Acknowledged since the refusal and nothing but refused deliveries left in flight:
            // the coordinator has room again.
            actions += goBack(now: now, rehello: false, reason: .creditExceeded)
        }
        return actions + pump(now: now)
    }

    private mutating func refused(code: Cellfleet_Wire_V1_ErrorCode, deliveryID: UInt64, expectedSequence: UInt64, message: String,
                                  earlierOfItsTestHeld: Bool, now: C.Instant) -> [Action] {
        errorsFromCoordinator += 1
        switch code {
        case .sequenceGap where !earlierOfItsTestHeld && expectedSequence > 0 && outstanding.contains(deliveryID):
            lossesDeclared += 1
            return [.declareLoss(deliveryID, fromSequence: expectedSequence)] + goBack(now: now, rehello: false, reason: .sequenceGap)
        case .sequenceGap:
            return goBack(now: now, rehello: false, reason: .sequenceGap)
        case .malformed, .notYourTest, .unstorable:
            return reject(deliveryID, code: code, message: message, now: now)
        case .unknownTest where !earlierOfItsTestHeld:
            return reject(deliveryID, code: code, message: message, now: now)
        case .unsupportedProtocolVersion:
            return fail("the coordinator refused this agent's protocol versions \(rules.supportedProtocolVersions): \(message)")
        case .creditExceeded:
            // Not read: the coordinator still holds more of ours than the credit (copies sent
            // before a go-back, say). Send nothing new until it acknowledges something; a
            // refusal for a delivery no longer in flight was taken care of by a go-back.
            if inFlight.contains(deliveryID) { refusedForCredit.insert(deliveryID) }
            return []
        case .internal:
            return backOff(for: rules.internalErrorBackOff, now: now) + goBack(now: now, rehello: false, reason: .refused(code))
        default:
            return backOff(for: rules.refusalBackOff, now: now) + goBack(now: now, rehello: false, reason: .refused(code))
        }
    }

    private mutating func tick(now: C.Instant, queuedInSocket: Int) -> [Action] {
        var actions: [Action] = []
        // Nothing more is said while the socket still holds what was said before (the link is
        // down): a hello and a heartbeat a second through a two-minute outage were 116 hellos
        // and as many welcomes — each a go-back — the moment the link came back. One is enough.
        if case .greeting(let lastHelloAt) = phase, queuedInSocket == 0,
           lastHelloAt.map({ $0.duration(to: now) >= rules.helloInterval }) ?? true {
            actions.append(.sendHello)
            phase = .greeting(lastHelloAt: now)
        }
        if queuedInSocket == 0, lastHeartbeatAt.map({ $0.duration(to: now) >= rules.heartbeatInterval }) ?? true {
            actions.append(.sendHeartbeat)
            lastHeartbeatAt = now
        }
        if !inFlight.isEmpty, lastProgressAt.duration(to: now) > rules.acknowledgementTimeout, queuedInSocket == 0 {
            actions += goBack(now: now, rehello: true, reason: .acknowledgementTimeout)
        }
        if link.refused, link.openedAt.duration(to: now) >= link.relinkDelay {
            link = Link(openedAt: now, relinkDelay: min(link.relinkDelay * 2, rules.maximumRelinkDelay))
            actions.append(.reopenLink)
            actions += goBack(now: now, rehello: true, reason: .linkReopened)
        }
        return actions + pump(now: now)
    }

    private mutating func commandReceived(_ command: Cellfleet_Wire_V1_Command) -> [Action] {
        let id = command.commandID
        if id != 0 {
            if let outcome = executedCommands.outcome(of: id) { return [.sendCommandResult(outcome)] }
            // Being executed: its result goes out when it is done.
            guard commandsExecuting.insert(id).inserted else { return [] }
        }
        return [.executeCommand(command)]
    }

    // MARK: the window

    /// Sends what the credit allows, from the cursor.
    private mutating func pump(now: C.Instant) -> [Action] {
        guard case .delivering(let credit, _) = phase, refusedForCredit.isEmpty, credit > inFlight.count else { return [] }
        if let backOffUntil, now < backOffUntil { return [] }
        let ids = outstanding.ids(from: sendCursor, limit: credit - inFlight.count)
        guard let last = ids.last else { return [] }
        // The timeout counts from the first send of an idle window, not from the last send.
        if inFlight.isEmpty { lastProgressAt = now }
        inFlight.formUnion(ids)
        sendCursor = last + 1
        return [.sendDeliveries(ids)]
    }

    /// Abandons what is in flight: sending starts again at the oldest unacknowledged delivery
    /// (the coordinator stores each delivery once, however often it arrives).
    private mutating func goBack(now: C.Instant, rehello: Bool, reason: GoBackReason) -> [Action] {
        let abandoned = inFlight.count
        deliveriesResent += abandoned
        inFlight.removeAll()
        refusedForCredit.removeAll()
        sendCursor = outstanding.resendStart
        lastProgressAt = now
        if rehello { phase = .greeting(lastHelloAt: nil) }
        return abandoned > 0 ? [.wentBack(resumeAt: sendCursor, abandoned: abandoned, reason: reason)] : []
    }

    /// Sets a delivery refused for good aside: it is no longer outstanding, and what was sent
    /// after it goes on (a later delivery of its test will meet a gap and declare it).
    private mutating func reject(_ id: UInt64, code: Cellfleet_Wire_V1_ErrorCode, message: String, now: C.Instant) -> [Action] {
        // A refusal of a copy sent before a go-back, for a delivery already set aside.
        guard outstanding.acknowledge(id) else { return [] }
        inFlight.remove(id)
        refusedForCredit.remove(id)
        deliveriesRejected += 1
        lastProgressAt = now
        return [.reject(id, code: code, message: message)] + pump(now: now)
    }

    private mutating func backOff(for duration: Duration, now: C.Instant) -> [Action] {
        let until = now.advanced(by: duration)
        backOffUntil = until
        return [.backOff(until: until)]
    }

    private mutating func fail(_ reason: String) -> [Action] {
        phase = .failed(reason)
        return [.fail(reason)]
    }
}
