import Foundation

/// Text as Jet stores it. Jet 4 writes UCS-2 little-endian, or — when a value starts with the
/// marker FF FE — "compressed unicode": single bytes (characters U+0001…U+00FF) with a zero byte
/// switching to and from runs of two-byte characters. Jet 3 writes the Windows code page 1252.
enum JetText {
    static func decode<C: Collection>(_ bytes: C, format: JetFormat) -> String where C.Element == UInt8, C.Index == Int {
        switch format.generation {
        case .jet3: return windows1252(bytes)
        case .jet4: return ucs2(bytes)
        }
    }

    static func ucs2<C: Collection>(_ bytes: C) -> String where C.Element == UInt8, C.Index == Int {
        var units: [UInt16] = []
        var i = bytes.startIndex
        let end = bytes.endIndex
        if bytes.count >= 2, bytes[i] == 0xFF, bytes[i + 1] == 0xFE {
            i += 2
            units.reserveCapacity(end - i)
            var compressed = true
            while i < end {
                let b = bytes[i]
                if b == 0 {
                    compressed.toggle()
                    i += 1
                } else if compressed {
                    units.append(UInt16(b))
                    i += 1
                } else if i + 1 < end {
                    units.append(UInt16(b) | UInt16(bytes[i + 1]) << 8)
                    i += 2
                } else {
                    break  // a lone trailing byte in a two-byte run: nothing to decode
                }
            }
        } else {
            units.reserveCapacity((end - i) / 2)
            while i + 1 < end {
                units.append(UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8)
                i += 2
            }
        }
        // Unpaired surrogates (corrupt text) become U+FFFD instead of failing.
        return String(decoding: units, as: UTF16.self)
    }

    /// Code page 1252: Latin-1 except 0x80–0x9F, where it has typographic characters.
    static func windows1252<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var scalars = String.UnicodeScalarView()
        for b in bytes {
            if b >= 0x80 && b <= 0x9F, let s = Unicode.Scalar(cp1252High[Int(b - 0x80)]) {
                scalars.append(s)
            } else {
                scalars.append(Unicode.Scalar(b))
            }
        }
        return String(scalars)
    }

    /// 0x80…0x9F of code page 1252 (unassigned bytes map to their Latin-1 control codes).
    private static let cp1252High: [UInt32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]
}
