import Foundation

/// Reads a Neware `.nda` (BTSDA 7/8 "version 29" and BTS 9.0/9.1 "version 130" layouts) into
/// the NewareNDA column layout. The layouts were worked out by the NewareNDA (BSD-3) and
/// fastnda projects; this is an independent implementation.
public enum NewareNDAReader {
    static let magic = Array("NEWARE".utf8)

    public static func open(url: URL, limits: BinaryReadLimits = .default) throws -> DecodedTableSource {
        try decode(bytes: readFileDirectly(url, limits: limits), file: url.lastPathComponent)
    }

    public static func decode(bytes raw: [UInt8], file: String) throws -> DecodedTableSource {
        let b = LittleEndianBytes(raw, file: file)
        guard b.matches(magic, at: 0) else {
            throw CyclerReadError(file: file, location: "byte 0", reason: "not a Neware .nda: missing 'NEWARE' signature")
        }
        let version = Int(try b.u8(14))
        var meta: [String: String] = ["nda_version": String(version)]
        if let at = b.firstIndex(of: Array("BTSServer".utf8)) {
            meta["server_version"] = try? b.text(at, min(50, b.count - at))
            if b.contains(at + 100, 1) { meta["client_version"] = try? b.text(at + 100, min(50, b.count - at - 100)) }
        }
        var table = NewareRecordTable()
        switch version {
        case 29: try readVersion29(b, into: &table)
        case 130: try readVersion130(b, into: &table)
        default:
            throw CyclerReadError(file: file, location: "byte 14", reason: "nda version \(version) is not supported (29 and 130 are)")
        }
        guard table.count > 0 else {
            throw CyclerReadError(file: file, reason: "no data records found (empty or corrupt .nda)")
        }
        table.normalizeOrder()
        table.orderAuxByKindThenChannel()
        return table.makeSource(format: "neware_nda", metadata: meta)
    }

    // MARK: version 29 (BTSDA 7.x): 86-byte records tagged 0x55 (data) or 0x65 (aux)

    static func readVersion29(_ b: LittleEndianBytes, into t: inout NewareRecordTable) throws {
        let recordLength = 86
        let marker: [UInt8] = [0, 0, 0, 0, 0x55, 0]
        // The data section starts at the first 0x55 record followed by another record whose
        // status byte is non-zero; earlier matches are header bytes that happen to look alike.
        var header = b.firstIndex(of: marker)
        while let h = header, h + 4 + recordLength < b.count {
            let next = b.storage[h + 4 + recordLength]
            let status = b.storage[h + 4 + 12]
            if next == 0x55 && status != 0 { break }
            header = b.firstIndex(of: marker, from: h + 4)
        }
        guard let start = header else {
            throw CyclerReadError(file: b.file, reason: "no data records found (no record marker)")
        }
        t.timestampIsUTC = false
        t.timestampHasMilliseconds = false
        t.reserve((b.count - start) / recordLength)
        var o = start + 4
        while o + recordLength <= b.count {
            defer { o += recordLength }
            let tail = try b.u32(o + 82)
            guard tail == 0 else { continue }
            let tag = b.storage[o]
            if tag == 0x55 && b.storage[o + 1] == 0 {
                let index = try b.u32(o + 2)
                let status = try b.u8(o + 12)
                guard index != 0, status != 0 else { continue }
                let range = try b.i32(o + 78)
                guard let m = NewareRange.multipliers[range] else {
                    throw b.error(o + 78, "record \(index): unknown current range \(range)")
                }
                let year = Int64(try b.u16(o + 70))
                let stamp = try calendarSeconds(
                    year: year, month: Int64(b.u8(o + 72)), day: Int64(b.u8(o + 73)),
                    hour: Int64(b.u8(o + 74)), minute: Int64(b.u8(o + 75)), second: Int64(b.u8(o + 76)))
                t.append(
                    index: index, stepKey: UInt64(try b.u32(o + 10)), stepIndex: UInt32(try b.u16(o + 10)), status: status,
                    time: Double(try b.u64(o + 14)) / 1000, voltage: Double(try b.i32(o + 22)) / 10000,
                    current: Double(try b.i32(o + 26)) * m,
                    chargeCapacity: Double(try b.i64(o + 38)) * m / 3600, dischargeCapacity: Double(try b.i64(o + 46)) * m / 3600,
                    chargeEnergy: Double(try b.i64(o + 54)) * m / 3600, dischargeEnergy: Double(try b.i64(o + 62)) * m / 3600,
                    timestamp: stamp)
            } else if tag == 0x65 {
                let channel = try b.u8(o + 1)
                let index = try b.u32(o + 2)
                t.addAux("T\(channel)", index: index, value: Double(try b.i16(o + 34)) / 10)
                t.addAux("V\(channel)", index: index, value: Double(try b.i32(o + 22)) / 10000)
            }
        }
    }

