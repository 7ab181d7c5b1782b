/// The byte mutations of our fuzz campaigns (cycler decoders, the wire protocol): bit flips,
/// overwritten runs, truncations, insertions, deleted ranges, length-like words set to extreme
/// values and duplicated chunks — what damaged files and hostile peers produce.
public enum ByteMutator {
    static let interesting32: [UInt32] = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1000_0000]

    public static func mutate<R: RandomNumberGenerator>(_ b: inout [UInt8], _ rng: inout R) {
        func pick(_ n: Int) -> Int { n <= 0 ? 0 : Int(rng.next() % UInt64(n)) }
        switch rng.next() % 8 {
        case 0, 1:  // bit flips
            guard !b.isEmpty else { return }
            for _ in 0...pick(8) { b[pick(b.count)] ^= UInt8(1) << UInt8(pick(8)) }
        case 2:  // random bytes overwritten
            guard !b.isEmpty else { return }
            let at = pick(b.count)
            for k in at..<min(b.count, at + 1 + pick(16)) { b[k] = UInt8(truncatingIfNeeded: rng.next()) }
        case 3:  // truncation
            b.removeLast(b.isEmpty ? 0 : 1 + pick(b.count))
        case 4:  // insertion
            let at = pick(b.count + 1)
            b.insert(contentsOf: (0..<(1 + pick(64))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
        case 5:  // deletion of a range
            guard !b.isEmpty else { return }
            let at = pick(b.count)
            b.removeSubrange(at..<min(b.count, at + 1 + pick(256)))
        case 6:  // length-like field corrupted: an aligned 16/32-bit word set to an extreme value
            guard b.count >= 4 else { return }
            let at = pick(b.count / 4) * 4
            let v = interesting32[pick(interesting32.count)] &+ (rng.next() % 3 == 0 ? UInt32(truncatingIfNeeded: rng.next() % 16) : 0)
            if rng.next() % 2 == 0 {
                for k in 0..<4 { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
            } else {
                b[at] = UInt8(truncatingIfNeeded: v); b[at + 1] = UInt8(truncatingIfNeeded: v >> 8)
            }
        default:  // duplicate a chunk elsewhere
            guard !b.isEmpty else { return }
            let from = pick(b.count)
            let chunk = Array(b[from..<min(b.count, from + 1 + pick(512))])
            b.insert(contentsOf: chunk, at: pick(b.count + 1))
        }
    }
}

