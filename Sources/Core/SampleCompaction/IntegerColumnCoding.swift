/// Integers as delta-of-delta, bit-packed as Gorilla (Pelkonen et al., VLDB 2015) packs
/// timestamps: a sequence number, a time at a steady rate, a step index or a constant current
/// (scaled, `DoubleColumnCoding`) has a second difference of 0 almost always, one bit. All
/// arithmetic wraps, so any Int64 sequence round-trips exactly.
enum IntegerColumnCoding {
    static func encode(_ values: [Int64], into writer: inout BitWriter) {
        guard let first = values.first else { return }
        writer.write(UInt64(bitPattern: first), bits: 64)
        guard values.count > 1 else { return }
        var delta = values[1] &- first
        writer.write(UInt64(bitPattern: delta), bits: 64)
        var previous = values[1]
        for value in values.dropFirst(2) {
            let next = value &- previous
            writeSecondDifference(zigzag(next &- delta), into: &writer)
            delta = next
            previous = value
        }
    }

    static func decode(count: Int, from reader: inout BitReader) throws(SampleChunkError) -> [Int64] {
        guard count > 0 else { return [] }
        var values: [Int64] = []
        values.reserveCapacity(count)
        var previous = Int64(bitPattern: try reader.read(bits: 64))
        values.append(previous)
        guard count > 1 else { return values }
        var delta = Int64(bitPattern: try reader.read(bits: 64))
        previous = previous &+ delta
        values.append(previous)
        for _ in 2..<count {
            delta = delta &+ unzigzag(try readSecondDifference(from: &reader))
            previous = previous &+ delta
            values.append(previous)
        }
        return values
    }

    /// '0' for 0; '10' + 6 bits, '110' + 13, '1110' + 20, '11110' + 32; '11111' + 64 for
    /// anything larger (zig-zagged, so small negative differences are small too). The 32-bit
    /// class is for the bit patterns of doubles computed from float32 readings, whose noise
    /// moves a double's pattern by about 2^29.
    private static func writeSecondDifference(_ zigzagged: UInt64, into writer: inout BitWriter) {
        switch zigzagged {
        case 0: writer.write(0, bits: 1)
        case ..<(1 << 6): writer.write(0b10, bits: 2); writer.write(zigzagged, bits: 6)
        case ..<(1 << 13): writer.write(0b110, bits: 3); writer.write(zigzagged, bits: 13)
        case ..<(1 << 20): writer.write(0b1110, bits: 4); writer.write(zigzagged, bits: 20)
        case ..<(1 << 32): writer.write(0b11110, bits: 5); writer.write(zigzagged, bits: 32)
        default: writer.write(0b11111, bits: 5); writer.write(zigzagged, bits: 64)
        }
    }

    private static func readSecondDifference(from reader: inout BitReader) throws(SampleChunkError) -> UInt64 {
        guard try reader.readBit() else { return 0 }
        guard try reader.readBit() else { return try reader.read(bits: 6) }
        guard try reader.readBit() else { return try reader.read(bits: 13) }
        guard try reader.readBit() else { return try reader.read(bits: 20) }
        guard try reader.readBit() else { return try reader.read(bits: 32) }
        return try reader.read(bits: 64)
    }

    static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }
    static func unzigzag(_ value: UInt64) -> Int64 { Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }
}
