/// The deliveries an agent holds durably that the coordinator has not acknowledged yet, by id.
///
/// A spool hands out ids one after another, so they are kept as runs of consecutive ids plus
/// the few acknowledged out of order: a spool of millions of deliveries during a long outage
/// costs a handful of words here, not a set of millions. A damaged spool segment leaves a hole
/// in the ids, which is simply a second run.
public struct OutstandingDeliveries: Sendable, Equatable {
    /// Ascending and disjoint; the first id of the first run is never acknowledged.
    private var runs: [ClosedRange<UInt64>] = []
    /// Inside `runs`, acknowledged before an older delivery was.
    private var acknowledgedAhead: Set<UInt64> = []
    /// How many are outstanding.
    public private(set) var count = 0
    /// The highest id ever appended (acknowledged or not); 0 when none.
    public private(set) var lastAppended: UInt64 = 0

    /// - Parameters:
    ///   - runs: the unacknowledged ids of a spool being reopened, ascending.
    ///   - lastAppended: the spool's highest id so far, outstanding or not.
    public init(runs: some Sequence<ClosedRange<UInt64>> = [], lastAppended: UInt64 = 0) {
        for run in runs { append(run) }
        self.lastAppended = max(self.lastAppended, lastAppended)
    }

    public var isEmpty: Bool { count == 0 }

    /// The oldest delivery not acknowledged: where a go-back-N re-send starts.
    public var oldest: UInt64? { runs.first?.lowerBound }

    /// Where sending resumes after abandoning what is in flight.
    public var resendStart: UInt64 { oldest ?? lastAppended + 1 }

    public func contains(_ id: UInt64) -> Bool {
        guard let run = run(containing: id) else { return false }
        return runs[run].contains(id) && !acknowledgedAhead.contains(id)
    }

    /// Records newly durable deliveries. Ids at or below `lastAppended` are already known and
    /// ignored, so a repeated report cannot make a delivery outstanding twice.
    public mutating func append(_ ids: ClosedRange<UInt64>) {
        guard ids.upperBound > lastAppended else { return }
        let fresh = max(ids.lowerBound, lastAppended + 1)...ids.upperBound
        if let last = runs.last, last.upperBound + 1 == fresh.lowerBound {
            runs[runs.count - 1] = last.lowerBound...fresh.upperBound
        } else {
            runs.append(fresh)
        }
        count += Int(fresh.upperBound - fresh.lowerBound + 1)
        lastAppended = fresh.upperBound
    }

    /// Marks a delivery acknowledged. Returns false for an id that is not outstanding (unknown,
    /// never appended, or acknowledged before): such an ack must not free anything.
    @discardableResult
    public mutating func acknowledge(_ id: UInt64) -> Bool {
        guard contains(id) else { return false }
        count -= 1
        if id == runs[0].lowerBound {
            dropOldest()
            while let oldest, acknowledgedAhead.remove(oldest) != nil { dropOldest() }
        } else {
            acknowledgedAhead.insert(id)
        }
        return true
    }

    /// Outstanding ids at or above `start`, ascending, at most `limit` of them: what to send.
    public func ids(from start: UInt64, limit: Int) -> [UInt64] {
        guard limit > 0 else { return [] }
        var result: [UInt64] = []
        var index = run(containing: start) ?? runs.firstIndex { $0.lowerBound > start } ?? runs.count
        while index < runs.count, result.count < limit {
            let run = runs[index]
            var id = max(run.lowerBound, start)
            while id <= run.upperBound, result.count < limit {
                if !acknowledgedAhead.contains(id) { result.append(id) }
                if id == UInt64.max { break }
                id += 1
            }
            index += 1
        }
        return result
    }

    private mutating func dropOldest() {
        let first = runs[0]
        if first.lowerBound == first.upperBound {
            runs.removeFirst()
        } else {
            runs[0] = (first.lowerBound + 1)...first.upperBound
        }
    }

    /// The index of the run whose span holds `id`, if any (binary search; usually one run).
    private func run(containing id: UInt64) -> Int? {
        var low = 0, high = runs.count
        while low < high {
            let mid = (low + high) / 2
            if runs[mid].upperBound < id { low = mid + 1 } else { high = mid }
        }
        return low < runs.count && runs[low].contains(id) ? low : nil
    }
}
