import Foundation

/// Writes records as Battery Data Format CSV (BDF machine names, SI, positive current = charge),
/// streaming: one pass, bounded memory. Columns the file does not have (clock, temperature) are
/// left out rather than written empty.
public enum BatteryDataFormatWriter {
    public static func columns(hasUnixTime: Bool, hasTemperature: Bool) -> [String] {
        var c = ["test_time_second"]
        if hasUnixTime { c.append("unix_time_second") }
        c += ["current_ampere", "voltage_volt"]
        if hasTemperature { c.append("temperature_celsius") }
        c += ["cycle_count", "step_count", "step_id", "record_index"]
        return c
    }

    /// Converts `reader`'s records to BDF CSV, calling `write` with chunks of text.
    @discardableResult
    public static func convert(reader: inout CyclerRecordReader, write: (String) throws -> Void) throws -> Int {
        let hasUnix = reader.hasTimestamps
        let hasTemperature = reader.hasTemperature
        try write(columns(hasUnixTime: hasUnix, hasTemperature: hasTemperature).joined(separator: ",") + "\n")
        var chunk = ""
        chunk.reserveCapacity(1 << 16)
        var rows = 0
        var stepCount = 0
        var lastStepKey: (Int?, Int?, CurrentDirection)? = nil
        while let r = try reader.next() {
            let key = (r.stepNumber, r.instrumentCycle, r.direction)
            if lastStepKey == nil || lastStepKey!.0 != key.0 || lastStepKey!.1 != key.1 || (r.stepNumber == nil && lastStepKey!.2 != key.2) {
                stepCount += 1
                lastStepKey = key
            }
            let s = r.sample
            chunk += number(s.testTimeSeconds)
            if hasUnix { chunk += ","; chunk += number(s.unixTimeSeconds) }
            chunk += ","; chunk += number(s.currentAmperes)
            chunk += ","; chunk += number(s.voltageVolts)
            if hasTemperature { chunk += ","; chunk += s.temperatureCelsius.map(number) ?? "" }
            chunk += ","; chunk += r.instrumentCycle.map(String.init) ?? ""
            chunk += ","; chunk += String(stepCount)
            chunk += ","; chunk += r.stepNumber.map(String.init) ?? ""
            chunk += ","; chunk += String(r.recordIndex)
            chunk += "\n"
            rows += 1
            if chunk.utf8.count > 60_000 { try write(chunk); chunk.removeAll(keepingCapacity: true) }
        }
        if !chunk.isEmpty { try write(chunk) }
        return rows
    }

    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "" }
        return "\(v)"
    }

    /// Converts a file to a BDF CSV file at `outputPath`.
    public static func convert(path: String, outputPath: String, library: ProfileLibrary, options: CyclerFile.Options = .init()) throws -> (rows: Int, warnings: [String]) {
        var reader = try CyclerFile.open(path: path, library: library, options: options)
        guard FileManager.default.createFile(atPath: outputPath, contents: nil), let handle = FileHandle(forWritingAtPath: outputPath) else {
            throw CyclerReadError(file: outputPath, reason: "cannot create the output file")
        }
        defer { try? handle.close() }
        let rows = try convert(reader: &reader) { text in try handle.write(contentsOf: Data(text.utf8)) }
        return (rows, reader.warnings)
    }
}
