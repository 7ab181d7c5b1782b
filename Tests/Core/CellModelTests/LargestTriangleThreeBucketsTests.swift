import CellModel
import PropertyBased
import Testing

/// The downsampling of `GET /tests/{id}/samples?points=N`: few enough points, in order, the
/// ends kept, and the extremes a person must see (a spike, a drop) kept.
@Suite struct LargestTriangleThreeBucketsTests {
    @Test func fewerPointsThanAskedAreAllKept() {
        let x = (0..<10).map(Double.init), y = x.map { $0 * $0 }
        #expect(LargestTriangleThreeBuckets.indices(x: x, y: y, threshold: 10) == Array(0..<10))
        #expect(LargestTriangleThreeBuckets.indices(x: x, y: y, threshold: 50) == Array(0..<10))
        #expect(LargestTriangleThreeBuckets.indices(x: [], y: [], threshold: 5) == [])
    }

    @Test func aSingleSpikeInAMillionFlatPointsSurvives() {
        let count = 1_000_000
        let x = (0..<count).map(Double.init)
        var y = [Double](repeating: 0.2, count: count)
        y[654_321] = 5.0
        y[123_456] = -3.0
        let picked = LargestTriangleThreeBuckets.indices(x: x, y: y, threshold: 2000)
        #expect(picked.count == 2000)
        #expect(picked.contains(654_321) && picked.contains(123_456))
    }

    @Test func propertiesOnRandomSeries() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...3000), Gen.int(in: 3...400), Gen.uint64(in: 0 ... .max)) { count, threshold, seed in
            var random = SplitMix64(state: seed)
            var time = 0.0
            var x: [Double] = [], y: [Double] = []
            for _ in 0..<count {
                time += Double(random.next() % 1000) / 100 + 0.001
                x.append(time)
                // Now and then a missing value (NaN), as the samples hold them.
                y.append(random.next() % 50 == 0 ? .nan : Double(Int64(bitPattern: random.next() % 10_000)) / 1000)
            }
            let picked = LargestTriangleThreeBuckets.indices(x: x, y: y, threshold: threshold)
            #expect(picked.count == min(count, threshold))
            #expect(zip(picked, picked.dropFirst()).allSatisfy { $0 < $1 }, "ascending, each once")
            if count > 0 {
                #expect(picked.first == 0 && picked.last == count - 1)
            }
            #expect(picked.allSatisfy { (0..<count).contains($0) })
        }
    }
}
