/// How large each kind of message from an agent may be, checked on the envelope's first field
/// headers before anything is decoded: a hello or a test start is kilobytes, a batch a few
/// megabytes, so a 200 MB hello is refused at once instead of being decoded for a minute and
/// held in memory. libzmq itself drops a connection whose message exceeds the largest of them
/// (`ZMQ_MAXMSGSIZE`), before the coordinator sees a byte of it.
///
/// The figures are stated for agents in `schemas/wire/README.md` ("Limits").
public enum WireMessageLimits {
    /// 16 384 channels of short names and ranges fit with room to spare.
    public static let helloBytes = 4 << 20
    /// 64 attributes of 4 KiB each plus the ids.
    public static let testStartBytes = 1 << 20
    /// A batch of `maximumBatchSamples` with every column is about 16 MB.
    public static let sampleBatchBytes = 32 << 20
    /// Test ends, source quarantines, command results: ids and a reason or two.
    public static let smallDeliveryBytes = 64 << 10
    public static let heartbeatBytes = 4 << 10
    /// The largest message of any kind: what libzmq is told to allow at most.
    public static let largestMessageBytes = sampleBatchBytes

    /// The kind of message (its envelope's body field), as named in the proto.
    public static func kind(ofBodyField field: Int) -> (name: String, maximumBytes: Int) {
        switch field {
        case 10: ("Hello", helloBytes)
        case 12: ("TestStart", testStartBytes)
        case 13: ("SampleBatch", sampleBatchBytes)
        case 17: ("Heartbeat", heartbeatBytes)
        case 14: ("TestEnd", smallDeliveryBytes)
        case 19: ("CommandResult", smallDeliveryBytes)
        case 20: ("SourceQuarantined", smallDeliveryBytes)
        default: ("message of body field \(field)", smallDeliveryBytes)
        }
    }

    /// Why a frame of this size is refused for its kind (a sentence), or nil. Frames whose body
    /// cannot be found this way are left to the decoder, which refuses what it cannot read.
    public static func problem(_ frame: [UInt8]) -> String? {
        guard frame.count > smallDeliveryBytes, let field = bodyField(frame) else { return nil }
        let kind = kind(ofBodyField: field)
        guard frame.count > kind.maximumBytes else { return nil }
        return "a \(kind.name) of \(frame.count) bytes is larger than the \(kind.maximumBytes) bytes one may have"
    }

    /// The envelope's first body field number (10…), read from the top-level field headers only.
    static func bodyField(_ frame: [UInt8]) -> Int? {
        frame.withUnsafeBufferPointer { buffer in
            var reader = WireDeliveryPeek.Reader(buffer: buffer, position: 0, end: buffer.count)
            // protocol_version (a varint) may come before the body; nothing else is expected there.
            for _ in 0..<4 {
                guard let (field, wireType) = reader.tag() else { return nil }
                if field >= 10, wireType == 2 { return field }
                guard wireType == 0 || wireType == 2, reader.skip(wireType) else { return nil }
            }
            return nil
        }
    }
}
