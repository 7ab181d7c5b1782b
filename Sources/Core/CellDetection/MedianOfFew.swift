/// Medians of the short baseline windows the detectors keep (≤ 12 values), and of three samples
/// for deglitching. Sorting a copy of a dozen values is cheaper than anything clever.
enum MedianOfFew {
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : 0.5 * (sorted[middle - 1] + sorted[middle])
    }

    @inline(__always)
    static func median3(_ a: Double, _ b: Double, _ c: Double) -> Double {
        max(min(a, b), min(max(a, b), c))
    }
}

/// A bounded window of the most recent values: detector state must not grow with test length.
struct RecentValues: Codable, Sendable, Hashable {
    private(set) var values: [Double] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        values.reserveCapacity(capacity)
    }

    mutating func append(_ value: Double) {
        if values.count < capacity {
            values.append(value)
        } else {
            values[next] = value
            next = (next + 1) % capacity
        }
    }

    /// Oldest first.
    var chronological: [Double] {
        values.count < capacity ? values : Array(values[next...] + values[..<next])
    }

    var isFull: Bool { values.count == capacity }
    var count: Int { values.count }
    var sum: Double { values.reduce(0, +) }
    var mean: Double? { values.isEmpty ? nil : sum / Double(values.count) }

    mutating func removeAll() {
        values.removeAll(keepingCapacity: true)
        next = 0
    }
}
