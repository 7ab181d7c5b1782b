import CellModel
import Foundation

/// Writes samples as Battery Data Format CSV: `test_time_second, current_ampere, voltage_volt,
/// temperature_celsius, cycle_count, step_count` (the last three only when the first sample has
/// them). Numbers are formatted fixed-point by hand, because `String(format:)` and
/// `description` dominate the run time of a multi-million-row export.
public struct BatteryDataCSVWriter {
    public enum Column: String, Sendable, CaseIterable {
        case testTime = "test_time_second"
        case current = "current_ampere"
        case voltage = "voltage_volt"
        case temperature = "temperature_celsius"
        case cycleCount = "cycle_count"
        case stepCount = "step_count"
    }

    /// Decimal places per column: ms, 0.1 nA, µV, m°C.
    static let timeDecimals = 3
    static let currentDecimals = 10
    static let voltageDecimals = 6
    static let temperatureDecimals = 3

    public private(set) var columns: [Column]?
    public private(set) var rowCount = 0
    private var buffer: [UInt8] = []
    private let flushThreshold: Int
    private let sink: ([UInt8]) throws -> Void

    /// - Parameter sink: receives chunks of UTF-8 bytes, in order.
    public init(flushThresholdBytes: Int = 1 << 20, sink: @escaping ([UInt8]) throws -> Void) {
        self.flushThreshold = flushThresholdBytes
        self.sink = sink
        buffer.reserveCapacity(flushThresholdBytes + 256)
    }

    public mutating func write(_ sample: Sample) throws {
        if columns == nil {
            var chosen: [Column] = [.testTime, .current, .voltage]
            if sample.temperatureCelsius != nil { chosen.append(.temperature) }
            if sample.cycleIndex != nil { chosen.append(.cycleCount) }
            if sample.stepIndex != nil { chosen.append(.stepCount) }
            columns = chosen
            buffer.append(contentsOf: chosen.map(\.rawValue).joined(separator: ",").utf8)
            buffer.append(0x0A)
        }
        for (position, column) in columns!.enumerated() {
            if position > 0 { buffer.append(0x2C) }
            switch column {
            case .testTime: Self.appendFixed(sample.testTimeSeconds, decimals: Self.timeDecimals, to: &buffer)
            case .current: Self.appendFixed(sample.currentAmperes, decimals: Self.currentDecimals, to: &buffer)
            case .voltage: Self.appendFixed(sample.voltageVolts, decimals: Self.voltageDecimals, to: &buffer)
            case .temperature:
                if let value = sample.temperatureCelsius { Self.appendFixed(value, decimals: Self.temperatureDecimals, to: &buffer) }
            case .cycleCount:
                if let value = sample.cycleIndex { Self.appendInteger(Int64(value), to: &buffer) }
            case .stepCount:
                if let value = sample.stepIndex { Self.appendInteger(Int64(value), to: &buffer) }
            }
        }
        buffer.append(0x0A)
        rowCount += 1
        if buffer.count >= flushThreshold { try flush() }
    }

    public mutating func write(contentsOf samples: some Sequence<Sample>) throws {
        for sample in samples { try write(sample) }
    }

    public mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try sink(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// The CSV text of some samples (for tests and small exports).
    public static func csvText(_ samples: some Sequence<Sample>) -> String {
        var bytes: [UInt8] = []
        var writer = BatteryDataCSVWriter { bytes.append(contentsOf: $0) }
        // The sink only appends to memory, so it cannot throw.
        try! writer.write(contentsOf: samples)
        try! writer.flush()
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes samples to a file (created or truncated) and returns the number of rows.
    @discardableResult
    public static func write(_ samples: some Sequence<Sample>, toFile path: String) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CSVWriteError.cannotCreate(path: path)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CSVWriteError.cannotCreate(path: path)
        }
        defer { try? handle.close() }
        var writer = BatteryDataCSVWriter { bytes in
            try handle.write(contentsOf: bytes)
        }
        try writer.write(contentsOf: samples)
        try writer.flush()
        return writer.rowCount
    }

    // MARK: number formatting

    private static let powersOfTen: [Double] = (0...18).map { pow(10, Double($0)) }
    private static let integerPowersOfTen: [Int64] = (0...18).map { exponent in
        var value: Int64 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// Appends `value` rounded to `decimals` places, trailing zeros trimmed ("1.5", "-0.0001",
    /// "3"). Values too large for the fast path fall back to Swift's shortest representation.
    static func appendFixed(_ value: Double, decimals: Int, to buffer: inout [UInt8]) {
        guard value.isFinite else {
            buffer.append(contentsOf: (value.isNaN ? "NaN" : (value > 0 ? "inf" : "-inf")).utf8)
            return
        }
        let scaled = (abs(value) * powersOfTen[decimals]).rounded()
        guard scaled < 9.0e18 else {
            buffer.append(contentsOf: value.description.utf8)
            return
        }
        var units = Int64(scaled)
        if units == 0 {
            buffer.append(0x30)
            return
        }
        if value < 0 { buffer.append(0x2D) }
        let divisor = integerPowersOfTen[decimals]
        let whole = units / divisor
        units -= whole * divisor
        appendInteger(whole, to: &buffer)
        guard units > 0 else { return }
        var places = decimals
        while units % 10 == 0 {
            units /= 10
            places -= 1
        }
        buffer.append(0x2E)
        var digits = 0
        var probe = units
        while probe > 0 {
            digits += 1
            probe /= 10
        }
        for _ in 0..<(places - digits) { buffer.append(0x30) }
        appendInteger(units, to: &buffer)
    }

    static func appendInteger(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 {
            buffer.append(0x2D)
            appendInteger(value == .min ? .max : -value, to: &buffer)
            return
        }
        if value < 10 {
            buffer.append(0x30 + UInt8(value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var remaining = value
        withUnsafeMutableBytes(of: &digits) { raw in
            while remaining > 0 {
                raw[count] = 0x30 + UInt8(remaining % 10)
                remaining /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { buffer.append(raw[index]) }
        }
    }
}

public enum CSVWriteError: Error, CustomStringConvertible {
    case cannotCreate(path: String)

    public var description: String {
        switch self {
        case let .cannotCreate(path): return "cannot create the CSV file '\(path)' (does its directory exist and is it writable?)"
        }
    }
}
