/// Doubles, exactly. Instruments store decimals at a fixed resolution (0.1 mV, 0.1 µA, 1 ms, …)
/// and a double parsed from such a decimal is exactly `Double(n) / 10^k` — IEEE division of two
/// exactly representable numbers rounds the true quotient once, as parsing the text does. So a
/// column whose every value is such a quotient for one `k` is stored as the integers `n`,
/// delta-of-delta (`IntegerColumnCoding`): a few bits a sample. Any other column (a value that is
/// not a short decimal, a negative zero) is stored as Gorilla's XOR of successive bit patterns,
/// which is exact for every double there is. The encoder checks the quotient bit for bit, so the
/// round trip is bit-identical either way.
enum DoubleColumnCoding {
    static let scaledTag: UInt8 = 1
    static let xorTag: UInt8 = 2
    /// Up to 10^-12 (pV, pA); past 2^53 the integers would no longer be exact.
    static let largestScale = 12
    static let powersOfTen: [Double] = (0...largestScale).map { exponent in
        (0..<exponent).reduce(1.0) { product, _ in product * 10 }
    }
    static let largestScaledMagnitude = Double(1 << 53)

    static func encode(_ values: [Double], into writer: inout BitWriter) {
        guard !values.isEmpty else { return }
        if let scale = decimalScale(of: values) {
            writer.write(UInt64(scaledTag), bits: 4)
            writer.write(UInt64(scale), bits: 4)
            IntegerColumnCoding.encode(values.map { Int64(($0 * powersOfTen[scale]).rounded()) }, into: &writer)
        } else {
            writer.write(UInt64(xorTag), bits: 4)
            encodeXOR(values, into: &writer)
        }
    }

    static func decode(count: Int, column: String, from reader: inout BitReader) throws(SampleChunkError) -> [Double] {
        guard count > 0 else { return [] }
        let tag = UInt8(try reader.read(bits: 4))
        switch tag {
        case scaledTag:
            let scale = Int(try reader.read(bits: 4))
            guard scale <= largestScale else { throw .inconsistent("column \(column) has scale 10^-\(scale)") }
            let divisor = powersOfTen[scale]
            return try IntegerColumnCoding.decode(count: count, from: &reader).map { Double($0) / divisor }
        case xorTag:
            return try decodeXOR(count: count, from: &reader)
        default:
            throw .unknownEncoding(column: column, tag: tag)
        }
    }

    /// The smallest `k` for which every value is exactly `Double(n) / 10^k`, or nil.
    static func decimalScale(of values: [Double]) -> Int? {
        scales: for scale in 0...largestScale {
            let factor = powersOfTen[scale]
            for value in values {
                let scaled = (value * factor).rounded()
                guard scaled.magnitude < largestScaledMagnitude,
                      (Double(Int64(scaled)) / factor).bitPattern == value.bitPattern else { continue scales }
            }
            return scale
        }
        return nil
    }

    // MARK: XOR (Gorilla)

    /// First value in 64 bits; then per value '0' when it repeats, else '1' and the XOR's
    /// meaningful bits: '0' + bits inside the previous window, or '1' + 6 bits of leading zeros,
    /// 6 bits of length − 1, and the bits.
    private static func encodeXOR(_ values: [Double], into writer: inout BitWriter) {
        var previous = values[0].bitPattern
        writer.write(previous, bits: 64)
        var windowLeading = -1, windowTrailing = 0
        for value in values.dropFirst() {
            let bits = value.bitPattern
            let xor = bits ^ previous
            previous = bits
            if xor == 0 {
                writer.write(0, bits: 1)
                continue
            }
            writer.write(1, bits: 1)
            let leading = xor.leadingZeroBitCount, trailing = xor.trailingZeroBitCount
            if windowLeading >= 0, leading >= windowLeading, trailing >= windowTrailing {
                writer.write(0, bits: 1)
                writer.write(xor >> UInt64(windowTrailing), bits: 64 - windowLeading - windowTrailing)
            } else {
                let length = 64 - leading - trailing
                writer.write(1, bits: 1)
                writer.write(UInt64(leading), bits: 6)
                writer.write(UInt64(length - 1), bits: 6)
                writer.write(xor >> UInt64(trailing), bits: length)
                windowLeading = leading
                windowTrailing = trailing
            }
        }
    }

    private static func decodeXOR(count: Int, from reader: inout BitReader) throws(SampleChunkError) -> [Double] {
        var values: [Double] = []
        values.reserveCapacity(count)
        var previous = try reader.read(bits: 64)
        values.append(Double(bitPattern: previous))
        var windowLeading = -1, windowTrailing = 0
        for _ in 1..<max(1, count) {
            if try reader.readBit() {
                if try reader.readBit() {
                    let leading = Int(try reader.read(bits: 6))
                    let length = Int(try reader.read(bits: 6)) + 1
                    guard leading + length <= 64 else { throw .inconsistent("an XOR window of \(leading) + \(length) bits") }
                    windowLeading = leading
                    windowTrailing = 64 - leading - length
                } else if windowLeading < 0 {
                    throw .inconsistent("an XOR reuses a window before any was set")
                }
                let meaningful = try reader.read(bits: 64 - windowLeading - windowTrailing)
                previous ^= meaningful << UInt64(windowTrailing)
            }
            values.append(Double(bitPattern: previous))
        }
        return values
    }
}
