/// The ids of one agent's deliveries most recently answered as committed, at most `capacity`
/// of them, oldest forgotten first.
///
/// A copy of one of them that arrives later was sent before its acknowledgement reached the
/// agent — a go-back-N re-send after an acknowledgement timeout or a `SEQUENCE_GAP` crossing the
/// original's ack. The agent no longer counts it in flight, so the coordinator must not count it
/// against the agent's credit either, or a well-behaved agent is refused `CREDIT_EXCEEDED` for
/// deliveries it never sent beyond its credit.
struct RecentDeliveryIDs: Sendable {
    let capacity: Int
    private var members: Set<UInt64> = []
    private var order: [UInt64] = []
    private var head = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    func contains(_ id: UInt64) -> Bool { members.contains(id) }

    mutating func insert(_ id: UInt64) {
        guard members.insert(id).inserted else { return }
        order.append(id)
        if members.count > capacity {
            members.remove(order[head])
            head += 1
            // Compact once the forgotten prefix dominates, so the array stays within 2 × capacity.
            if head >= capacity {
                order.removeFirst(head)
                head = 0
            }
        }
    }
}
