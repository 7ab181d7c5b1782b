import CellModel
import Foundation

/// Options of an offline detection run (`cellfleet detect`), in the CLI's units.
public struct DetectionOptions: Sendable {
    /// nil: inferred from the voltage (see `CellTypeInference`).
    public var cellType: CellType?
    /// docs/detectors.md §1.4 defaults: a 10 mm die (0.785 cm²) and a 5 V instrument clamp.
    public var areaSquareCentimeters: Double? = 0.785
    public var activeMassMilligrams: Double?
    public var nominalCapacityMilliampHours: Double?
    public var voltageClampVolts: Double? = 5.0
    public var thresholds = DetectorThresholds.defaults

    public init() {}

    public func metadata(cellID: String, inferredType: CellType) -> CellMetadata {
        CellMetadata(
            cellID: cellID,
            cellType: cellType ?? inferredType,
            electrodeAreaSquareMeters: areaSquareCentimeters.map { $0 / 10_000 },
            activeMassKilograms: activeMassMilligrams.map { $0 / 1_000_000 },
            nominalCapacityAmpHours: nominalCapacityMilliampHours.map { $0 / 1000 }
        )
    }
}

/// Offline detection: a whole recorded channel through one `CellDetector`, alerts as JSON lines.
public enum DetectionRun {
    public static func detect(_ columns: SampleColumns, cellID: String, options: DetectionOptions) -> [Alert] {
        let cell = options.metadata(cellID: cellID, inferredType: CellTypeInference.infer(from: columns))
        var detector = CellDetector(cell: cell, thresholds: options.thresholds, voltageClampVolts: options.voltageClampVolts)
        var alerts: [Alert] = []
        detector.ingest(columns, into: &alerts)
        detector.finish(into: &alerts)
        return alerts
    }

    /// Reads a BDF CSV and returns its alerts as JSON lines (each ending in "\n"). Throws before
    /// producing any text if the file is unreadable or malformed.
    public static func jsonLines(forFileAt path: String, options: DetectionOptions) throws -> String {
        let url = URL(fileURLWithPath: path)
        let columns = try BatteryDataFormatCSV.read(contentsOf: url)
        return jsonLines(for: columns, cellID: url.deletingPathExtension().lastPathComponent, file: path, options: options)
    }

    /// The same for samples from any source (a cycler reader, a database query).
    public static func jsonLines(for columns: SampleColumns, cellID: String, file: String?, options: DetectionOptions) -> String {
        detect(columns, cellID: cellID, options: options).map { AlertJSON.line($0, file: file) + "\n" }.joined()
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
