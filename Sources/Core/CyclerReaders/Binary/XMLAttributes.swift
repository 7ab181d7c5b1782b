import Foundation

/// Attribute lists of elements in the small XML side files of `.ndax` and `.xlsx`, found with
/// a byte scan rather than a DOM: the files are vendor-written and only a few attributes matter.
enum XMLAttributes {
    /// Attributes of the first `<tag …>` element.
    static func first(tag: String, in xml: [UInt8]) -> [String: String]? {
        var found: [String: String]?
        scan(xml) { name, attributes in
            if name == tag { found = attributes; return false }
            return true
        }
        return found
    }

    /// Attributes of every element whose name is `prefix` followed by digits (`Aux1`, `Aux2`…), in order.
    static func all(tagPrefix prefix: String, in xml: [UInt8]) -> [[String: String]] {
        var out: [[String: String]] = []
        scan(xml) { name, attributes in
            if name.hasPrefix(prefix), name.count > prefix.count, name.dropFirst(prefix.count).allSatisfy(\.isNumber) {
                out.append(attributes)
            }
            return true
        }
        return out
    }

    /// Calls `visit(name, attributes)` for each start tag until it returns false.
    static func scan(_ xml: [UInt8], _ visit: (String, [String: String]) -> Bool) {
        var i = 0
        let n = xml.count
        while i < n {
            guard xml[i] == UInt8(ascii: "<") else { i += 1; continue }
            i += 1
            guard i < n else { return }
            let c = xml[i]
            if c == UInt8(ascii: "?") || c == UInt8(ascii: "!") || c == UInt8(ascii: "/") { continue }
            let nameStart = i
            while i < n, !isSpace(xml[i]), xml[i] != UInt8(ascii: ">"), xml[i] != UInt8(ascii: "/") { i += 1 }
            let name = String(decoding: xml[nameStart..<i], as: UTF8.self)
            var attributes: [String: String] = [:]
            while i < n, xml[i] != UInt8(ascii: ">") {
                while i < n, isSpace(xml[i]) || xml[i] == UInt8(ascii: "/") { i += 1 }
                let keyStart = i
                while i < n, xml[i] != UInt8(ascii: "="), xml[i] != UInt8(ascii: ">"), !isSpace(xml[i]) { i += 1 }
                let key = String(decoding: xml[keyStart..<i], as: UTF8.self)
                guard i < n, xml[i] == UInt8(ascii: "=") else { continue }
                i += 1
                guard i < n, xml[i] == UInt8(ascii: "\"") || xml[i] == UInt8(ascii: "'") else { continue }
                let quote = xml[i]
                i += 1
                let valueStart = i
                while i < n, xml[i] != quote { i += 1 }
                attributes[key] = unescape(String(decoding: xml[valueStart..<min(i, n)], as: UTF8.self))
                i += 1
            }
            if !visit(name, attributes) { return }
        }
    }

    @inline(__always)
    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }

    /// XML entity decoding without Foundation string searches (TestInfo.xml carries long
    /// JSON blobs full of `&quot;`).
    static func unescape(_ s: String) -> String {
        var utf8 = Array(s.utf8)
        guard utf8.contains(UInt8(ascii: "&")) else { return s }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = 0
        let entities: [(String, UInt8)] = [("&quot;", 34), ("&apos;", 39), ("&lt;", 60), ("&gt;", 62), ("&amp;", 38)]
        outer: while i < utf8.count {
            if utf8[i] == UInt8(ascii: "&") {
                for (name, byte) in entities {
                    let e = Array(name.utf8)
                    if i + e.count <= utf8.count && Array(utf8[i..<(i + e.count)]) == e {
                        out.append(byte)
                        i += e.count
                        continue outer
                    }
                }
            }
            out.append(utf8[i])
            i += 1
        }
        utf8 = out
        return String(decoding: utf8, as: UTF8.self)
    }
}
