import Foundation

/// One cell as stored in sheet XML, before shared strings are looked up.
enum XLSXCellValue: Equatable {
    case number(Double)
    case sharedString(Int)
    case text(String)
    case boolean(Bool)
    case error(String)
}

/// Walks the `<sheetData>` of a worksheet row by row with a byte scanner (no DOM): the sheet of a
/// long cycling test is hundreds of MB of XML, of which only `<c>` values matter.
struct XLSXSheetScanner {
    let xml: [UInt8]
    let sheet: String
    let file: String
    private(set) var offset: Int
    private(set) var finished = false
    private var lastRowNumber = 0

    init(xml: [UInt8], sheet: String, file: String) {
        self.xml = xml
        self.sheet = sheet
        self.file = file
        let marker = Array("sheetData".utf8)
        var start = xml.count
        var i = 0
        while i + marker.count < xml.count {
            if xml[i] == UInt8(ascii: "<") {
                // allow a namespace prefix: <x:sheetData
                var j = i + 1
                while j < xml.count, j < i + 12, xml[j] != UInt8(ascii: ":"), xml[j] != UInt8(ascii: " "), xml[j] != UInt8(ascii: ">") { j += 1 }
                let nameStart = (j < xml.count && xml[j] == UInt8(ascii: ":")) ? j + 1 : i + 1
                if nameStart + marker.count <= xml.count, Array(xml[nameStart..<(nameStart + marker.count)]) == marker {
                    start = nameStart + marker.count
                    break
                }
            }
            i += 1
        }
        self.offset = start
        if start >= xml.count { finished = true }
    }

    func error(_ reason: String) -> CyclerReadError {
        CyclerReadError(file: file, location: "sheet '\(sheet)', byte \(offset)", reason: reason)
    }

    /// Fills `cells` with (0-based column, value, style) of the next row that has any value.
    /// Returns false after `</sheetData>` or the end of the XML.
    mutating func nextRow(into cells: inout [(column: Int, value: XLSXCellValue, style: Int)]) throws -> Bool {
        cells.removeAll(keepingCapacity: true)
        guard !finished else { return false }
        do {
            return try scanRow(into: &cells)
        } catch let failure as ScanFailure {
            finished = true
            throw error(failure.reason)
        }
    }

    private mutating func scanRow(into cells: inout [(column: Int, value: XLSXCellValue, style: Int)]) throws -> Bool {
        try xml.withUnsafeBufferPointer { p -> Bool in
            let n = p.count
            var i = offset
            defer { offset = i }
            while true {
                // Find the next tag.
                while i < n && p[i] != UInt8(ascii: "<") { i += 1 }
                guard i < n else { finished = true; return !cells.isEmpty }
                i += 1
                let closing = i < n && p[i] == UInt8(ascii: "/")
                if closing { i += 1 }
                let (name, afterName) = Self.localName(p, i)
                i = afterName
                if closing {
                    if Self.equals(p, name, "sheetData") { finished = true; return !cells.isEmpty }
                    if Self.equals(p, name, "row") {
                        if !cells.isEmpty { return true }
                    }
                    continue
                }
                if Self.equals(p, name, "row") {
                    let attrs = try Self.attributes(p, i)
                    i = attrs.end
                    if let r = attrs.r, let rowNumber = Self.parseInt(p, r) {
                        lastRowNumber = rowNumber
                    } else {
                        lastRowNumber += 1
                    }
                    continue
                }
                if Self.equals(p, name, "c") {
                    let attrs = try Self.attributes(p, i)
                    i = attrs.end
                    var column = (cells.last?.column ?? -1) + 1
                    if let r = attrs.r {
                        guard let c = Self.columnIndex(p, r) else { throw ScanFailure(reason: "bad cell reference") }
                        column = c
                    }
                    let style = attrs.s.flatMap { Self.parseInt(p, $0) } ?? 0
                    if attrs.selfClosing { continue }
                    let type = attrs.t
                    var value: XLSXCellValue?
                    // Children until </c>.
                    while true {
                        while i < n && p[i] != UInt8(ascii: "<") { i += 1 }
                        guard i < n else { throw ScanFailure(reason: "cell is not closed (truncated XML)") }
                        i += 1
                        let isClose = i < n && p[i] == UInt8(ascii: "/")
                        if isClose { i += 1 }
                        let (child, afterChild) = Self.localName(p, i)
                        i = afterChild
                        if isClose {
                            if Self.equals(p, child, "c") { break }
                            continue
                        }
                        let childAttributes = try Self.attributes(p, i)
                        i = childAttributes.end
                        if childAttributes.selfClosing { continue }
                        if Self.equals(p, child, "v") {
                            let start = i
                            while i < n && p[i] != UInt8(ascii: "<") { i += 1 }
                            value = try Self.interpret(p, start..<i, type: type)
                        } else if Self.equals(p, child, "is") {
                            value = .text(try Self.inlineText(p, &i))
                        } else if Self.equals(p, child, "f") {
                            // Formula text: skip to its end; the cached value follows in <v>.
                            while i < n && p[i] != UInt8(ascii: "<") { i += 1 }
                        }
                    }
                    if let value { cells.append((column, value, style)) }
                    continue
                }
                // Any other tag: skip its attributes.
                i = try Self.attributes(p, i).end
            }
        }
    }