    // MARK: version 130 (BTS 9.x): records from byte 1024

    static func readVersion130(_ b: LittleEndianBytes, into t: inout NewareRecordTable) throws {
        let first = try b.u8(1024)
        if first == 0x55 {
            try readBTS91(b, into: &t)
        } else {
            try readBTS90(b, into: &t)
        }
    }

    /// BTS 9.1: records start with 0x55; their length is the distance to the next record's
    /// two-byte tag. Floats in mA / V / mAs / mWs.
    static func readBTS91(_ b: LittleEndianBytes, into t: inout NewareRecordTable) throws {
        let tag = Array(try b.slice(1024, 2))
        guard let next = b.firstIndex(of: tag, from: 1026) else {
            throw b.error(1024, "cannot find a second record to learn the record length")
        }
        let recordLength = next - 1024
        guard recordLength >= 52, recordLength <= 4096 else {
            throw b.error(1024, "implausible record length \(recordLength) (expected 52…4096)")
        }
        t.timestampIsUTC = true
        t.timestampHasMilliseconds = true
        t.reserve((b.count - 1024) / recordLength)
        var o = 1024
        while o + recordLength <= b.count {
            defer { o += recordLength }
            let kind = b.storage[o]
            if kind == 0x81 { break }  // footer
            guard kind == 0x55 else { continue }
            let stepIndex = try b.u8(o + 2)
            let status = try b.u8(o + 3)
            let index = try b.u32(o + 8)
            let seconds = Double(try b.u32(o + 12)) + Double(try b.u32(o + 16)) * 1e-9
            let capacity = Double(try b.f32(o + 28))
            let energy = Double(try b.f32(o + 32))
            let stamp = Double(try b.u32(o + 44)) + Double(try b.u32(o + 48)) * 1e-9
            t.append(
                index: index, stepKey: UInt64(stepIndex), stepIndex: UInt32(stepIndex), status: status, time: seconds,
                voltage: Double(try b.f32(o + 24)), current: Double(try b.f32(o + 20)),
                chargeCapacity: capacity > 0 ? capacity / 3600 : 0, dischargeCapacity: capacity < 0 ? -capacity / 3600 : 0,
                chargeEnergy: energy > 0 ? energy / 3600 : 0, dischargeEnergy: energy < 0 ? -energy / 3600 : 0,
                timestamp: stamp)
            if recordLength == 56 {
                t.addAux("T1", index: index, value: Double(try b.f32(o + 52)))
            }
        }
    }

    /// BTS 9.0: 88-byte records; data records repeat the 6-byte tag found at byte 1024,
    /// aux records start `00 00 00 00 65`.
    static func readBTS90(_ b: LittleEndianBytes, into t: inout NewareRecordTable) throws {
        let recordLength = 88
        let tag = Array(try b.slice(1024, 6))
        t.timestampIsUTC = true
        t.timestampHasMilliseconds = true
        t.reserve((b.count - 1024) / recordLength)
        var o = 1024
        while o + recordLength <= b.count {
            defer { o += recordLength }
            if b.storage[o] == 0x81 { break }
            if b.matches(tag, at: o) {
                let r = o + 4
                let stepIndex = try b.u8(r + 5)
                t.append(
                    index: try b.u32(r + 12), stepKey: UInt64(stepIndex), stepIndex: UInt32(stepIndex), status: try b.u8(r + 6),
                    time: Double(try b.u64(r + 24)) / 1e6, voltage: Double(try b.f32(r + 32)), current: Double(try b.f32(r + 36)),
                    chargeCapacity: Double(try b.f32(r + 48)) / 3600, dischargeCapacity: Double(try b.f32(r + 56)) / 3600,
                    chargeEnergy: Double(try b.f32(r + 52)) / 3600, dischargeEnergy: Double(try b.f32(r + 60)) / 3600,
                    timestamp: Double(try b.u64(r + 64)) / 1e6)
            } else if b.matches([0, 0, 0, 0, 0x65], at: o) {
                let r = o + 4
                let channel = try b.u8(r + 1)
                let index = try b.u32(r + 2)
                t.addAux("T\(channel)", index: index, value: Double(try b.i16(r + 34)) / 10)
                t.addAux("V\(channel)", index: index, value: Double(try b.i32(r + 22)) / 10000)
            }
        }
    }

    /// Wall-clock seconds since 1970 for a calendar date; NaN when the fields are not a date.
    static func calendarSeconds(year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64) -> Double {
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return .nan }
        let days = CivilDate.days(year: year, month: month, day: day)
        return Double(days * 86_400 + hour * 3600 + minute * 60 + second)
    }
}
