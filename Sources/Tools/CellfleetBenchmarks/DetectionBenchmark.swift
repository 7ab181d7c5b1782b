import CellDetection
import CellModel
import Foundation

/// Throughput of segmentation plus every detector on one core, measured against a reference
/// taken in the same run: a plain loop that reads the same three columns (time, voltage,
/// current) and sums them, i.e. the memory-bandwidth floor of touching the data at all.
public enum DetectionBenchmark {
    public struct Measurement: Sendable {
        public var label: String
        public var samples: Int
        public var detectorSeconds: Double
        public var referenceSeconds: Double
        public var alerts: Int
        public var detectorSamplesPerSecond: Double { Double(samples) / detectorSeconds }
        public var referenceSamplesPerSecond: Double { Double(samples) / referenceSeconds }
        /// How many times slower than just reading the columns.
        public var slowdown: Double { detectorSeconds / referenceSeconds }
    }

    /// Runs the detector over `columns` `repetitions` times (fresh state each time, best time
    /// kept) and the reference loop likewise.
    public static func measure(label: String, columns: SampleColumns, cell: CellMetadata, voltageClampVolts: Double?,
                               repetitions: Int = 5) -> Measurement {
        var bestDetector = Double.infinity
        var bestReference = Double.infinity
        var alertCount = 0
        var sink = 0.0
        for _ in 0..<max(1, repetitions) {
            let referenceStart = ContinuousClock.now
            sink += referenceSum(columns)
            bestReference = min(bestReference, seconds(ContinuousClock.now - referenceStart))

            var detector = CellDetector(cell: cell, voltageClampVolts: voltageClampVolts)
            var alerts: [Alert] = []
            alerts.reserveCapacity(64)
            let start = ContinuousClock.now
            detector.ingest(columns, into: &alerts)
            detector.finish(into: &alerts)
            bestDetector = min(bestDetector, seconds(ContinuousClock.now - start))
            alertCount = alerts.count
        }
        if sink == 0.123456789 { print("") }  // keeps the reference loop from being optimised away
        return Measurement(label: label, samples: columns.count, detectorSeconds: bestDetector,
                           referenceSeconds: bestReference, alerts: alertCount)
    }

    @inline(never)
    static func referenceSum(_ columns: SampleColumns) -> Double {
        var total = 0.0
        columns.testTimeSeconds.withUnsafeBufferPointer { time in
            columns.voltageVolts.withUnsafeBufferPointer { voltage in
                columns.currentAmperes.withUnsafeBufferPointer { current in
                    for index in 0..<time.count { total += time[index] + voltage[index] + current[index] }
                }
            }
        }
        return total
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }

    public static func report(_ measurements: [Measurement]) -> String {
        var lines: [String] = []
        for m in measurements {
            lines.append(String(
                format: "%@: %d samples, %d alerts: detector %.2f M samples/s per core; reference column sum %.0f M samples/s; detector takes %.1f× the reference's time",
                m.label, m.samples, m.alerts, m.detectorSamplesPerSecond / 1e6, m.referenceSamplesPerSecond / 1e6, m.slowdown
            ))
        }
        let samples = measurements.reduce(0) { $0 + $1.samples }
        let seconds = measurements.reduce(0.0) { $0 + $1.detectorSeconds }
        let reference = measurements.reduce(0.0) { $0 + $1.referenceSeconds }
        if samples > 0, seconds > 0 {
            lines.append(String(format: "overall: %.2f M samples/s per core (goal ≥ 10); %.1f× the reference column sum's time",
                                Double(samples) / seconds / 1e6, seconds / reference))
        }
        return lines.joined(separator: "\n")
    }
}
