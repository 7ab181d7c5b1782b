import CellDetection
import CellModel
import Foundation

/// What `cellfleet detect` prints: one JSON line per alert. The detection itself is
/// `DetectionRun` in the core; this only reads the file and renders its alerts.
public enum DetectionReport {
    /// Reads a BDF CSV and returns its alerts as JSON lines (each ending in "\n"). Throws before
    /// producing any text if the file is unreadable or malformed.
    public static func jsonLines(forFileAt path: String, options: DetectionOptions) throws -> String {
        let url = URL(fileURLWithPath: path)
        let columns = try BatteryDataFormatCSV.read(contentsOf: url)
        return jsonLines(for: columns, cellID: url.deletingPathExtension().lastPathComponent, file: path, options: options)
    }

    /// The same for samples from any source (a cycler reader, a database query).
    public static func jsonLines(for columns: SampleColumns, cellID: String, file: String?, options: DetectionOptions) -> String {
        DetectionRun.detect(columns, cellID: cellID, options: options).map { AlertJSON.line($0, file: file) + "\n" }.joined()
    }
}

/// The JSON shape of an alert on `cellfleet detect`'s stdout. Field names are a contract:
/// rule, severity, cell, test_time_second, cycle, evidence, message, file.
public enum AlertJSON {
    public static func line(_ alert: Alert, file: String? = nil) -> String {
        var text = "{\"rule\":\(quoted(alert.rule.rawValue)),\"severity\":\(quoted(alert.severity.rawValue))"
        text += ",\"cell\":\(quoted(alert.cellID)),\"test_time_second\":\(number(alert.testTimeSeconds))"
        text += ",\"cycle\":\(alert.cycle),\"evidence\":{"
        text += alert.evidence.keys.sorted().map { "\(quoted($0)):\(number(alert.evidence[$0]!))" }.joined(separator: ",")
        text += "},\"message\":\(quoted(alert.message))"
        if let file { text += ",\"file\":\(quoted(file))" }
        return text + "}"
    }

    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func quoted(_ text: String) -> String { JSONString.quoted(text) }
}