    // MARK: byte helpers

    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// Name of the tag starting at `i`, without namespace prefix.
    @inline(__always)
    static func localName(_ p: Bytes, _ start: Int) -> (Range<Int>, Int) {
        var i = start
        var nameStart = start
        while i < p.count {
            let c = p[i]
            if c == UInt8(ascii: ">") || c == UInt8(ascii: "/") || c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { break }
            if c == UInt8(ascii: ":") { nameStart = i + 1 }
            i += 1
        }
        return (nameStart..<i, i)
    }

    @inline(__always)
    static func equals(_ p: Bytes, _ r: Range<Int>, _ s: StaticString) -> Bool {
        guard r.count == s.utf8CodeUnitCount else { return false }
        let q = s.utf8Start
        for k in 0..<r.count where p[r.lowerBound + k] != q[k] { return false }
        return true
    }

    /// Why the XML could not be scanned; turned into a `CyclerReadError` with the location by
    /// the caller (building that error eagerly per tag would cost more than the scan).
    struct ScanFailure: Error { var reason: String }

    struct TagAttributes {
        var r: Range<Int>?
        var t: Range<Int>?
        var s: Range<Int>?
        var end: Int
        var selfClosing: Bool
    }

    /// Reads attributes up to the tag's `>`, keeping the value ranges of `r`, `t` and `s`
    /// (the only ones a cell or row needs); returns the offset after `>`.
    static func attributes(_ p: Bytes, _ start: Int) throws -> TagAttributes {
        var found = TagAttributes(r: nil, t: nil, s: nil, end: start, selfClosing: false)
        var i = start
        let n = p.count
        while i < n {
            let c = p[i]
            if c == UInt8(ascii: ">") {
                found.end = i + 1
                found.selfClosing = i > start && p[i - 1] == UInt8(ascii: "/")
                return found
            }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                throw ScanFailure(reason: "malformed tag: stray quote")
            }
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == UInt8(ascii: "/") { i += 1; continue }
            let keyStart = i
            while i < n, p[i] != UInt8(ascii: "="), p[i] != UInt8(ascii: ">"), p[i] != 0x20 { i += 1 }
            let keyLength = i - keyStart
            guard i < n, p[i] == UInt8(ascii: "=") else { continue }
            i += 1
            guard i < n, p[i] == UInt8(ascii: "\"") || p[i] == UInt8(ascii: "'") else {
                throw ScanFailure(reason: "malformed attribute: value not quoted")
            }
            let quote = p[i]
            i += 1
            let valueStart = i
            while i < n && p[i] != quote { i += 1 }
            guard i < n else { throw ScanFailure(reason: "attribute value is not closed (truncated XML)") }
            if keyLength == 1 {
                switch p[keyStart] {
                case UInt8(ascii: "r"): found.r = valueStart..<i
                case UInt8(ascii: "t"): found.t = valueStart..<i
                case UInt8(ascii: "s"): found.s = valueStart..<i
                default: break
                }
            }
            i += 1
        }
        throw ScanFailure(reason: "tag is not closed (truncated XML)")
    }

    /// 0-based column of a cell reference like `AB12` (letters only are used).
    static func columnIndex(_ p: Bytes, _ r: Range<Int>) -> Int? {
        var col = 0
        var letters = 0
        for k in r {
            let c = p[k]
            let upper = c & ~0x20
            if upper >= UInt8(ascii: "A") && upper <= UInt8(ascii: "Z") {
                col = col * 26 + Int(upper - UInt8(ascii: "A") + 1)
                letters += 1
                if letters > 3 { return nil }  // Excel stops at XFD
            } else { break }
        }
        return letters == 0 ? nil : col - 1
    }

    static func parseInt(_ p: Bytes, _ r: Range<Int>) -> Int? {
        guard !r.isEmpty, r.count <= 12 else { return nil }
        var v = 0
        for k in r {
            let d = Int(p[k]) - 48
            guard d >= 0 && d <= 9 else { return nil }
            v = v * 10 + d
        }
        return v
    }

    static func interpret(_ p: Bytes, _ r: Range<Int>, type: Range<Int>?) throws -> XLSXCellValue? {
        guard let type else {
            guard let x = parseNumber(p, r) else { throw ScanFailure(reason: "cell value '\(decodeText(p, r))' is not a number") }
            return .number(x)
        }
        if equals(p, type, "n") {
            guard let x = parseNumber(p, r) else { throw ScanFailure(reason: "cell value '\(decodeText(p, r))' is not a number") }
            return .number(x)
        }
        if equals(p, type, "s") {
            guard let k = parseInt(p, r) else { throw ScanFailure(reason: "shared string index '\(decodeText(p, r))' is not an integer") }
            return .sharedString(k)
        }
        if equals(p, type, "b") { return .boolean(r.count == 1 && p[r.lowerBound] == UInt8(ascii: "1")) }
        if equals(p, type, "e") { return .error(decodeText(p, r)) }
        // "str" (formula string), "d" (ISO date), "inlineStr" with a <v>: text as written.
        return .text(decodeText(p, r))
    }

    /// Text of an `<is>` inline string: all `<t>` runs until `</is>`.
    static func inlineText(_ p: Bytes, _ i: inout Int) throws -> String {
        var out = ""
        let n = p.count
        while true {
            while i < n && p[i] != UInt8(ascii: "<") { i += 1 }
            guard i < n else { throw ScanFailure(reason: "inline string is not closed (truncated XML)") }
            i += 1
            let closing = i < n && p[i] == UInt8(ascii: "/")
            if closing { i += 1 }
            let (name, after) = localName(p, i)
            i = after
            if closing {
                if equals(p, name, "is") {
                    while i < n && p[i] != UInt8(ascii: ">") { i += 1 }
                    i = min(n, i + 1)
                    return out
                }
                continue
            }
            let tag = try attributes(p, i)
            i = tag.end
            if equals(p, name, "t") && !tag.selfClosing {
                let start = i
                while i < n && p[i] != UInt8(ascii: "<") { i += 1 }
                out += decodeText(p, start..<i)
            }
        }
    }

    static func decodeText(_ p: Bytes, _ r: Range<Int>) -> String {
        let s = String(decoding: UnsafeBufferPointer(rebasing: p[r]), as: UTF8.self)
        return s.contains("&") ? unescapeEntities(s) : s
    }

    static func unescapeEntities(_ s: String) -> String {
        var out = ""
        var rest = Substring(s)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";"), rest.distance(from: amp, to: semi) <= 10 else {
                out += "&"; rest = rest[rest.index(after: amp)...]; continue
            }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                var scalar: Unicode.Scalar?
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                } else if entity.hasPrefix("#") {
                    scalar = UInt32(entity.dropFirst()).flatMap(Unicode.Scalar.init)
                }
                if let scalar { out.unicodeScalars.append(scalar) } else { out += rest[amp...semi] }
            }
            rest = rest[rest.index(after: semi)...]
        }
        out += rest
        return out
    }

    private static let powersOf10: [Double] = (0...22).map { pow(10, Double($0)) }

    /// Decimal text → Double. Exact fast path for ≤15 significant digits and small exponents
    /// (Clinger), else the C library's correctly rounded `strtod`.
    static func parseNumber(_ p: Bytes, _ r: Range<Int>) -> Double? {
        guard !r.isEmpty, r.count < 64 else { return nil }
        var i = r.lowerBound
        let end = r.upperBound
        var negative = false
        if p[i] == UInt8(ascii: "-") { negative = true; i += 1 } else if p[i] == UInt8(ascii: "+") { i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var sawDigit = false
        while i < end, p[i] >= 48, p[i] <= 57 {
            sawDigit = true
            if digits > 0 || p[i] != 48 { digits += 1 }
            if digits <= 18 { mantissa = mantissa * 10 + UInt64(p[i] - 48) } else { exponent += 1 }
            i += 1
        }
        if i < end, p[i] == UInt8(ascii: ".") {
            i += 1
            while i < end, p[i] >= 48, p[i] <= 57 {
                sawDigit = true
                if digits > 0 || p[i] != 48 { digits += 1 }
                if digits <= 18 { mantissa = mantissa * 10 + UInt64(p[i] - 48); exponent -= 1 }
                i += 1
            }
        }
        guard sawDigit else { return nil }
        if i < end, p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") {
            i += 1
            var expNegative = false
            if i < end, p[i] == UInt8(ascii: "-") { expNegative = true; i += 1 } else if i < end, p[i] == UInt8(ascii: "+") { i += 1 }
            var e = 0
            var expDigits = 0
            while i < end, p[i] >= 48, p[i] <= 57 {
                if e < 100_000 { e = e * 10 + Int(p[i] - 48) }
                expDigits += 1
                i += 1
            }
            guard expDigits > 0 else { return nil }
            exponent += expNegative ? -e : e
        }
        guard i == end else { return nil }
        if digits <= 15 && abs(exponent) <= 22 {
            var x = Double(mantissa)
            if exponent < 0 { x /= powersOf10[-exponent] } else { x *= powersOf10[exponent] }
            return negative ? -x : x
        }
        // Slow path: correctly rounded conversion.
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: r.count + 1) { b -> Double? in
            guard let base = b.baseAddress else { return nil }
            for (k, idx) in r.enumerated() { b[k] = CChar(bitPattern: p[idx]) }
            b[r.count] = 0
            var endPointer: UnsafeMutablePointer<CChar>?
            let x = strtod(base, &endPointer)
            guard let endPointer, endPointer - UnsafeMutablePointer(mutating: base) == r.count else { return nil }
            return x
        }
    }
}
