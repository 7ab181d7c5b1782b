/// Largest-Triangle-Three-Buckets (Steinarsson, "Downsampling Time Series for Visual
/// Representation", 2013): picks `threshold` of the points so that a line through them looks
/// like the line through all of them — peaks, a voltage blow-up, a short's sudden drop survive,
/// where taking every k-th point would step over them. The first and last point are always
/// kept; the rest are split into `threshold − 2` buckets and each keeps the point spanning the
/// largest triangle with the previous pick and the next bucket's mean.
///
/// The points are given as their x (test time) and y (voltage); the answer is indices into
/// them, ascending, so the caller keeps whole samples. Non-finite y values are never picked
/// unless a bucket has nothing else (a gap stays visible as a missing value).
public enum LargestTriangleThreeBuckets {
    public static func indices(x: [Double], y: [Double], threshold: Int) -> [Int] {
        precondition(x.count == y.count, "x and y must have one value per point")
        let count = x.count
        guard threshold >= 3, count > threshold else { return Array(0..<count) }
        var picked = [0]
        picked.reserveCapacity(threshold)
        let bucketSize = Double(count - 2) / Double(threshold - 2)
        var previous = 0
        for bucket in 0..<(threshold - 2) {
            let start = Int(Double(bucket) * bucketSize) + 1
            let end = min(Int(Double(bucket + 1) * bucketSize) + 1, count - 1)
            // The next bucket's mean (the last point for the last bucket).
            let nextStart = end
            let nextEnd = min(Int(Double(bucket + 2) * bucketSize) + 1, count)
            var meanX = 0.0, meanY = 0.0, meanCount = 0.0
            for index in nextStart..<max(nextEnd, nextStart + 1) where index < count && y[index].isFinite && x[index].isFinite {
                meanX += x[index]
                meanY += y[index]
                meanCount += 1
            }
            if meanCount > 0 {
                meanX /= meanCount
                meanY /= meanCount
            } else {
                meanX = x[min(nextStart, count - 1)]
                meanY = 0
            }
            let ax = x[previous], ay = y[previous].isFinite ? y[previous] : meanY
            var best = start, bestArea = -1.0
            for index in start..<max(end, start + 1) where index < count - 1 {
                guard x[index].isFinite, y[index].isFinite else { continue }
                let area = abs((ax - meanX) * (y[index] - ay) - (ax - x[index]) * (meanY - ay))
                if area > bestArea {
                    bestArea = area
                    best = index
                }
            }
            picked.append(best)
            previous = best
        }
        picked.append(count - 1)
        return picked
    }
}
