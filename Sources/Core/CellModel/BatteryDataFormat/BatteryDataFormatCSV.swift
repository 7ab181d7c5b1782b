import CellModel
import Foundation

/// Reads Battery Data Format CSV (header names are the contract, column order is free, extra
/// columns are ignored, CRLF is fine) into `SampleColumns`. It is one sample source among the
/// cycler readers to come: everything downstream takes `SampleColumns`, so swapping the source
/// means swapping this call only.
public enum BatteryDataFormatCSV {
    public static let requiredColumns = ["test_time_second", "current_ampere", "voltage_volt"]
    public static let optionalColumns = ["temperature_celsius", "cycle_count", "step_count", "unix_time_second"]

    public struct ReadError: Error, CustomStringConvertible, Equatable {
        public var line: Int?
        public var reason: String
        public var description: String { line.map { "line \($0): \(reason)" } ?? reason }
    }

    public static func read(contentsOf url: URL) throws -> SampleColumns {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ReadError(line: nil, reason: "cannot read \(url.path): \(error.localizedDescription)")
        }
        return try parse(data)
    }

    public static func parse(_ text: String) throws(ReadError) -> SampleColumns {
        try parse(Data(text.utf8))
    }

    /// Parses the whole buffer; any malformed row is an error naming its line, so a caller
    /// never gets a half-read file.
    public static func parse(_ data: Data) throws(ReadError) -> SampleColumns {
        var bytes = [UInt8](data)
        bytes.append(0)  // strtod needs a terminator after the last field
        let result: Result<SampleColumns, ReadError> = bytes.withUnsafeMutableBufferPointer { buffer in
            Result { () throws(ReadError) -> SampleColumns in try parse(buffer: buffer, length: buffer.count - 1) }
        }
        return try result.get()
    }

    private static func parse(buffer: UnsafeMutableBufferPointer<UInt8>, length: Int) throws(ReadError) -> SampleColumns {
        let base = buffer.baseAddress!
        var position = 0
        // Skip a UTF-8 byte-order mark.
        if length >= 3, base[0] == 0xEF, base[1] == 0xBB, base[2] == 0xBF { position = 3 }
        guard let headerEnd = lineEnd(base, from: position, length: length), headerEnd > position else {
            throw ReadError(line: 1, reason: "empty file: expected a header with \(requiredColumns.joined(separator: ", "))")
        }
        let header = String(decoding: UnsafeBufferPointer(start: base + position, count: headerEnd - position), as: UTF8.self)
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"\r")).lowercased()
        }
        func column(_ name: String) -> Int? { names.firstIndex(of: name) }
        let missing = requiredColumns.filter { column($0) == nil }
        guard missing.isEmpty else {
            throw ReadError(line: 1, reason: "missing required column(s) \(missing.joined(separator: ", ")); header has \(names.joined(separator: ", "))")
        }
        let timeColumn = column("test_time_second")!
        let currentColumn = column("current_ampere")!
        let voltageColumn = column("voltage_volt")!
        let temperatureColumn = column("temperature_celsius")
        let cycleColumn = column("cycle_count")
        let stepColumn = column("step_count")
        let unixColumn = column("unix_time_second")
        let lastNeeded = [timeColumn, currentColumn, voltageColumn, temperatureColumn, cycleColumn, stepColumn, unixColumn]
            .compactMap { $0 }.max()!

        var columns = SampleColumns()
        var temperatures: [Double] = []
        var cycles: [Int32] = []
        var steps: [Int32] = []
        var unixTimes: [Double] = []
        var keepCycles = cycleColumn != nil
        var keepSteps = stepColumn != nil
        var fieldStarts = [Int](repeating: 0, count: lastNeeded + 2)
        var fieldEnds = [Int](repeating: 0, count: lastNeeded + 2)

        var lineNumber = 1
        position = headerEnd + 1
        while position < length {
            lineNumber += 1
            let end = lineEnd(base, from: position, length: length) ?? length
            var contentEnd = end
            if contentEnd > position, base[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            defer { position = end + 1 }
            if contentEnd == position { continue }  // blank line
            // Split the row's first fields without allocating.
            var field = 0
            var start = position
            var index = position
            while index <= contentEnd, field <= lastNeeded {
                if index == contentEnd || base[index] == UInt8(ascii: ",") {
                    fieldStarts[field] = start
                    fieldEnds[field] = index
                    field += 1
                    start = index + 1
                }
                index += 1
            }
            guard field > lastNeeded else {
                throw ReadError(line: lineNumber, reason: "expected at least \(lastNeeded + 1) fields, found \(field)")
            }
            func number(_ column: Int, _ name: String) throws(ReadError) -> Double {
                guard let value = parseDouble(base, fieldStarts[column], fieldEnds[column]) else {
                    let text = String(decoding: UnsafeBufferPointer(start: base + fieldStarts[column], count: fieldEnds[column] - fieldStarts[column]), as: UTF8.self)
                    throw ReadError(line: lineNumber, reason: "\(name): '\(text)' is not a number")
                }
                return value
            }
            func isEmpty(_ column: Int) -> Bool {
                var index = fieldStarts[column]
                while index < fieldEnds[column] {
                    if base[index] != UInt8(ascii: " ") { return false }
                    index += 1
                }
                return true
            }
            let time = try number(timeColumn, "test_time_second")
            let current = try number(currentColumn, "current_ampere")
            let voltage = try number(voltageColumn, "voltage_volt")
            guard time.isFinite, current.isFinite, voltage.isFinite else {
                throw ReadError(line: lineNumber, reason: "test_time_second, current_ampere and voltage_volt must be finite")
            }
            columns.testTimeSeconds.append(time)
            columns.currentAmperes.append(current)
            columns.voltageVolts.append(voltage)
            columns.stepType.append(.unknown)
            if let temperatureColumn {
                temperatures.append(isEmpty(temperatureColumn) ? .nan : try number(temperatureColumn, "temperature_celsius"))
            }
            if let unixColumn {
                unixTimes.append(isEmpty(unixColumn) ? .nan : try number(unixColumn, "unix_time_second"))
            }
            if keepCycles, let cycleColumn {
                if isEmpty(cycleColumn) { keepCycles = false } else { cycles.append(try integer(number(cycleColumn, "cycle_count"), "cycle_count", lineNumber)) }
            }
            if keepSteps, let stepColumn {
                if isEmpty(stepColumn) { keepSteps = false } else { steps.append(try integer(number(stepColumn, "step_count"), "step_count", lineNumber)) }
            }
        }
        guard !columns.isEmpty else { throw ReadError(line: nil, reason: "no data rows after the header") }
        columns.temperatureCelsius = temperatures
        columns.unixTimeSeconds = unixTimes.isEmpty ? [Double](repeating: .nan, count: columns.count) : unixTimes
        columns.cycleIndex = keepCycles ? cycles : []
        columns.stepIndex = keepSteps ? steps : []
        return columns
    }

    private static func integer(_ value: Double, _ name: String, _ line: Int) throws(ReadError) -> Int32 {
        guard value == value.rounded(), value >= Double(Int32.min + 1), value <= Double(Int32.max) else {
            throw ReadError(line: line, reason: "\(name): \(value) is not a whole number")
        }
        return Int32(value)
    }

    private static func lineEnd(_ base: UnsafeMutablePointer<UInt8>, from start: Int, length: Int) -> Int? {
        var index = start
        while index < length {
            if base[index] == UInt8(ascii: "\n") { return index }
            index += 1
        }
        return start < length ? length : nil
    }

    /// strtod on the field in place, accepted only if it consumed the whole (space-trimmed) field.
    private static func parseDouble(_ base: UnsafeMutablePointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        var first = start
        var last = end
        while first < last, base[first] == UInt8(ascii: " ") || base[first] == UInt8(ascii: "\"") { first += 1 }
        while last > first, base[last - 1] == UInt8(ascii: " ") || base[last - 1] == UInt8(ascii: "\"") { last -= 1 }
        guard first < last else { return nil }
        let terminator = base[last]
        base[last] = 0
        defer { base[last] = terminator }
        var endPointer: UnsafeMutablePointer<CChar>?
        let value = base.withMemoryRebound(to: CChar.self, capacity: end + 1) { chars in
            strtod(chars + first, &endPointer)
        }
        guard let endPointer else { return nil }
        let consumed = base.withMemoryRebound(to: CChar.self, capacity: end + 1) { chars in endPointer - (chars + first) }
        return consumed == last - first ? value : nil
    }
}
