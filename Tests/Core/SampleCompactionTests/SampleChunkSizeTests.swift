import CellModel
import Foundation
@testable import SampleCompaction
import Testing

/// The goal of issue 16 §4: at most 8 bytes a sample for compacted data, on samples quantised as
/// instruments store them (voltage 0.1 mV, current 0.1 µA, time 1 ms, temperature 0.01 °C,
/// capacity 1 nAh), with every column present and noisy.
@Suite struct SampleChunkSizeTests {
    /// A day at 1 Hz of a galvanostatic cycle: an hour's charge, an hour's discharge, repeated;
    /// voltage drifting with noise, the clock jittering by a few ms, temperature noisy.
    static func cyclingDay(rows: Int = 86_400, seed: UInt64 = 7) -> StoredSampleColumns {
        var random = SplitMix64(state: seed)
        func noise(_ spread: Int64) -> Int64 { Int64(random.next() % UInt64(2 * spread + 1)) - spread }
        var columns = StoredSampleColumns()
        columns.reserveCapacity(rows)
        let start: Int64 = 1_733_616_000_000  // ms
        var voltage: Int64 = 36_000  // 0.1 mV
        var capacity: Int64 = 0  // nAh
        var energy: Int64 = 0  // µWh
        for index in 0..<rows {
            let stepIndex = Int32(index / 3600)
            let charging = stepIndex % 2 == 0
            let current: Int64 = charging ? 10_000 : -10_000  // 0.1 µA: 1 mA
            voltage += (charging ? 1 : -1) * (index % 3 == 0 ? 1 : 0) + noise(3)
            capacity += 278 + noise(1)  // 1 mA for 1 s = 277.8 nAh
            energy += 1 + (index % 4 == 0 ? 1 : 0)
            columns.seq.append(Int64(index + 1))
            columns.unixTimeSeconds.append(Double(start + Int64(index) * 1000 + noise(2)) / 1000)
            columns.testTimeSeconds.append(Double(Int64(index) * 1000 + noise(2)) / 1000)
            columns.voltageVolts.append(Double(voltage) / 10_000)
            columns.currentAmperes.append(Double(current + noise(2)) / 10_000_000)
            columns.capacityAmpHours.append(Double(capacity) / 1_000_000_000)
            columns.energyWattHours.append(Double(energy) / 1_000_000)
            columns.temperatureCelsius.append(Double(2500 + noise(2)) / 100)
            columns.stepIndex.append(stepIndex)
            columns.stepType.append(charging ? 1 : 2)
            columns.cycleIndex.append(stepIndex / 2)
        }
        return columns
    }

    @Test func aQuantisedDayTakesAtMostEightBytesASampleAndRoundTrips() throws {
        let day = Self.cyclingDay()
        let bytes = SampleChunkCodec.encode(day)
        let perSample = Double(bytes.count) / Double(day.count)
        print("compaction: \(day.count) samples, 11 columns, \(bytes.count) bytes: \(String(format: "%.2f", perSample)) bytes a sample")
        #expect(perSample <= 8)
        #expect(try SampleChunkCodec.decode(bytes).isBitIdentical(to: day))
    }

    /// A column that is not decimal (a computed double) still round-trips, at Gorilla's cost.
    @Test func computedDoublesFallBackToXORAndStayExact() throws {
        var day = Self.cyclingDay(rows: 10_000)
        day.voltageVolts = day.voltageVolts.map { $0.map { $0 * 1.000_000_1 } }
        let bytes = SampleChunkCodec.encode(day)
        #expect(try SampleChunkCodec.decode(bytes).isBitIdentical(to: day))
        #expect(Double(bytes.count) / Double(day.count) < 16)
    }

    /// Our readers multiply by a unit's scale (mA → A by 0.001): a column of float32 milliamps,
    /// or of decimal milliamp-hours, so converted, still takes the cheap paths.
    @Test func readerUnitConversionsStayCheapAndExact() throws {
        var random = SplitMix64(state: 11)
        var level: Float = 1.2345
        var floatMilliamps: [Double] = [], decimalMilliampHours: [Double] = []
        for index in 0..<20_000 {
            level += Float(Int(random.next() % 7) - 3) * 1e-4
            floatMilliamps.append(Double(level) * 1e-3)
            decimalMilliampHours.append(Double("\(index / 10_000).\(String(index % 10_000).leftPadded(to: 4))")! * 1e-3)
        }
        #expect(DoubleColumnCoding.singlePrecisionMultiplier(of: floatMilliamps) == 1)
        #expect(DoubleColumnCoding.decimalScale(of: decimalMilliampHours) != nil)
        for column in [floatMilliamps, decimalMilliampHours] {
            var day = Self.cyclingDay(rows: column.count)
            day.currentAmperes = column
            let bytes = SampleChunkCodec.encode(day)
            #expect(try SampleChunkCodec.decode(bytes).isBitIdentical(to: day))
            var constant = day
            constant.currentAmperes = Array(repeating: 0.001, count: column.count)
            let extraBytesPerSample = Double(bytes.count - SampleChunkCodec.encode(constant).count) / Double(column.count)
            #expect(extraBytesPerSample < 2.5, "the column costs \(extraBytesPerSample) bytes a sample")
        }
    }
}
