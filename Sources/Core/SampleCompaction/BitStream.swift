/// Bits written most significant first into bytes, and read back. The compacted columns are
/// bit-packed (a constant column costs one bit a sample), so they need a stream finer than bytes.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private var current: UInt8 = 0
    private var used = 0

    init(reservingBits bits: Int = 0) { bytes.reserveCapacity(bits / 8 + 1) }

    /// Writes the low `bits` (0…64) bits of `value`.
    mutating func write(_ value: UInt64, bits: Int) {
        var remaining = bits
        while remaining > 0 {
            let take = min(remaining, 8 - used)
            let chunk = (value >> UInt64(remaining - take)) & ((1 << UInt64(take)) - 1)
            current |= UInt8(truncatingIfNeeded: chunk) << UInt8(8 - used - take)
            used += take
            remaining -= take
            if used == 8 {
                bytes.append(current)
                current = 0
                used = 0
            }
        }
    }

    mutating func write(bit: Bool) { write(bit ? 1 : 0, bits: 1) }

    /// Bits written so far.
    var bitCount: Int { bytes.count * 8 + used }

    /// Appends everything `other` holds, bit for bit (a candidate encoding, once chosen).
    mutating func append(_ other: BitWriter) {
        if used == 0 {
            bytes.append(contentsOf: other.bytes)
        } else {
            for byte in other.bytes { write(UInt64(byte), bits: 8) }
        }
        if other.used > 0 { write(UInt64(other.current >> UInt8(8 - other.used)), bits: other.used) }
    }

    /// The bytes, the last one padded with zero bits.
    mutating func finish() -> [UInt8] {
        if used > 0 {
            bytes.append(current)
            current = 0
            used = 0
        }
        return bytes
    }
}

struct BitReader {
    private let bytes: ArraySlice<UInt8>
    private var position = 0  // in bits from the slice's start

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    var bitsLeft: Int { bytes.count * 8 - position }

    /// Reads `bits` (0…64) bits; throws rather than read past the end.
    mutating func read(bits: Int) throws(SampleChunkError) -> UInt64 {
        guard bits <= bitsLeft else { throw .truncated }
        var value: UInt64 = 0
        var remaining = bits
        while remaining > 0 {
            let byte = bytes[bytes.startIndex + position / 8]
            let offset = position % 8
            let take = min(remaining, 8 - offset)
            let chunk = (UInt64(byte) >> UInt64(8 - offset - take)) & ((1 << UInt64(take)) - 1)
            value = (value << UInt64(take)) | chunk
            position += take
            remaining -= take
        }
        return value
    }

    mutating func readBit() throws(SampleChunkError) -> Bool { try read(bits: 1) == 1 }
}
