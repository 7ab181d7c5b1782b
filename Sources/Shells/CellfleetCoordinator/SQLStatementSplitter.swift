/// Splits a migration file into statements at top-level semicolons, respecting comments,
/// quoted strings, quoted identifiers and dollar-quoted bodies. postgres-nio sends every query
/// through the extended protocol, which takes one statement at a time.
enum SQLStatementSplitter {
    static func split(_ sql: String) -> [String] {
        let scalars = Array(sql.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0
        var hasContent = false
        func flush() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if hasContent, !text.isEmpty { statements.append(text) }
            current = String.UnicodeScalarView()
            hasContent = false
        }
        while index < scalars.count {
            let c = scalars[index]
            let next: Unicode.Scalar? = index + 1 < scalars.count ? scalars[index + 1] : nil
            if c == "-" && next == "-" {
                while index < scalars.count && scalars[index] != "\n" { index += 1 }
                continue
            }
            if c == "/" && next == "*" {
                index += 2
                while index + 1 < scalars.count && !(scalars[index] == "*" && scalars[index + 1] == "/") { index += 1 }
                index += 2
                continue
            }
            if c == "'" || c == "\"" {
                current.append(c)
                index += 1
                while index < scalars.count {
                    current.append(scalars[index])
                    if scalars[index] == c {
                        if index + 1 < scalars.count && scalars[index + 1] == c {
                            current.append(scalars[index + 1])
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    index += 1
                }
                hasContent = true
                continue
            }
            if c == "$" {
                // $tag$ … $tag$
                var end = index + 1
                while end < scalars.count && (scalars[end].properties.isAlphabetic || scalars[end] == "_" || ("0"..."9").contains(scalars[end])) { end += 1 }
                if end < scalars.count && scalars[end] == "$" {
                    let tag = Array(scalars[index...end])
                    current.append(contentsOf: tag)
                    index = end + 1
                    while index < scalars.count {
                        if scalars[index] == "$", index + tag.count <= scalars.count, Array(scalars[index..<(index + tag.count)]) == tag {
                            current.append(contentsOf: tag)
                            index += tag.count
                            break
                        }
                        current.append(scalars[index])
                        index += 1
                    }
                    hasContent = true
                    continue
                }
            }
            if c == ";" {
                flush()
                index += 1
                continue
            }
            if !c.properties.isWhitespace { hasContent = true }
            current.append(c)
            index += 1
        }
        flush()
        return statements
    }
}
