/// Doubles, exactly, each column in whichever of four encodings is smallest for it (all four are
/// exact; the encoder tries them and keeps the shortest):
///
/// - **scaled decimal**: instruments store decimals at a fixed resolution (0.1 mV, 0.1 µA, 1 ms,
///   …) and a double parsed from such a decimal is exactly `Double(n) / 10^k` — IEEE division of
///   two exactly representable numbers rounds the true quotient once, as parsing the text does.
///   A column whose every value is such a quotient for one `k` (checked bit for bit) is stored as
///   the integers `n`, delta-of-delta (`IntegerColumnCoding`): a few bits a sample.
/// - **single precision**: binary formats (Neware's NDAX, BioLogic's MPR) record float32; a column
///   whose every value is a float32 widened is stored as those 32-bit patterns, delta-of-delta.
///
/// Both of these may sit behind a unit conversion: our readers multiply by a unit's scale (mA,
/// mAh and ms by 0.001, hours by 3600 — `ColumnResolution.scale`), so `v = x × m` for one of
/// `multipliers`, checked bit for bit like the rest.
/// - **bit patterns**: a smooth computed signal (a test time accumulated in doubles, a Unix time
///   computed from it) moves its IEEE bit pattern by a nearly constant step, so the 64-bit
///   patterns as integers, delta-of-delta, cost little.
/// - **XOR**: Gorilla's XOR of successive bit patterns (Pelkonen et al., VLDB 2015), for anything
///   else — noise in full double precision, repeated values.
enum DoubleColumnCoding {
    static let scaledTag: UInt8 = 1
    static let xorTag: UInt8 = 2
    static let bitPatternTag: UInt8 = 3
    static let singlePrecisionTag: UInt8 = 4
    /// Up to 10^-12 (pV, pA); past 2^53 the integers would no longer be exact.
    static let largestScale = 12
    static let powersOfTen: [Double] = (0...largestScale).map { exponent in
        (0..<exponent).reduce(1.0) { product, _ in product * 10 }
    }
    static let largestScaledMagnitude = Double(1 << 53)
    /// The unit conversions a value may have been multiplied by; a chunk names one by its index
    /// (3 bits), so this list only ever grows, at its end.
    static let multipliers: [Double] = [1, 1e-3, 1e-6, 60, 3600, 1.0 / 3600]

    static func encode(_ values: [Double], into writer: inout BitWriter) {
        guard !values.isEmpty else { return }
        var candidates: [BitWriter] = []
        func candidate(_ tag: UInt8, _ body: (inout BitWriter) -> Void) {
            var attempt = BitWriter(reservingBits: values.count * 16)
            attempt.write(UInt64(tag), bits: 4)
            body(&attempt)
            candidates.append(attempt)
        }
        if let (scale, multiplier) = decimalScale(of: values) {
            candidate(scaledTag) { writer in
                writer.write(UInt64(scale), bits: 4)
                writer.write(UInt64(multiplier), bits: 3)
                let factor = powersOfTen[scale], unit = multipliers[multiplier]
                IntegerColumnCoding.encode(values.map { Int64(($0 / unit * factor).rounded()) }, into: &writer)
            }
        }
        if let multiplier = singlePrecisionMultiplier(of: values) {
            candidate(singlePrecisionTag) { writer in
                writer.write(UInt64(multiplier), bits: 3)
                let unit = multipliers[multiplier]
                IntegerColumnCoding.encode(values.map { Int64(Float($0 / unit).bitPattern) }, into: &writer)
            }
        }
        candidate(bitPatternTag) { writer in
            IntegerColumnCoding.encode(values.map { Int64(bitPattern: $0.bitPattern) }, into: &writer)
        }
        candidate(xorTag) { writer in encodeXOR(values, into: &writer) }
        writer.append(candidates.min { $0.bitCount < $1.bitCount }!)
    }

    static func decode(count: Int, column: String, from reader: inout BitReader) throws(SampleChunkError) -> [Double] {
        guard count > 0 else { return [] }
        let tag = UInt8(try reader.read(bits: 4))
        switch tag {
        case scaledTag:
            let scale = Int(try reader.read(bits: 4))
            guard scale <= largestScale else { throw .inconsistent("column \(column) has scale 10^-\(scale)") }
            let unit = try multiplier(reader.read(bits: 3), column)
            let divisor = powersOfTen[scale]
            return try IntegerColumnCoding.decode(count: count, from: &reader).map { Double($0) / divisor * unit }
        case singlePrecisionTag:
            let unit = try multiplier(reader.read(bits: 3), column)
            var values: [Double] = []
            values.reserveCapacity(count)
            for pattern in try IntegerColumnCoding.decode(count: count, from: &reader) {
                guard let bits = UInt32(exactly: pattern) else { throw .inconsistent("column \(column) holds a float32 pattern of more than 32 bits") }
                values.append(Double(Float(bitPattern: bits)) * unit)
            }
            return values
        case bitPatternTag:
            return try IntegerColumnCoding.decode(count: count, from: &reader).map { Double(bitPattern: UInt64(bitPattern: $0)) }
        case xorTag:
            return try decodeXOR(count: count, from: &reader)
        default:
            throw .unknownEncoding(column: column, tag: tag)
        }
    }

    private static func multiplier(_ index: UInt64, _ column: String) throws(SampleChunkError) -> Double {
        guard index < multipliers.count else { throw .inconsistent("column \(column) names unit conversion \(index)") }
        return multipliers[Int(index)]
    }

    /// The smallest `k` (and the first multiplier `m`) for which every value is exactly
    /// `Double(n) / 10^k × m`, or nil.
    static func decimalScale(of values: [Double]) -> (scale: Int, multiplier: Int)? {
        for (index, unit) in multipliers.enumerated() {
            scales: for scale in 0...largestScale {
                let factor = powersOfTen[scale]
                for value in values {
                    let scaled = (value / unit * factor).rounded()
                    guard scaled.magnitude < largestScaledMagnitude,
                          (Double(Int64(scaled)) / factor * unit).bitPattern == value.bitPattern else { continue scales }
                }
                return (scale, index)
            }
        }
        return nil
    }

    /// The first multiplier `m` for which every value is exactly `Double(f) × m` for a float32 `f`.
    static func singlePrecisionMultiplier(of values: [Double]) -> Int? {
        multipliers.indices.first { index in
            let unit = multipliers[index]
            return values.allSatisfy { (Double(Float($0 / unit)) * unit).bitPattern == $0.bitPattern }
        }
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
