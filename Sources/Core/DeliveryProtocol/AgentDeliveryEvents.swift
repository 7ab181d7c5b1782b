import WireProtocol

extension AgentDeliveryStateMachine {
    /// What happened: a message from the coordinator, the spool, the link or the passing of time.
    public enum Event: Sendable {
        /// These deliveries are durable in the spool (synced) and may be sent.
        case appended(ClosedRange<UInt64>, at: C.Instant)
        /// The coordinator answered hello.
        case welcomed(credit: UInt32, protocolVersion: UInt32, at: C.Instant)
        /// These deliveries are committed by the coordinator (ids may be unknown or repeated).
        case acknowledged([UInt64], at: C.Instant)
        /// The coordinator refused a delivery (or, for UNSUPPORTED_PROTOCOL_VERSION, the agent).
        /// `expectedSequence` is the coordinator's next sequence number for a SEQUENCE_GAP; the
        /// re-send starts from the oldest unacknowledged delivery, which holds it.
        /// `earlierOfItsTestHeld`: the spool still holds an older delivery of the same test (its
        /// start, or samples before it), which a re-send may deliver first. When it does not, a
        /// SEQUENCE_GAP or UNKNOWN_TEST can never be cured by waiting.
        case refused(code: Cellfleet_Wire_V1_ErrorCode, deliveryID: UInt64, expectedSequence: UInt64, message: String,
                     earlierOfItsTestHeld: Bool = true, at: C.Instant)
        /// The flush interval passed. `queuedInSocket` is how many messages the socket has not
        /// yet handed to the network: while it holds some, silence is not the coordinator's fault.
        case tick(at: C.Instant, queuedInSocket: Int)
        /// The coordinator refused this agent's key during the CURVE handshake.
        case linkRefused(at: C.Instant)
        /// The coordinator sent a command.
        case commandReceived(Cellfleet_Wire_V1_Command, at: C.Instant)
        /// The shell executed a command it was asked to (`Action.executeCommand`).
        case commandExecuted(CommandOutcome)
    }

    /// What the shell must do, in order.
    public enum Action: Sendable, Equatable {
        case sendHello
        case sendHeartbeat
        /// Read these deliveries from the spool and send them, in this order.
        case sendDeliveries([UInt64])
        /// Acknowledged: free these deliveries in the spool.
        case forget([UInt64])
        /// Refused for good (MALFORMED, NOT_YOUR_TEST, UNSTORABLE, or UNKNOWN_TEST with nothing
        /// older of its test left to send): set it aside where people can find it, then free it
        /// in the spool. It no longer counts as outstanding.
        case reject(UInt64, code: Cellfleet_Wire_V1_ErrorCode, message: String)
        /// The coordinator lacks this delivery's test's samples from `fromSequence` and the agent
        /// holds none of them: send the delivery declaring them lost (`lost_from_seq`), from now on.
        case declareLoss(UInt64, fromSequence: UInt64)
        /// The deliveries in flight were given up for lost (or refused); sending resumes at
        /// `resumeAt`. Nothing for the shell to do but say so and count.
        case wentBack(resumeAt: UInt64, abandoned: Int, reason: GoBackReason)
        /// Close the link and open a new one (libzmq gives up on a refused key; a new socket
        /// tries again, the key may have been allowed since).
        case reopenLink
        /// Nothing is sent before this instant.
        case backOff(until: C.Instant)
        /// The agent cannot go on (no protocol version in common); the sentence says why.
        case fail(String)
        /// Execute this command, then report `Event.commandExecuted`.
        case executeCommand(Cellfleet_Wire_V1_Command)
        /// Make the command's effects and `executedCommands` durable beside the spool, before
        /// the result goes out (so a restarted agent answers a repeat instead of executing it).
        case persistCommandOutcome
        case sendCommandResult(CommandOutcome)
    }

    /// Why the deliveries in flight were abandoned.
    public enum GoBackReason: Sendable, Equatable {
        /// A (repeated) Welcome: the coordinator starts afresh with this link.
        case welcomed
        case acknowledgementTimeout
        case sequenceGap
        /// CREDIT_EXCEEDED: the rest of the window was acknowledged; the refused ones go again.
        case creditExceeded
        /// INTERNAL or another refusal, re-sent after a back-off.
        case refused(Cellfleet_Wire_V1_ErrorCode)
        case linkReopened
    }
}
