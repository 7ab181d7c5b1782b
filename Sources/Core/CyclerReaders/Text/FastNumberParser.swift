import Foundation

/// Parses decimal numbers straight from bytes: cycler exports are millions of fields, and going
/// through `String` and `Double(_:)` per field is what makes generic CSV readers slow.
/// Exact for up to 19 significant digits and decimal exponents within ±22 (the float result is
/// correctly rounded there); longer inputs fall back to `strtod`.
enum FastNumberParser {

    /// - Parameters:
    ///   - decimalSeparator: `.` or `,` (the file's locale).
    ///   - groupingSeparator: a thousands separator to skip when it is followed by exactly three
    ///     digits, or nil.
    /// - Returns: nil when the bytes are not a number (text labels, dates, `N/A`).
    /// `@_transparent` rather than `@inline(__always)`, which the optimizer did not honour inside
    /// the (large) field splitter: the call per field cost about a tenth of a parse.
    @_transparent
    static func parse(
        _ base: UnsafePointer<UInt8>, _ startIndex: Int, _ endIndex: Int,
        decimalSeparator: UInt8, groupingSeparator: UInt8?
    ) -> Double? {
        var i = startIndex
        var end = endIndex
        while i < end, base[i] == 0x20 || base[i] == 0x09 { i += 1 }
        while end > i, base[end - 1] == 0x20 || base[end - 1] == 0x09 { end -= 1 }
        if i >= end { return nil }
        var negative = false
        if base[i] == UInt8(ascii: "-") { negative = true; i += 1 } else if base[i] == UInt8(ascii: "+") { i += 1 }
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var fractionDigits = 0
        var sawDigit = false
        // Integer part (leading zeros are not significant). Digit counts come from positions,
        // not per-digit counters: this loop runs for every digit of every field.
        let zerosStart = i
        while i < end, base[i] == 0x30 { i &+= 1 }
        if i != zerosStart { sawDigit = true }
        if let g = groupingSeparator {
            while i < end {
                let d = base[i] &- 0x30
                if d < 10 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    significantDigits &+= 1
                    sawDigit = true
                    i &+= 1
                } else if base[i] == g, sawDigit, isDigitRun(base, i + 1, 3, end),
                          i + 4 >= end || base[i + 4] &- 0x30 >= 10 {
                    i &+= 1
                } else {
                    break
                }
            }
        } else {
            let digitsStart = i
            while i < end {
                let d = base[i] &- 0x30
                if d >= 10 { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                i &+= 1
            }
            significantDigits = i &- digitsStart
            if significantDigits != 0 { sawDigit = true }
        }
        // Fraction.
        if i < end, base[i] == decimalSeparator {
            i &+= 1
            if mantissa == 0 {
                let fractionZerosStart = i
                while i < end, base[i] == 0x30 { i &+= 1 }
                fractionDigits = i &- fractionZerosStart
                if fractionDigits != 0 { sawDigit = true }
            }
            let fractionStart = i
            while i < end {
                let d = base[i] &- 0x30
                if d >= 10 { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                i &+= 1
            }
            let digits = i &- fractionStart
            if digits != 0 {
                significantDigits &+= digits
                fractionDigits &+= digits
                sawDigit = true
            }
        }
        if !sawDigit { return nil }
        var exponent = -fractionDigits
        if i < end {
            let c = base[i]
            guard c == UInt8(ascii: "e") || c == UInt8(ascii: "E") else { return nil }
            i += 1
            var expNegative = false
            if i < end, base[i] == UInt8(ascii: "-") { expNegative = true; i += 1 } else if i < end, base[i] == UInt8(ascii: "+") { i += 1 }
            var e = 0
            var expDigits = 0
            while i < end, base[i] &- 0x30 < 10 {
                if e < 100_000 { e = e * 10 + Int(base[i] &- 0x30) }
                expDigits += 1
                i += 1
            }
            if expDigits == 0 || i != end { return nil }
            exponent += expNegative ? -e : e
        }
        if significantDigits > 19 || (significantDigits == 19 && mantissa >= (1 << 53)) {
            return slowParse(base, startIndex, endIndex, decimalSeparator: decimalSeparator, groupingSeparator: groupingSeparator)
        }
        var value = Double(mantissa)
        if exponent == 0 || mantissa == 0 {
        } else if exponent > 0, exponent <= 22, mantissa < (1 << 53) {
            value *= powerOfTen(exponent)
        } else if exponent < 0, exponent >= -22, mantissa < (1 << 53) {
            value /= powerOfTen(-exponent)
        } else {
            return slowParse(base, startIndex, endIndex, decimalSeparator: decimalSeparator, groupingSeparator: groupingSeparator)
        }
        return negative ? -value : value
    }

    /// 10^k for 0 ≤ k ≤ 22 (all exact doubles), from a constant table rather than a global array.
    @inline(__always)
    private static func powerOfTen(_ k: Int) -> Double {
        switch k {
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        default: 1e22
        }
    }

    @inline(__always)
    private static func isDigitRun(_ base: UnsafePointer<UInt8>, _ from: Int, _ count: Int, _ end: Int) -> Bool {
        if from + count > end { return false }
        for k in from..<(from + count) where base[k] &- 0x30 >= 10 { return false }
        return true
    }

    @inline(never)
    private static func slowParse(
        _ base: UnsafePointer<UInt8>, _ startIndex: Int, _ endIndex: Int,
        decimalSeparator: UInt8, groupingSeparator: UInt8?
    ) -> Double? {
        var bytes: [CChar] = []
        bytes.reserveCapacity(endIndex - startIndex + 1)
        for k in startIndex..<endIndex {
            let c = base[k]
            if c == 0x20 || c == 0x09 { continue }
            if let g = groupingSeparator, c == g { continue }
            bytes.append(CChar(bitPattern: c == decimalSeparator ? UInt8(ascii: ".") : c))
        }
        bytes.append(0)
        return bytes.withUnsafeBufferPointer { buffer -> Double? in
            var endPointer: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(buffer.baseAddress!, &endPointer)
            guard let endPointer, endPointer.pointee == 0, endPointer != UnsafeMutablePointer(mutating: buffer.baseAddress!) else { return nil }
            return value
        }
    }

    /// Convenience for headers and tests.
    static func parse(_ text: String, decimalSeparator: UInt8 = UInt8(ascii: "."), groupingSeparator: UInt8? = nil) -> Double? {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { return nil }
        let count = bytes.count
        return bytes.withUnsafeMutableBufferPointer { buffer in
            parse(UnsafePointer(buffer.baseAddress!), 0, count, decimalSeparator: decimalSeparator, groupingSeparator: groupingSeparator)
        }
    }
}
