import Foundation

/// Reads Battery Data Format CSV into `SampleColumns`, by the column table of
/// `BatteryDataFormat`: header names are the contract (case and quotes aside), column order is
/// free, unknown columns are ignored, CRLF is fine. It reads what every cellfleet writer wrote:
/// `simulate`'s files (whose `step_count` was the simulator's step number), `convert`'s (whose
/// `step_count` was already a running count, beside `step_id`), and those of today's writer.
///
/// `Sample.stepIndex` is the instrument's step: `step_id` when the file has it; otherwise
/// `step_count`, whose changes mark the same step boundaries (all the detector uses). Missing
/// values (empty fields, or `NaN`/`inf` text from earlier writers) are NaN in the temperature and
/// clock columns; a cycle or step column with any missing value is left out as a whole, since a
/// run never mixes recorded and missing values in one integer column.
public enum BatteryDataFormatCSV {
    public static let requiredColumns = BatteryDataFormat.requiredColumns.map(\.name)
    public static let optionalColumns = BatteryDataFormat.columns.filter { $0.missing != .refused }.map(\.name)

    /// Whether a file's first line is a BDF header (it names the required columns), as opposed
    /// to a vendor export for the cycler readers.
    public static func isHeader(_ firstLine: some StringProtocol) -> Bool {
        let names = Set(firstLine.split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"\r\u{FEFF}")).lowercased()
        })
        return BatteryDataFormat.requiredColumns.allSatisfy { names.contains($0.name) }
    }

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
        // Each field's column: the first of its names in the table's order of preference.
        var chosen: [BatteryDataFormat.Field: (index: Int, preference: Int)] = [:]
        for (index, name) in names.enumerated() {
            guard let (column, preference) = BatteryDataFormat.column(forHeaderName: name) else { continue }
            if let held = chosen[column.field], held.preference <= preference { continue }
            chosen[column.field] = (index, preference)
        }
        let missing = BatteryDataFormat.requiredColumns.filter { chosen[$0.field] == nil }.map(\.name)
        guard missing.isEmpty else {
            throw ReadError(line: 1, reason: "missing required column(s) \(missing.joined(separator: ", ")); header has \(names.joined(separator: ", "))")
        }
        let timeColumn = chosen[.testTime]!.index
        let currentColumn = chosen[.current]!.index
        let voltageColumn = chosen[.voltage]!.index
        let temperatureColumn = chosen[.temperature]?.index
        let cycleColumn = chosen[.cycleCount]?.index
        let stepColumn = (chosen[.stepID] ?? chosen[.stepCount])?.index
        let stepName = chosen[.stepID] != nil ? BatteryDataFormat.stepID.name : BatteryDataFormat.stepCount.name
        let unixColumn = chosen[.unixTime]?.index
        let capacityColumn = chosen[.capacity]?.index
        let energyColumn = chosen[.energy]?.index
        let stepTypeColumn = chosen[.stepType]?.index
        let lastNeeded = [timeColumn, currentColumn, voltageColumn, temperatureColumn, cycleColumn, stepColumn, unixColumn,
                          capacityColumn, energyColumn, stepTypeColumn]
            .compactMap { $0 }.max()!

        var columns = SampleColumns()
        var temperatures: [Double] = []
        var cycles: [Int32] = []
        var steps: [Int32] = []
        var unixTimes: [Double] = []
        var capacities: [Double] = [], energies: [Double] = []
        var anyCapacity = false, anyEnergy = false
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
            if let stepTypeColumn, !isEmpty(stepTypeColumn) {
                let name = String(decoding: UnsafeBufferPointer(start: base + fieldStarts[stepTypeColumn],
                                                                count: fieldEnds[stepTypeColumn] - fieldStarts[stepTypeColumn]), as: UTF8.self)
                columns.stepType.append(StepType(batteryDataFormatName: name.trimmingCharacters(in: CharacterSet(charactersIn: " \""))))
            } else {
                columns.stepType.append(.unknown)
            }
            if let capacityColumn {
                let value = isEmpty(capacityColumn) ? .nan : finiteOrNaN(try number(capacityColumn, names[capacityColumn]))
                anyCapacity = anyCapacity || !value.isNaN
                capacities.append(value)
            }
            if let energyColumn {
                let value = isEmpty(energyColumn) ? .nan : finiteOrNaN(try number(energyColumn, names[energyColumn]))
                anyEnergy = anyEnergy || !value.isNaN
                energies.append(value)
            }
            if let temperatureColumn {
                temperatures.append(isEmpty(temperatureColumn) ? .nan : finiteOrNaN(try number(temperatureColumn, names[temperatureColumn])))
            }
            if let unixColumn {
                unixTimes.append(isEmpty(unixColumn) ? .nan : finiteOrNaN(try number(unixColumn, "unix_time_second")))
            }
            if keepCycles, let cycleColumn {
                if isEmpty(cycleColumn) { keepCycles = false } else { cycles.append(try integer(number(cycleColumn, "cycle_count"), "cycle_count", lineNumber)) }
            }
            if keepSteps, let stepColumn {
                if isEmpty(stepColumn) { keepSteps = false } else { steps.append(try integer(number(stepColumn, stepName), stepName, lineNumber)) }
            }
        }
        guard !columns.isEmpty else { throw ReadError(line: nil, reason: "no data rows after the header") }
        columns.temperatureCelsius = temperatures
        columns.unixTimeSeconds = unixTimes.isEmpty ? [Double](repeating: .nan, count: columns.count) : unixTimes
        // The cycler's counters, where any row has one (missing ones NaN, as a replay from the
        // database reads them).
        columns.capacityAmpHours = anyCapacity ? capacities : []
        columns.energyWattHours = anyEnergy ? energies : []
        columns.cycleIndex = keepCycles ? cycles : []
        columns.stepIndex = keepSteps ? steps : []
        return columns
    }

    /// `NaN`/`inf` text in an optional column is a missing value.
    @inline(__always)
    private static func finiteOrNaN(_ value: Double) -> Double { value.isFinite ? value : .nan }

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
