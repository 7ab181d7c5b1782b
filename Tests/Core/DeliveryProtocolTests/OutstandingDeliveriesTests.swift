import DeliveryProtocol
import PropertyBased
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

extension OutstandingDeliveriesTests {
    /// The compact runs-and-exceptions form behaves as a plain set of ids would.
    @Test func behavesAsASetOfIds() async {
        await propertyCheck(count: 300, input: zip(Gen.int(in: 0...2), Gen.int(in: 0...30)).array(of: 0...120)) { steps in
            var outstanding = OutstandingDeliveries()
            var model: Set<UInt64> = []
            var last: UInt64 = 0
            var mismatches: [String] = []
            for (kind, parameter) in steps {
                switch kind {
                case 0:
                    // Sometimes a hole, as a damaged segment leaves.
                    let first = last + 1 + UInt64(parameter % 4 == 0 ? 2 : 0)
                    let ids = first...(first + UInt64(parameter % 6))
                    outstanding.append(ids)
                    model.formUnion(ids)
                    last = ids.upperBound
                case 1:
                    let id = UInt64(parameter) % (last + 2)
                    if outstanding.acknowledge(id) != (model.remove(id) != nil) { mismatches.append("acknowledge \(id)") }
                default:
                    let start = UInt64(parameter) % (last + 2), limit = parameter % 9
                    let expected = Array(model.filter { $0 >= start }.sorted().prefix(limit))
                    if outstanding.ids(from: start, limit: limit) != expected { mismatches.append("ids from \(start) limit \(limit)") }
                }
                if outstanding.count != model.count || outstanding.oldest != model.min() { mismatches.append("count/oldest after \(kind) \(parameter)") }
            }
            #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
        }
    }
}
