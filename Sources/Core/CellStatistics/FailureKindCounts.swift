/// Failures per kind (short, polarization, fade, ...) in one group.
///
/// Kinds compete: a cell that shorted can no longer fade. They are counted, not turned into
/// 1 − KM per kind, which would overstate every kind's probability.
public struct FailureKindCounts: Sendable, Equatable {
    /// Kind label used for failed cells whose kind was left blank.
    public static let unspecified = "unspecified"

    /// Kind (lower-cased) → failed cells, sorted by kind.
    public let counts: [(kind: String, failures: Int)]

    public init(cells: [CellLife]) {
        var tally: [String: Int] = [:]
        for cell in cells where cell.failed {
            let kind = cell.kind?.trimmingWhitespace().lowercased() ?? ""
            tally[kind.isEmpty ? Self.unspecified : kind, default: 0] += 1
        }
        counts = tally.keys.sorted().map { ($0, tally[$0]!) }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.counts.elementsEqual(rhs.counts) { $0.kind == $1.kind && $0.failures == $1.failures }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        // Printable ASCII at both ends (every channel and kind name in practice): nothing to
        // trim, and no copy — `/stats` trims one name per test of the fleet.
        if let first = utf8.first, let last = utf8.last, (0x21...0x7E).contains(first), (0x21...0x7E).contains(last) {
            return self
        }
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
