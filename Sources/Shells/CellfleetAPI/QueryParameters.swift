import Foundation

/// A request's query string, read strictly: every name must be one the route knows (a misspelt
/// filter silently ignored would return the whole fleet), each at most once, its value valid
/// UTF-8 without NUL (PostgreSQL text cannot hold one). Each problem is a 400 naming it.
struct QueryParameters {
    private(set) var values: [String: String] = [:]
    /// `attr.KEY=VALUE` filters, in the order given.
    private(set) var attributes: [(key: String, value: String)] = []

    /// - Parameter allowed: the names the route takes; `allowsAttributes` also `attr.*`.
    init(_ query: String?, allowed: Set<String>, allowsAttributes: Bool = false) throws {
        guard let query, !query.isEmpty else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decoded(parts[0], what: "a parameter name")
            let value = try Self.decoded(parts.count > 1 ? parts[1] : "", what: "the value of '\(name)'")
            if allowsAttributes, name.hasPrefix("attr.") {
                let key = String(name.dropFirst(5))
                guard !key.isEmpty else { throw APIProblem.badParameter("'attr.' needs an attribute name: attr.KEY=VALUE, e.g. attr.coating=LiAlO2") }
                guard !attributes.contains(where: { $0.key == key }) else { throw APIProblem.badParameter("'\(name)' is given twice") }
                attributes.append((key, value))
                continue
            }
            guard allowed.contains(name) else {
                let known = (allowed.sorted() + (allowsAttributes ? ["attr.KEY"] : [])).joined(separator: ", ")
                throw APIProblem.badParameter("unknown parameter '\(name)'; this route takes: \(known.isEmpty ? "none" : known)")
            }
            guard values[name] == nil else { throw APIProblem.badParameter("'\(name)' is given twice") }
            values[name] = value
        }
    }

    subscript(name: String) -> String? { values[name] }

    /// One of a fixed set of words.
    func choice(_ name: String, of choices: [String]) throws -> String? {
        guard let value = values[name] else { return nil }
        guard choices.contains(value) else {
            throw APIProblem.badParameter("'\(name)' must be one of \(choices.joined(separator: ", ")), not '\(value)'")
        }
        return value
    }

    /// A non-empty text (an id, a name).
    func text(_ name: String) throws -> String? {
        guard let value = values[name] else { return nil }
        guard !value.isEmpty else { throw APIProblem.badParameter("'\(name)' is empty") }
        return value
    }

    func uuid(_ name: String) throws -> UUID? {
        guard let value = values[name] else { return nil }
        guard let id = UUID(uuidString: value) else { throw APIProblem.badParameter("'\(name)' must be a UUID, not '\(value)'") }
        return id
    }

    /// `limit`: a page size, 1…`maximum`.
    func limit(default fallback: Int = 100, maximum: Int = 1000) throws -> Int {
        guard let value = values["limit"] else { return fallback }
        guard let limit = Int(value), (1...maximum).contains(limit) else {
            throw APIProblem.badParameter("'limit' must be a whole number from 1 to \(maximum), not '\(value)'")
        }
        return limit
    }

    /// Percent-decoded (a `+` is a space, as forms send it), UTF-8, no NUL.
    static func decoded(_ raw: Substring, what: String) throws -> String {
        let plus = raw.replacingOccurrences(of: "+", with: " ")
        guard let text = plus.removingPercentEncoding else {
            throw APIProblem.badParameter("\(what) is not valid percent-encoded UTF-8")
        }
        guard !text.unicodeScalars.contains("\u{0}") else { throw APIProblem.badParameter("\(what) contains a NUL character") }
        return text
    }
}
