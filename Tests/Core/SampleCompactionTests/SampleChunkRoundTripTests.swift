import CellModel
import Foundation
import PropertyBased
@testable import SampleCompaction
import TestSupport
import Testing

/// Compaction's promise: a chunk gives back every column bit for bit — quantised instrument
/// data, arbitrary doubles (NaN payloads, −0, infinities, subnormals), NULLs anywhere, any
/// Int64 sequence numbers — and damaged bytes are refused with an error, never a crash.
@Suite struct SampleChunkRoundTripTests {
    /// Columns of `rows` rows drawn from `seed`: each column picks a kind (quantised walk, raw
    /// bit patterns, constant, all NULL) and a NULL rate, so mixes the encoder must tell apart
    /// come up often.
    static func columns(rows: Int, seed: UInt64) -> StoredSampleColumns {
        var random = SplitMix64(state: seed)
        var columns = StoredSampleColumns()
        var seq = Int64(bitPattern: random.next()) >> Int64(random.next() % 64)
        for _ in 0..<rows {
            columns.seq.append(seq)
            seq = seq &+ (random.next() % 4 == 0 ? Int64(bitPattern: random.next()) : 1)
        }
        func doubles() -> [Double?] {
            let kind = random.next() % 6
            let nullRate = [0, 0, 1, 50, 100][Int(random.next() % 5)]
            let scale = Int(random.next() % 13)
            var level = Int64(bitPattern: random.next() % (1 << 40)) - (1 << 39)
            return (0..<rows).map { _ -> Double? in
                if nullRate > 0, Int(random.next() % 100) < nullRate { return nil }
                switch kind {
                case 0:  // an instrument's quantised walk
                    level += Int64(random.next() % 21) - 10
                    return Double(level) / DoubleColumnCoding.powersOfTen[scale]
                case 1: return Double(bitPattern: random.next())  // anything at all
                case 2: return [0.0, -0.0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude][Int(random.next() % 7)]
                case 3: return 3.7
                default:  // a smooth physical signal, not a short decimal
                    level += 1
                    return sin(Double(level) / 1000) * 4.2
                }
            }
        }
        for path in StoredSampleColumns.doubleColumns { columns[keyPath: path] = doubles() }
        func integers<T: FixedWidthInteger>(_: T.Type) -> [T?] {
            let constant = random.next() % 2 == 0
            var value = T.random(in: T.min ... T.max, using: &random)
            return (0..<rows).map { _ -> T? in
                if random.next() % 10 == 0 { return nil }
                if !constant { value = random.next() % 8 == 0 ? T.random(in: T.min ... T.max, using: &random) : value &+ 1 }
                return value
            }
        }
        columns.stepIndex = integers(Int32.self)
        columns.stepType = integers(Int16.self)
        columns.cycleIndex = integers(Int32.self)
        return columns
    }

    @Test func everyColumnComesBackBitForBit() async {
        await propertyCheck(count: 400, input: Gen.int(in: 0 ... 600), Gen.uint64()) { rows, seed in
            let columns = Self.columns(rows: rows, seed: seed)
            let bytes = SampleChunkCodec.encode(columns)
            let decoded = try #require(try? SampleChunkCodec.decode(bytes))
            #expect(decoded.isBitIdentical(to: columns), "rows \(rows), seed \(seed)")
        }
    }

    @Test func edgeCasesRoundTrip() throws {
        var empty = StoredSampleColumns()
        #expect(try SampleChunkCodec.decode(SampleChunkCodec.encode(empty)).isBitIdentical(to: empty))
        empty.seq = [Int64.min]
        for path in StoredSampleColumns.doubleColumns { empty[keyPath: path] = [-0.0] }
        empty.stepIndex = [Int32.max]
        empty.stepType = [nil]
        empty.cycleIndex = [Int32.min]
        #expect(try SampleChunkCodec.decode(SampleChunkCodec.encode(empty)).isBitIdentical(to: empty))
        var extremes = StoredSampleColumns()
        extremes.seq = [Int64.max, Int64.min, Int64.max, 0, -1, Int64.min]
        let doubles: [Double?] = [.nan, -.nan, Double(bitPattern: 0x7FF0_0000_0000_0001), -0.0, .infinity, nil]
        for path in StoredSampleColumns.doubleColumns { extremes[keyPath: path] = doubles }
        extremes.stepIndex = [Int32.min, Int32.max, nil, 0, Int32.min, Int32.max]
        extremes.stepType = [Int16.min, Int16.max, nil, nil, nil, 7]
        extremes.cycleIndex = Array(repeating: nil, count: 6)
        let decoded = try SampleChunkCodec.decode(SampleChunkCodec.encode(extremes))
        #expect(decoded.isBitIdentical(to: extremes))
    }

    /// A parsed decimal is exactly n / 10^k, so instrument columns take the scaled path.
    @Test func decimalsParsedFromTextAreScaledIntegers() {
        let text = ["3.7123", "0.0001", "-0.0000123", "4.2", "12345.678"]
        #expect(DoubleColumnCoding.decimalScale(of: text.compactMap(Double.init))?.scale == 7)
        // A Unix time in ms: n = 1.7e12, far inside 2^53; in µs past it (n = 1.7e18) it is not.
        #expect(DoubleColumnCoding.decimalScale(of: ["1733616000.123", "1733616001.004"].compactMap(Double.init))?.scale == 3)
        // Every decimal of up to 7 places parses to exactly n / 10^7.
        var random = SplitMix64(state: 3)
        for _ in 0..<100_000 {
            let n = Int64(bitPattern: random.next() % (1 << 50)) - (1 << 49)
            let text = "\(n < 0 ? "-" : "")\(n.magnitude / 10_000_000).\(String(n.magnitude % 10_000_000).leftPadded(to: 7))"
            #expect(Double(text)!.bitPattern == (Double(n) / 10_000_000).bitPattern, "\(text)")
        }
        #expect(DoubleColumnCoding.decimalScale(of: [1, 2, 3])?.scale == 0)
        #expect(DoubleColumnCoding.decimalScale(of: [0.1 + 0.2]) == nil)  // 0.30000000000000004
        #expect(DoubleColumnCoding.decimalScale(of: [-0.0]) == nil)
        #expect(DoubleColumnCoding.decimalScale(of: [.nan]) == nil)
    }

    /// Damaged chunks: every mutation either decodes to columns of the stated shape or throws.
    @Test func damagedBytesAreRefusedNeverCrashedOn() {
        var random = SplitMix64(state: 16)
        var refused = 0, decoded = 0
        for round in 0..<4000 {
            var bytes = SampleChunkCodec.encode(Self.columns(rows: round % 200, seed: random.next()))
            ByteMutator.mutate(&bytes, &random)
            do {
                let columns = try SampleChunkCodec.decode(bytes)
                #expect(columns.isRectangular)
                decoded += 1
            } catch {
                refused += 1
            }
        }
        #expect(refused > 1000, "refused \(refused), decoded \(decoded)")
        #expect(throws: SampleChunkError.unknownFormat(9)) { try SampleChunkCodec.decode([9, 0]) }
        #expect(throws: SampleChunkError.truncated) { try SampleChunkCodec.decode([]) }
        #expect(throws: SampleChunkError.self) { try SampleChunkCodec.decode([1, 0xFF, 0xFF, 0xFF, 0x7F]) }
    }
}


extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
