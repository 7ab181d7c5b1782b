import CyclerReaders
import Foundation

/// Decode throughput of a binary file through `openRawSource`, for `cellfleet bench`: the file is
/// decoded `repetitions` times (opening included, as a user would pay it) and the best run kept,
/// since a shared machine only ever makes a run slower.
public struct BinaryReadThroughput: Sendable {
    public var file: String
    public var format: String
    public var records: Int
    public var bestSeconds: Double
    public var recordsPerSecond: Double { bestSeconds > 0 ? Double(records) / bestSeconds : 0 }

    public static func measure(url: URL, repetitions: Int = 5, limits: BinaryReadLimits = .default) throws -> BinaryReadThroughput {
        var best = Double.infinity
        var records = 0
        var format = ""
        for _ in 0..<max(1, repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            var source = try openRawSource(url: url, limits: limits)
            var row: [RawValue] = []
            var n = 0
            while try source.next(into: &row) { n += 1 }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = min(best, seconds)
            records = n
            format = source.format
        }
        return BinaryReadThroughput(file: url.lastPathComponent, format: format, records: records, bestSeconds: best)
    }
}
