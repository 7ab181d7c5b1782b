import CellModel
import Crypto
import Foundation

/// The test a followed file is: a UUIDv5 of the agent, the file's path relative to its watched
/// folder and a fingerprint of its first record. The same file seen again — by a restarted
/// agent, or imported later with the same relative path — is the same test, so the coordinator
/// continues it instead of storing the file twice; another file, or a new file reusing an old
/// name, is another test.
public enum SourceTestIdentity {
    /// Our UUIDv5 namespace (a random UUID fixed once: changing it would re-identify every file).
    static let namespace: [UInt8] = withUnsafeBytes(of: UUID(uuidString: "6f0c1c4e-6f3b-4d0e-9a52-3d1f0c5e7a21")!.uuid) { Array($0) }

    public static func testID(agentID: String, relativePath: String, fingerprint: String) -> String {
        var hasher = Insecure.SHA1()
        hasher.update(data: namespace)
        hasher.update(data: Array("\(agentID)\n\(relativePath)\n\(fingerprint)".utf8))
        var bytes = Array(hasher.finalize().prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50  // version 5
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        let uuid = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        return uuid.uuidString.lowercased()
    }

    /// SHA-256 (hex) of a file's first record as read: what tells two files of the same name apart.
    /// Its measurements only, not its wall-clock time: a BioLogic `.mpr` followed while EC-Lab
    /// runs has no clock until the experiment stops, and must stay the same test afterwards.
    public static func fingerprint(ofFirst sample: Sample) -> String {
        var hasher = SHA256()
        var words: [UInt64] = []
        RecordPrefixHash.words(of: sample, into: &words)
        words.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// A running hash of the records sent from a file, in order: re-reading a rewritten file, the
/// hash of its first N records must equal the one kept when they were sent, or they changed.
/// Measurements only: a clock the file gains later (a BioLogic `.mpr` when EC-Lab stops) is not
/// a change of what was measured.
/// 64 bits of a strong mix is plenty to notice a changed value; it is not a defence against an
/// adversary.
public struct RecordPrefixHash: Sendable, Hashable, Codable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    public private(set) var count: UInt64 = 0

    public init() {}

    public mutating func add(_ sample: Sample) {
        let missing = Self.missing
        var h = value
        h = Self.mix(h ^ sample.testTimeSeconds.bitPattern)
        h = Self.mix(h ^ sample.voltageVolts.bitPattern)
        h = Self.mix(h ^ sample.currentAmperes.bitPattern)
        h = Self.mix(h ^ (sample.capacityAmpHours?.bitPattern ?? missing))
        h = Self.mix(h ^ (sample.energyWattHours?.bitPattern ?? missing))
        h = Self.mix(h ^ (sample.temperatureCelsius?.bitPattern ?? missing))
        h = Self.mix(h ^ (sample.stepIndex.map { UInt64(UInt32(bitPattern: $0)) } ?? missing))
        h = Self.mix(h ^ UInt64(UInt32(bitPattern: sample.stepType.rawValue)))
        h = Self.mix(h ^ (sample.cycleIndex.map { UInt64(UInt32(bitPattern: $0)) } ?? missing))
        value = h
        count += 1
    }

    static let missing: UInt64 = 0x7ff8_dead_beef_0001

    /// Every measured field of a sample as bit patterns (a missing optional distinct from any
    /// value). The wall-clock time is left out: a file may gain its clock later (see above).
    static func words(of sample: Sample, into words: inout [UInt64]) {
        let missing = Self.missing
        words.append(sample.testTimeSeconds.bitPattern)
        words.append(sample.voltageVolts.bitPattern)
        words.append(sample.currentAmperes.bitPattern)
        words.append(sample.capacityAmpHours?.bitPattern ?? missing)
        words.append(sample.energyWattHours?.bitPattern ?? missing)
        words.append(sample.temperatureCelsius?.bitPattern ?? missing)
        words.append(sample.stepIndex.map { UInt64(UInt32(bitPattern: $0)) } ?? missing)
        words.append(UInt64(UInt32(bitPattern: sample.stepType.rawValue)))
        words.append(sample.cycleIndex.map { UInt64(UInt32(bitPattern: $0)) } ?? missing)
    }

    /// splitmix64's finaliser.
    private static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
