import WireProtocol

/// What became of one delivery; the coordinator sends it back to the agent only after the
/// transaction that decided it has ended (an ack only after COMMIT).
public enum IngestOutcome: Sendable, Equatable {
    case committed
    case refused(IngestRefusal)

    public static func refused(_ code: Cellfleet_Wire_V1_ErrorCode, _ message: String, expectedSequence: UInt64 = 0) -> Self {
        .refused(IngestRefusal(code: code, message: message, expectedSequence: expectedSequence))
    }
}

/// A refusal as it goes on the wire (`Error`): the agent keeps the delivery in its spool and
/// acts on the code (schemas/wire/README.md).
public struct IngestRefusal: Sendable, Equatable, Error {
    public var code: Cellfleet_Wire_V1_ErrorCode
    /// For the agent's operator; not parsed by agents.
    public var message: String
    /// For `SEQUENCE_GAP`: the sequence number the coordinator expects next.
    public var expectedSequence: UInt64

    public init(code: Cellfleet_Wire_V1_ErrorCode, message: String, expectedSequence: UInt64 = 0) {
        self.code = code
        self.message = message
        self.expectedSequence = expectedSequence
    }
}
