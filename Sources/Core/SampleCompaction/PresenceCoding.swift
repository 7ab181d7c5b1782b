/// Which rows of a column are NULL, as alternating runs: most columns are never NULL or always
/// NULL (a cycler without a thermocouple), which costs two bits for the whole chunk.
enum PresenceCoding {
    static func encode(_ present: [Bool], into writer: inout BitWriter) {
        if present.allSatisfy({ $0 }) {
            writer.write(0b00, bits: 2)
        } else if !present.contains(true) {
            writer.write(0b01, bits: 2)
        } else {
            writer.write(0b10, bits: 2)
            // Runs starting with a present one (possibly empty), each length as an Elias-gamma code.
            var expect = true
            var run = 0
            var runs: [Int] = []
            for flag in present {
                if flag == expect {
                    run += 1
                } else {
                    runs.append(run)
                    expect.toggle()
                    run = 1
                }
            }
            runs.append(run)
            for length in runs { writeGamma(UInt64(length) + 1, into: &writer) }
        }
    }

    static func decode(count: Int, column: String, from reader: inout BitReader) throws(SampleChunkError) -> [Bool] {
        switch try reader.read(bits: 2) {
        case 0b00: return Array(repeating: true, count: count)
        case 0b01: return Array(repeating: false, count: count)
        case 0b10:
            var present: [Bool] = []
            present.reserveCapacity(count)
            var flag = true
            while present.count < count {
                let length = try readGamma(from: &reader) - 1
                guard length <= UInt64(count - present.count) else { throw .inconsistent("column \(column)'s NULL runs exceed its rows") }
                present.append(contentsOf: repeatElement(flag, count: Int(length)))
                flag.toggle()
            }
            return present
        default: throw .unknownEncoding(column: column, tag: 3)
        }
    }

    /// Elias gamma: n ≥ 1 as (bits − 1) zeros then n's bits.
    private static func writeGamma(_ value: UInt64, into writer: inout BitWriter) {
        let bits = 64 - value.leadingZeroBitCount
        writer.write(0, bits: bits - 1)
        writer.write(value, bits: bits)
    }

    private static func readGamma(from reader: inout BitReader) throws(SampleChunkError) -> UInt64 {
        var zeros = 0
        while try !reader.readBit() {
            zeros += 1
            guard zeros < 64 else { throw .inconsistent("a run length longer than 64 bits") }
        }
        return zeros == 0 ? 1 : (1 << UInt64(zeros)) | (try reader.read(bits: zeros))
    }
}
