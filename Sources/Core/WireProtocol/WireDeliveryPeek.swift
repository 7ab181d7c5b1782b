/// What a delivery is, read from its envelope's bytes without decoding it: which kind, its
/// delivery id, how many samples and the protocol version. The coordinator refuses a delivery
/// beyond an agent's credit on this alone, so a flood of large batches costs it a scan of a few
/// field headers each, not a decode of millions of numbers it will not keep.
///
/// Reads only the protobuf wire format's field headers (`schemas/wire/cellfleet.proto`: the
/// envelope's body fields, and delivery_id = 1 and the sample columns in the delivery). Anything
/// it does not recognise makes it return nil, and the caller decodes the message properly.
public struct WireDeliveryPeek: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case testStart, sampleBatch, testEnd, sourceQuarantined
    }

    public var protocolVersion: UInt32
    public var kind: Kind
    public var deliveryID: UInt64
    /// Samples in a batch (the length of its `test_time_s` column); 0 for any other delivery.
    public var sampleCount: Int

    public init(protocolVersion: UInt32, kind: Kind, deliveryID: UInt64, sampleCount: Int) {
        self.protocolVersion = protocolVersion
        self.kind = kind
        self.deliveryID = deliveryID
        self.sampleCount = sampleCount
    }

    /// The delivery in `bytes` (a serialized `Envelope`), or nil if it is not a delivery or is
    /// not well-formed enough to tell.
    public static func peek(_ bytes: [UInt8]) -> WireDeliveryPeek? {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(buffer: buffer, position: 0, end: buffer.count)
            var version: UInt32 = 0
            var found: WireDeliveryPeek?
            while !reader.atEnd {
                guard let (field, wireType) = reader.tag() else { return nil }
                switch (field, wireType) {
                case (1, 0):
                    guard let value = reader.varint() else { return nil }
                    version = UInt32(truncatingIfNeeded: value)
                case (12...14, 2), (20, 2):
                    guard let length = reader.length(), let body = reader.sub(length) else { return nil }
                    let kind: Kind = switch field {
                    case 12: .testStart
                    case 13: .sampleBatch
                    case 14: .testEnd
                    default: .sourceQuarantined
                    }
                    guard let (id, samples) = Self.delivery(body, samplesIn: kind == .sampleBatch ? 5 : nil) else { return nil }
                    found = WireDeliveryPeek(protocolVersion: 0, kind: kind, deliveryID: id, sampleCount: samples)
                case (10...20, _):
                    return nil  // another kind of message
                default:
                    guard reader.skip(wireType) else { return nil }
                }
            }
            found?.protocolVersion = version
            return found
        }
    }

    /// The delivery id (field 1) and the number of values in field `samplesIn` (a repeated
    /// double, packed or not).
    private static func delivery(_ reader: Reader, samplesIn column: Int?) -> (UInt64, Int)? {
        var reader = reader
        var id: UInt64 = 0
        var samples = 0
        while !reader.atEnd {
            guard let (field, wireType) = reader.tag() else { return nil }
            if field == 1, wireType == 0 {
                guard let value = reader.varint() else { return nil }
                id = value
            } else if field == column, wireType == 2 {
                guard let length = reader.length(), length % 8 == 0, reader.sub(length) != nil else { return nil }
                samples += length / 8
            } else if field == column, wireType == 1 {
                guard reader.skip(1) else { return nil }
                samples += 1
            } else {
                guard reader.skip(wireType) else { return nil }
            }
        }
        return (id, samples)
    }

    /// The protobuf wire format's field headers, read in place (also `WireMessageLimits`).
    struct Reader {
        let buffer: UnsafeBufferPointer<UInt8>
        var position: Int
        let end: Int

        var atEnd: Bool { position >= end }

        mutating func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while position < end, shift < 64 {
                let byte = buffer[position]
                position += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }

        mutating func tag() -> (field: Int, wireType: Int)? {
            guard let key = varint(), key >> 3 > 0, key >> 3 < 1 << 29 else { return nil }
            return (Int(key >> 3), Int(key & 7))
        }

        mutating func length() -> Int? {
            guard let value = varint(), value <= UInt64(end - position) else { return nil }
            return Int(value)
        }

        /// The next `length` bytes as a reader of their own, and moves past them.
        mutating func sub(_ length: Int) -> Reader? {
            guard length <= end - position else { return nil }
            defer { position += length }
            return Reader(buffer: buffer, position: position, end: position + length)
        }

        mutating func skip(_ wireType: Int) -> Bool {
            switch wireType {
            case 0: return varint() != nil
            case 1: guard end - position >= 8 else { return false }; position += 8; return true
            case 2: guard let length = length() else { return false }; position += length; return true
            case 5: guard end - position >= 4 else { return false }; position += 4; return true
            default: return false
            }
        }
    }
}
