import DeliveryProtocol
import Testing

struct OutstandingDeliveriesTests {
    @Test func runsWithAHoleAndAcknowledgementsOutOfOrder() {
        // A damaged segment left out 4…5.
        var outstanding = OutstandingDeliveries(runs: [1...3, 6...8], lastAppended: 8)
        #expect(outstanding.count == 6 && outstanding.oldest == 1)
        #expect(outstanding.ids(from: 0, limit: 10) == [1, 2, 3, 6, 7, 8])
        #expect(outstanding.ids(from: 4, limit: 2) == [6, 7])
        #expect(!outstanding.contains(4))
        let inTheHole = outstanding.acknowledge(4)
        #expect(!inTheHole, "an id in the hole is not outstanding")
        let first = outstanding.acknowledge(2), repeated = outstanding.acknowledge(2)
        #expect(first && !repeated, "an id is acknowledged once")
        #expect(outstanding.ids(from: 1, limit: 3) == [1, 3, 6])
        outstanding.acknowledge(1)
        #expect(outstanding.oldest == 3)
        outstanding.acknowledge(3)
        #expect(outstanding.oldest == 6 && outstanding.count == 3)
        let rest = (UInt64(6)...8).map { outstanding.acknowledge($0) }
        #expect(rest == [true, true, true])
        #expect(outstanding.isEmpty && outstanding.oldest == nil)
        #expect(outstanding.resendStart == 9)
    }

    @Test func appendingExtendsTheLastRunAndIgnoresKnownIds() {
        var outstanding = OutstandingDeliveries()
        #expect(outstanding.resendStart == 1)
        outstanding.append(1...2)
        outstanding.append(3...3)
        outstanding.append(2...4)  // 2 and 3 are known
        #expect(outstanding.count == 4 && outstanding.lastAppended == 4)
        let all = (UInt64(1)...4).map { outstanding.acknowledge($0) }
        #expect(all == [true, true, true, true])
        outstanding.append(3...5)  // acknowledged ones do not come back
        #expect(outstanding.ids(from: 0, limit: 10) == [5])
        let unknown = outstanding.acknowledge(99)
        #expect(!unknown)
    }
}
