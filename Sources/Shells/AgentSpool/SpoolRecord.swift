/// The on-disk framing of one spool entry:
///
///     u32 payload length | u32 CRC-32C of (entry id ‖ payload) | u64 entry id | payload
///
/// all little-endian. The payload is the serialized wire `Envelope`, so a re-send is a read and a
/// send, with no re-encoding.
enum SpoolRecord {
    static let headerSize = 16
    /// A length beyond this is corruption, not data (a batch is far smaller).
    static let maximumPayloadSize = 64 << 20

    static func encode(entryID: UInt64, payload: [UInt8]) -> [UInt8] {
        var record = [UInt8]()
        record.reserveCapacity(headerSize + payload.count)
        append(UInt32(payload.count), to: &record)
        var checked = [UInt8]()
        checked.reserveCapacity(8 + payload.count)
        append(entryID, to: &checked)
        checked.append(contentsOf: payload)
        append(CRC32C.checksum(checked), to: &record)
        record.append(contentsOf: checked)
        return record
    }

    enum Decoded {
        case record(entryID: UInt64, payload: ArraySlice<UInt8>, size: Int)
        /// Not enough bytes for the header or the declared payload: a write cut short.
        case truncated
        case corrupt(String)
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> Decoded {
        guard bytes.count >= headerSize else { return .truncated }
        let start = bytes.startIndex
        let length = Int(readUInt32(bytes, at: start))
        let checksum = readUInt32(bytes, at: start + 4)
        guard length <= maximumPayloadSize else { return .corrupt("record length \(length) exceeds the maximum") }
        guard bytes.count >= headerSize + length else { return .truncated }
        let checked = bytes[(start + 8)..<(start + headerSize + length)]
        let actual = checked.withUnsafeBytes { CRC32C.checksum($0) }
        guard actual == checksum else { return .corrupt("checksum mismatch") }
        let entryID = readUInt64(bytes, at: start + 8)
        return .record(entryID: entryID, payload: bytes[(start + headerSize)..<(start + headerSize + length)], size: headerSize + length)
    }

    /// Entry ids a resynchronised record may have beyond the last good one: damage loses
    /// records, it does not skip millions of ids; a bound that keeps random bytes from passing
    /// for a record (on top of the checksum).
    static let maximumIDsSkipped: UInt64 = 1 << 24

    /// The offset of the first record after `offset` that decodes whole, checksum and all, with an
    /// id above `followingID` (and not absurdly far above it); nil if none does.
    static func nextRecord(in data: [UInt8], after offset: Int, followingID: UInt64) -> Int? {
        var candidate = offset + 1
        while candidate + headerSize <= data.count {
            let slice = data[candidate...]
            let id = readUInt64(slice, at: candidate + 8)
            let length = Int(readUInt32(slice, at: candidate))
            if id > followingID, id - followingID <= maximumIDsSkipped, length <= data.count - candidate - headerSize,
               case .record = decode(slice) {
                return candidate
            }
            candidate += 1
        }
        return nil
    }

    static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func readUInt32(_ bytes: ArraySlice<UInt8>, at index: Int) -> UInt32 {
        var value: UInt32 = 0
        for offset in 0..<4 { value |= UInt32(bytes[index + offset]) << (8 * offset) }
        return value
    }

    static func readUInt64(_ bytes: ArraySlice<UInt8>, at index: Int) -> UInt64 {
        var value: UInt64 = 0
        for offset in 0..<8 { value |= UInt64(bytes[index + offset]) << (8 * offset) }
        return value
    }
}
