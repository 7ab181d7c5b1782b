import CellModel
import Foundation

/// The simulator's own PRNG, so a scenario replays bit-for-bit from its seed on every platform and
/// Swift version (the standard library's generators make no such promise).
///
/// xoshiro256** seeded through SplitMix64; normals by Box–Muller with the second value cached.
public struct SeededRandom: Sendable, Hashable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64
    private var cachedNormal: Double?

    /// `stream` separates independent concerns (noise, glitches, short events…) that share one
    /// seed, so that, say, a different sample interval does not move the short-circuit events.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var mixer = SplitMix64(state: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        s0 = mixer.next()
        s1 = mixer.next()
        s2 = mixer.next()
        s3 = mixer.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }
        cachedNormal = nil
    }

    @inline(__always)
    public mutating func nextUInt64() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextUniform() -> Double {
        Double(nextUInt64() >> 11) * 0x1.0p-53
    }

    /// Uniform in [lower, upper).
    public mutating func nextUniform(in lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * nextUniform()
    }

    /// Standard normal.
    public mutating func nextNormal() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        // 1 − U lies in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - nextUniform()
        let u2 = nextUniform()
        let radius = (-2.0 * log(u1)).squareRoot()
        let angle = 2.0 * Double.pi * u2
        cachedNormal = radius * sin(angle)
        return radius * cos(angle)
    }

    /// Exponential with the given mean.
    public mutating func nextExponential(mean: Double) -> Double {
        -mean * log(1.0 - nextUniform())
    }

    /// True with probability `probability`.
    public mutating func nextBernoulli(_ probability: Double) -> Bool {
        probability > 0 && nextUniform() < probability
    }

    @inline(__always)
    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}
