import Foundation

/// Recognises a text export from its first bytes: which profile's header it carries, on which
/// line, with which delimiter and decimal separator. The extension is only a tie-breaker.
enum TextLayoutSniffer {
    static let headBytes = 128 * 1024
    static let maximumHeaderLine = 400

    struct Match {
        var profile: CyclerProfile
        var layout: TextLayout
        var score: Int
    }

    static func readHead(path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CyclerReadError(file: path, reason: "cannot open the file for reading")
        }
        defer { try? handle.close() }
        // Straight into the array: going through `Data` copied the head twice.
        let fd = handle.fileDescriptor
        return [UInt8](unsafeUninitializedCapacity: headBytes) { buffer, initialized in
            initialized = 0
            while initialized < headBytes {
                let got = read(fd, buffer.baseAddress! + initialized, headBytes - initialized)
                if got < 0, errno == EINTR { continue }
                if got <= 0 { break }
                initialized += got
            }
        }
    }

    /// Lines of the head with their byte offsets (line terminator excluded).
    static func lines(_ head: [UInt8]) -> [(start: Int, end: Int, next: Int)] {
        // Labelled as returned: an unlabelled array had to be cast element by element.
        var result: [(start: Int, end: Int, next: Int)] = []
        result.reserveCapacity(64)
        let limit = maximumHeaderLine + 60
        head.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return }
            var start = 0
            while start < b.count, result.count < limit {
                guard let hit = memchr(base + start, 0x0A, b.count - start) else {
                    if head.count < headBytes { result.append((start, b.count, b.count)) }
                    return
                }
                let newline = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                var end = newline
                if end > start, base[end - 1] == 0x0D { end -= 1 }
                result.append((start, end, newline + 1))
                start = newline + 1
            }
        }
        return result
    }

    static func delimiterByte(_ name: String) -> UInt8? {
        switch name {
        case "tab", "\t": 0x09
        case "comma", ",": UInt8(ascii: ",")
        case "semicolon", ";": UInt8(ascii: ";")
        default: name.utf8.count == 1 ? name.utf8.first : nil
        }
    }

    static func fields(_ head: [UInt8], _ start: Int, _ end: Int, delimiter: UInt8, prefix: String?) -> [String] {
        if let fast = asciiFields(head, start, end, delimiter: delimiter, prefix: prefix) { return fast }
        var text = decodeText(head[start..<end])
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        if let prefix, text.hasPrefix(prefix) { text.removeFirst(prefix.count) }
        return text.split(separator: Character(Unicode.Scalar(delimiter)), omittingEmptySubsequences: false)
            .map { trim($0, extra: "\"") }
    }

    /// `fields` for an ASCII line (after a byte-order mark) and prefix, on bytes: there every byte is a character (lines
    /// hold no `\n`), so splitting and trimming bytes gives the same names, without building
    /// characters one by one. Nil otherwise.
    static func asciiFields(_ head: [UInt8], _ start: Int, _ end: Int, delimiter: UInt8, prefix: String?) -> [String]? {
        guard delimiter < 0x80 else { return nil }
        let prefixBytes = Array((prefix ?? "").utf8)
        if prefixBytes.contains(where: { $0 >= 0x80 }) { return nil }
        var s = start
        // A UTF-8 byte-order mark is dropped as `fields` drops it.
        if end - s >= 3, head[s] == 0xEF, head[s + 1] == 0xBB, head[s + 2] == 0xBF { s += 3 }
        for k in s..<end where head[k] >= 0x80 { return nil }
        if !prefixBytes.isEmpty, end - s >= prefixBytes.count, Array(head[s..<(s + prefixBytes.count)]) == prefixBytes {
            s += prefixBytes.count
        }
        func strip(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == UInt8(ascii: "\"") }
        var names: [String] = []
        head.withUnsafeBufferPointer { b in
            var fieldStart = s
            var k = s
            while true {
                if k == end || b[k] == delimiter {
                    var fs = fieldStart
                    var fe = k
                    while fs < fe, strip(b[fs]) { fs += 1 }
                    while fe > fs, strip(b[fe - 1]) { fe -= 1 }
                    names.append(String(decoding: UnsafeBufferPointer(rebasing: b[fs..<fe]), as: UTF8.self))
                    if k == end { break }
                    fieldStart = k + 1
                }
                k += 1
            }
        }
        return names
    }

    static func detect(path: String, head: [UInt8], profiles: [CyclerProfile]) -> Match? {
        let markerRegion = min(head.count, 64 * 1024)
        let rarity = ByteRarity(head)
        let lineTable = lines(head)
        // Bytes of the lines a header may be on: a name absent from them is absent from each line.
        let headerRegionEnd = lineTable.prefix(maximumHeaderLine).last?.end ?? 0
        let ext = (path as NSString).pathExtension.lowercased()
        var best: Match? = nil
        // Split each candidate line once per (delimiter, prefix), not once per profile.
        var cache: [Int: (names: [String], normalised: Set<String>)] = [:]
        func header(_ n: Int, _ d: UInt8, _ prefix: String?) -> (names: [String], normalised: Set<String>) {
            let key = n &* 1024 &+ Int(d) &* 2 &+ (prefix == nil ? 0 : 1)
            if let hit = cache[key] { return hit }
            let line = lineTable[n]
            var hasDelimiter = false
            for k in line.start..<line.end where head[k] == d { hasDelimiter = true; break }
            let names = hasDelimiter ? fields(head, line.start, line.end, delimiter: d, prefix: prefix) : []
            let value = (names, Set(names.map(CyclerRecordReader.normalisedName)))
            cache[key] = value
            return value
        }
        for profile in profiles where profile.containers.contains("text") {
            let markers = profile.detect?.markers ?? []
            if !markers.allSatisfy({ bytesContain(head, Array($0.utf8), to: markerRegion, rarity: rarity) }) { continue }
            let delimiters = (profile.text?.delimiters ?? ["tab", "comma", "semicolon"]).compactMap(delimiterByte)
            let layered = profile.text?.layered ?? false
            var found: Match? = nil
            // Cheap prefilter: the line must hold the first name of a header set, as written or lower case.
            let firstNames = (profile.detect?.headerColumns ?? []).compactMap { $0.first }
                .flatMap { [Array($0.utf8), Array($0.lowercased().utf8)] }
                .filter { bytesContain(head, $0, to: headerRegionEnd, rarity: rarity) }
            if firstNames.isEmpty { continue }
            let sets = (profile.detect?.headerColumns ?? []).map { Set($0.map(CyclerRecordReader.normalisedName)) }
            search: for n in linesContaining(firstNames, head: head, lineTable: lineTable, lineCount: min(lineTable.count, maximumHeaderLine), rarity: rarity) {
                let line = lineTable[n]
                for d in delimiters {
                    let (names, normalised) = header(n, d, profile.text?.headerPrefix)
                    guard names.count >= 2 else { continue }
                    guard let matched = sets.first(where: { $0.isSubset(of: normalised) }) else { continue }
                    if layered {
                        guard n >= 2, names.first?.isEmpty == true else { continue }  // a record row's header starts with empty fields
                        let stepLine = lineTable[n - 1]
                        let cycleLine = lineTable[n - 2]
                        let recordNames = Array(names.drop { $0.isEmpty })
                        let stepNames = Array(fields(head, stepLine.start, stepLine.end, delimiter: d, prefix: nil).dropFirst())
                        let cycleNames = fields(head, cycleLine.start, cycleLine.end, delimiter: d, prefix: nil)
                        let layout = TextLayout(
                            delimiter: d, decimalSeparator: UInt8(ascii: "."), dataStartOffset: line.next, headerLineNumber: n,
                            columnNames: recordNames, metadata: [:],
                            layered: LayeredLayout(cycleColumns: trimTrailingEmpty(cycleNames), stepColumns: trimTrailingEmpty(stepNames), recordColumns: trimTrailingEmpty(recordNames)))
                        found = Match(profile: profile, layout: layout, score: 0)
                    } else {
                        let metadata = parseMetadata(head, lineTable.prefix(n), prefix: profile.text?.headerPrefix)
                        let layout = TextLayout(delimiter: d, decimalSeparator: UInt8(ascii: "."), dataStartOffset: line.next, headerLineNumber: n, columnNames: names, metadata: metadata)
                        found = Match(profile: profile, layout: layout, score: 0)
                    }
                    found!.score = markers.count * 100 + matched.count * 10 + (profile.priority ?? 0)
                    if profile.detect?.extensions?.contains(ext) == true { found!.score += 5 }
                    break search
                }
            }
            guard var match = found else { continue }
            configureNumbers(&match, head: head, lineTable: lineTable)
            if best == nil || match.score > best!.score { best = match }
        }
        return best
    }

    /// Indices, ascending, of the first `lineCount` lines that hold one of `needles`: one sweep
    /// of the head per needle rather than one search per line and needle.
    static func linesContaining(_ needles: [[UInt8]], head: [UInt8], lineTable: [(start: Int, end: Int, next: Int)], lineCount: Int, rarity: ByteRarity? = nil) -> [Int] {
        guard lineCount > 0 else { return [] }
        let regionEnd = lineTable[lineCount - 1].end
        var hits = Set<Int>()
        head.withUnsafeBufferPointer { h in
            guard let base = h.baseAddress else { return }
            for needle in needles where !needle.isEmpty && needle.count <= regionEnd {
                needle.withUnsafeBufferPointer { n in
                    let anchor = rarity?.anchor(needle) ?? 0
                    let anchorByte = Int32(n[anchor])
                    let lastStart = regionEnd - n.count
                    var offset = 0
                    while offset <= lastStart {
                        guard let hit = memchr(base + offset + anchor, anchorByte, lastStart - offset + 1) else { break }
                        let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self)) - anchor
                        if memcmp(base + at, n.baseAddress!, n.count) == 0 {
                            // The line that starts at or before `at`; it must hold the whole needle.
                            var low = 0
                            var high = lineCount - 1
                            while low < high {
                                let mid = (low + high + 1) / 2
                                if lineTable[mid].start <= at { low = mid } else { high = mid - 1 }
                            }
                            if lineTable[low].start <= at, at + n.count <= lineTable[low].end { hits.insert(low) }
                        }
                        offset = at + 1
                    }
                }
            }
        }
        return hits.sorted()
    }

    /// Trims spaces, tabs, a BOM and `extra` without going through NSString.
    static func trim(_ text: Substring, extra: Unicode.Scalar? = nil) -> String {
        func strip(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\u{FEFF}" || c == "\r" || c == extra }
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, strip(scalars[start]) { start = scalars.index(after: start) }
        while end > start, strip(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }

    static func bytesContain(_ haystack: [UInt8], _ needle: [UInt8], from: Int = 0, to: Int? = nil, rarity: ByteRarity? = nil) -> Bool {
        let end = to ?? haystack.count
        if needle.isEmpty { return true }
        if end - from < needle.count { return false }
        return haystack.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                let base = h.baseAddress!
                // Scan for the needle's rarest byte, not its first: `E` of `EC-Lab` is in
                // every exponent of a numeric export.
                let anchor = rarity?.anchor(needle) ?? 0
                let anchorByte = Int32(n[anchor])
                var offset = from
                let lastStart = end - n.count
                while offset <= lastStart {
                    guard let hit = memchr(base + offset + anchor, anchorByte, lastStart - offset + 1) else { return false }
                    let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self)) - anchor
                    if memcmp(base + at, n.baseAddress!, n.count) == 0 { return true }
                    offset = at + 1
                }
                return false
            }
        }
    }

    /// How often each byte occurs in a sample of the head, to pick which byte of a name to scan for.
    struct ByteRarity {
        private var counts = [Int](repeating: 0, count: 256)

        init(_ head: [UInt8]) {
            let start = min(head.count, 4096)
            let end = min(head.count, start + 8192)
            counts.withUnsafeMutableBufferPointer { c in
                head.withUnsafeBufferPointer { h in
                    for k in start..<end { c[Int(h[k])] += 1 }
                }
            }
        }

        /// Index of the needle's least frequent byte (the first of equals).
        func anchor(_ needle: [UInt8]) -> Int {
            var best = 0
            for k in needle.indices where counts[Int(needle[k])] < counts[Int(needle[best])] { best = k }
            return best
        }
    }

    static func trimTrailingEmpty(_ names: [String]) -> [String] {
        var n = names
        while let last = n.last, last.isEmpty { n.removeLast() }
        return n
    }

    static func parseMetadata(_ head: [UInt8], _ lines: ArraySlice<(start: Int, end: Int, next: Int)>, prefix: String?) -> [String: String] {
        var metadata: [String: String] = [:]
        let prefixBytes = Array((prefix ?? "").utf8)
        for line in lines {
            var start = line.start
            if !prefixBytes.isEmpty, line.end - start >= prefixBytes.count, Array(head[start..<(start + prefixBytes.count)]) == prefixBytes {
                start += prefixBytes.count
            }
            // Key up to the first ':' (or tab), value after it; bytes, not Characters, for speed.
            var split = -1
            var k = start
            while k < line.end {
                if head[k] == UInt8(ascii: ":") { split = k; break }
                k += 1
            }
            if split < 0 {
                k = start
                while k < line.end, head[k] != 0x09 { k += 1 }
                if k < line.end { split = k }
            }
            guard split > start else { continue }
            let key = trim(Substring(decodeText(head[start..<split])))
            let value = trim(Substring(decodeText(head[(split + 1)..<line.end])))
            if !key.isEmpty, metadata[key] == nil { metadata[key] = value }
        }
        return metadata
    }

    /// Decimal comma or point, from the data lines below the header (a field like `0,1377`
    /// in a tab-separated file means decimal comma).
    static func configureNumbers(_ match: inout Match, head: [UInt8], lineTable: [(start: Int, end: Int, next: Int)]) {
        let d = match.layout.delimiter
        let setting = match.profile.text?.decimal ?? "auto"
        var decimal = UInt8(ascii: ".")
        if setting == "comma" {
            decimal = UInt8(ascii: ",")
        } else if setting == "auto", d != UInt8(ascii: ",") {
            var commaVotes = 0
            var pointVotes = 0
            let startLine = (lineTable.firstIndex { $0.start >= match.layout.dataStartOffset }) ?? lineTable.count
            for line in lineTable[startLine..<min(lineTable.count, startLine + 50)] {
                var fieldStart = line.start
                var k = line.start
                while k <= line.end {
                    if k == line.end || head[k] == d {
                        let (c, p) = classify(head, fieldStart, k)
                        commaVotes += c
                        pointVotes += p
                        fieldStart = k + 1
                    }
                    k += 1
                }
            }
            if commaVotes > pointVotes { decimal = UInt8(ascii: ",") }
        }
        match.layout.decimalSeparator = decimal
        if match.profile.text?.thousandsSeparators == true {
            let grouping: UInt8 = decimal == UInt8(ascii: ",") ? UInt8(ascii: ".") : UInt8(ascii: ",")
            if grouping != d { match.layout.groupingSeparator = grouping }
        }
    }

    /// (1, 0) for `12,5`-like numbers, (0, 1) for `12.5`-like, (0, 0) otherwise.
    private static func classify(_ head: [UInt8], _ start: Int, _ end: Int) -> (Int, Int) {
        var digitsBefore = 0
        var digitsAfter = 0
        var separator: UInt8 = 0
        var k = start
        while k < end, head[k] == 0x20 || head[k] == UInt8(ascii: "-") { k += 1 }
        while k < end {
            let c = head[k]
            if c >= 0x30, c <= 0x39 {
                if separator == 0 { digitsBefore += 1 } else { digitsAfter += 1 }
            } else if (c == UInt8(ascii: ",") || c == UInt8(ascii: ".")), separator == 0 {
                separator = c
            } else if c == UInt8(ascii: "E") || c == UInt8(ascii: "e") {
                break
            } else {
                return (0, 0)
            }
            k += 1
        }
        guard digitsBefore > 0, digitsAfter > 0 else { return (0, 0) }
        // `1,234` could be a thousands separator; only count it when the fraction isn't 3 digits
        // or the number has an exponent.
        if separator == UInt8(ascii: ",") { return digitsAfter == 3 && k == end ? (0, 0) : (1, 0) }
        if separator == UInt8(ascii: ".") { return (0, 1) }
        return (0, 0)
    }
}
