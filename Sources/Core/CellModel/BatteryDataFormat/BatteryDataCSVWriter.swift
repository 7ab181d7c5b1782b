import Foundation

/// Writes samples as Battery Data Format CSV in a `BatteryDataFormat.Layout`: `simulate`'s
/// (required columns, temperature, cycle and step count, at instrument resolution) unless told
/// otherwise, or `convert`'s (exact, with the instrument's step and the record index). Numbers
/// are formatted by hand into a byte buffer, because `String(format:)` and string building
/// dominate the run time of a multi-million-row export. The missing-value rule is the table's:
/// nil and non-finite values are written as empty fields.
public struct BatteryDataCSVWriter {
    /// The layout in use: the one given, or the simulated layout of the first sample.
    public private(set) var layout: BatteryDataFormat.Layout?
    public private(set) var rowCount = 0
    private var stepCounter = BatteryDataFormat.StepCounter()
    /// The layout as the row loop needs it: trivial values, so a row costs no reference counting.
    private var plan: [(field: BatteryDataFormat.Field, decimals: Int)] = []
    private var exact = false
    private var buffer: [UInt8] = []
    private let flushThreshold: Int
    private let sink: ([UInt8]) throws -> Void

    /// - Parameters:
    ///   - layout: the columns to write; nil chooses `Layout.simulated(firstSample:)`.
    ///   - sink: receives chunks of UTF-8 bytes, in order.
    public init(layout: BatteryDataFormat.Layout? = nil, flushThresholdBytes: Int = 1 << 20, sink: @escaping ([UInt8]) throws -> Void) {
        self.layout = layout
        self.flushThreshold = flushThresholdBytes
        self.sink = sink
        buffer.reserveCapacity(flushThresholdBytes + 256)
        if let layout { writeHeader(layout) }
    }

    private mutating func writeHeader(_ layout: BatteryDataFormat.Layout) {
        plan = layout.columns.map { ($0.field, $0.resolutionDecimals ?? 0) }
        exact = layout.precision == .exact
        buffer.append(contentsOf: layout.columns.map(\.name).joined(separator: ",").utf8)
        buffer.append(0x0A)
    }

    /// Writes one row. `recordIndex` is the record's position in its source, for the
    /// `record_index` column (the row number when nil).
    public mutating func write(_ sample: Sample, recordIndex: Int? = nil) throws {
        if layout == nil {
            let chosen = BatteryDataFormat.Layout.simulated(firstSample: sample)
            layout = chosen
            writeHeader(chosen)
        }
        let stepCount = stepCounter.advance(for: sample)
        for position in plan.indices {
            if position > 0 { buffer.append(0x2C) }
            let (field, decimals) = plan[position]
            switch field {
            case .testTime: appendNumber(sample.testTimeSeconds, decimals)
            case .unixTime: appendNumber(sample.unixTimeSeconds, decimals)
            case .current: appendNumber(sample.currentAmperes, decimals)
            case .voltage: appendNumber(sample.voltageVolts, decimals)
            case .temperature: if let value = sample.temperatureCelsius { appendNumber(value, decimals) }
            case .cycleCount: if let value = sample.cycleIndex { Self.appendInteger(Int64(value), to: &buffer) }
            case .stepCount: Self.appendInteger(Int64(stepCount), to: &buffer)
            case .stepID: if let value = sample.stepIndex { Self.appendInteger(Int64(value), to: &buffer) }
            case .recordIndex: Self.appendInteger(Int64(recordIndex ?? rowCount), to: &buffer)
            case .capacity: if let value = sample.capacityAmpHours { appendNumber(value, decimals) }
            case .energy: if let value = sample.energyWattHours { appendNumber(value, decimals) }
            case .stepType: if let name = sample.stepType.batteryDataFormatName { buffer.append(contentsOf: name.utf8) }
            }
        }
        buffer.append(0x0A)
        rowCount += 1
        if buffer.count >= flushThreshold { try flush() }
    }

    /// A finite value in the layout's precision; a non-finite one is missing: an empty field.
    @inline(__always)
    private mutating func appendNumber(_ value: Double, _ decimals: Int) {
        guard value.isFinite else { return }
        if exact {
            buffer.append(contentsOf: value.description.utf8)
        } else {
            Self.appendFixed(value, decimals: decimals, to: &buffer)
        }
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
    public static func csvText(_ samples: some Sequence<Sample>, layout: BatteryDataFormat.Layout? = nil) -> String {
        var bytes: [UInt8] = []
        var writer = BatteryDataCSVWriter(layout: layout) { bytes.append(contentsOf: $0) }
        // The sink only appends to memory, so it cannot throw.
        try! writer.write(contentsOf: samples)
        try! writer.flush()
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes samples to a file (created or truncated) and returns the number of rows.
    @discardableResult
    public static func write(_ samples: some Sequence<Sample>, toFile path: String, layout: BatteryDataFormat.Layout? = nil) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CSVWriteError.cannotCreate(path: path)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CSVWriteError.cannotCreate(path: path)
        }
        defer { try? handle.close() }
        var writer = BatteryDataCSVWriter(layout: layout) { bytes in
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
    public static func appendFixed(_ value: Double, decimals: Int, to buffer: inout [UInt8]) {
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

    public static func appendInteger(_ value: Int64, to buffer: inout [UInt8]) {
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
