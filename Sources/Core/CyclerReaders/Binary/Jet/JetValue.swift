import Foundation

/// One stored value as a `RawValue`. Numbers stay numbers; text and GUIDs become text; a
/// date/time becomes ISO 8601 text to the second (tester local time, as Jet has no zone);
/// binary and OLE data become missing (a cycler record has no use for them).
enum JetValue {
    static func decode(_ c: JetColumn, start: Int, end: Int, database db: JetDatabase, at: JetRowLocation, table: String) throws -> RawValue {
        let b = db.bytes
        let n = end - start
        if let width = c.type.fixedWidth, n < width {
            throw db.error(page: Int(at.page), row: Int(at.row), table: table, "column \(c.name) holds \(n) bytes; its type needs \(width)")
        }
        switch c.type {
        case .bool: return .missing  // booleans live in the null mask; the row decoder answers them
        case .byte: return .number(Double(try b.u8(start)))
        case .int16: return .number(Double(try b.i16(start)))
        case .int32, .complex: return .number(Double(try b.i32(start)))
        case .money: return .number(Double(try b.i64(start)) / 10_000)
        case .float32: return .number(decimal(try b.f32(start)))
        case .float64: return .number(try b.f64(start))
        case .dateTime: return dateTime(try b.f64(start))
        case .text:
            guard n > 0 else { return .missing }
            return .text(JetText.decode(db.bytes.storage[start..<end], format: db.format))
        case .memo: return JetLongValue.memo(db.bytes.storage[start..<end], database: db)
        case .guid: return .text(guid(db.bytes.storage[start..<(start + 16)]))
        case .numeric: return numeric(db.bytes.storage[start..<(start + 17)], scale: c.scale)
        case .binary, .ole, .unknown: return .missing
        }
    }

    /// A single-precision value as the decimal it was written as: widening the float exactly
    /// would show digits the instrument never measured (4.300055 would read 4.300055027008057).
    /// The shortest decimal (at most 9 digits) that reads back as the same float is found by
    /// scaling with exact powers of ten — no text round trip, as this runs for most values of
    /// an Arbin record.
    static func decimal(_ f: Float) -> Double {
        let x = Double(f)
        guard f.isFinite, f != 0 else { return x }
        let exponent = Int((log10(abs(x))).rounded(.down))
        for digits in 1...9 {
            let k = digits - 1 - exponent
            guard k >= -22, k <= 22 else { break }
            let candidate = k >= 0 ? (x * exactPowersOfTen[k]).rounded(.toNearestOrEven) / exactPowersOfTen[k]
                                   : (x / exactPowersOfTen[-k]).rounded(.toNearestOrEven) * exactPowersOfTen[-k]
            if Float(candidate) == f { return candidate }
        }
        return Double(f.description) ?? x
    }

    /// 10⁰ … 10²², every one exactly representable as a Double.
    private static let exactPowersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { acc, _ in acc * 10 } }

    /// OLE automation date (days since 1899-12-30) as `YYYY-MM-DDTHH:MM:SS`; out-of-range
    /// values (corrupt, or no date at all) stay numbers rather than inventing a calendar date.
    static func dateTime(_ days: Double) -> RawValue {
        guard days.isFinite, days > -657_435, days < 2_958_466 else { return .number(days) }
        let seconds = ((days - 25_569) * 86_400).rounded()
        guard let text = CivilDate.iso8601(epochSeconds: seconds, milliseconds: false, utc: false) else { return .number(days) }
        return .text(text)
    }

    /// Registry-style GUID text: the first three groups are little-endian.
    static func guid(_ g: ArraySlice<UInt8>) -> String {
        let b = Array(g)
        func hex(_ i: Int) -> String { let s = String(b[i], radix: 16, uppercase: true); return s.count == 1 ? "0" + s : s }
        let groups = [[3, 2, 1, 0], [5, 4], [7, 6], [8, 9], [10, 11, 12, 13, 14, 15]]
        return "{" + groups.map { $0.map(hex).joined() }.joined(separator: "-") + "}"
    }

    /// Scaled decimal: a sign byte, then a 128-bit magnitude stored as four little-endian
    /// 32-bit words, most significant word first.
    static func numeric(_ d: ArraySlice<UInt8>, scale: Int) -> RawValue {
        let b = Array(d)
        var magnitude = 0.0
        for word in 0..<4 {
            let o = 1 + 4 * word
            let w = UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
            magnitude = magnitude * 4_294_967_296 + Double(w)
        }
        guard scale <= 28 else { return .missing }
        let value = magnitude / pow(10, Double(scale))
        return .number(b[0] & 0x80 != 0 ? -value : value)
    }
}
