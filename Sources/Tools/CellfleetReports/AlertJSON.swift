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
        jsonLines(DetectionRun.run(columns, cellID: cellID, options: options), file: file)
    }

    public static func jsonLines(_ outcome: DetectionOutcome, file: String?) -> String {
        outcome.alerts.map { AlertJSON.line($0, file: file) + "\n" }.joined()
    }
}

/// The JSON shape of an alert on `cellfleet detect`'s stdout. Field names are a contract:
/// rule, severity, cell, test_time_second, cycle, evidence, message, file; for Q1 notes also
/// kind, count and last_test_time_second.
public enum AlertJSON {
    public static func line(_ alert: Alert, file: String? = nil) -> String {
        var fields: [(String, JSONText)] = [
            ("rule", .string(alert.rule.rawValue)),
            ("severity", .string(alert.severity.rawValue)),
            ("cell", .string(alert.cellID)),
            ("test_time_second", .finite(alert.testTimeSeconds)),
            ("cycle", .integer(alert.cycle)),
            ("evidence", .object(alert.evidence.keys.sorted().map { ($0, .finite(alert.evidence[$0]!)) })),
            ("message", .string(alert.message)),
        ]
        // An aggregated Q1 episode: its kind, how many occurrences, and the last one's time.
        if let kind = alert.kind {
            fields.append(("kind", .string(kind)))
            fields.append(("count", .integer(alert.count)))
            fields.append(("last_test_time_second", .finite(alert.lastTestTimeSeconds ?? alert.testTimeSeconds)))
        }
        if let file { fields.append(("file", .string(file))) }
        return JSONText.object(fields).render(pretty: false)
    }
}
