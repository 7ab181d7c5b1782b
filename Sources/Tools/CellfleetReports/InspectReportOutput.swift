import CellModel
import CyclerReaders
import Foundation

/// How `cellfleet inspect` prints an `InspectReport`: one JSON object (`--json`, field names are
/// a contract) or a readable summary.
extension InspectReport {
    static func json(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(format: "%.1f", value) }
        return "\(value)"
    }

    /// Sums of counters carry float noise in the 17th digit; 12 significant digits is far below
    /// any instrument's printed precision.
    static func capacity(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == 0 { return "0.0" }
        return "\(Double(String(format: "%.12g", value))!)"
    }

    static func json(_ text: String) -> String { JSONString.quoted(text) }

    /// One JSON object with the fields of the `inspect --json` contract (plus context fields).
    public var jsonText: String {
        var parts: [String] = []
        parts.append("\"format\":\(Self.json(format))")
        parts.append("\"vendor\":\(Self.json(vendor))")
        parts.append("\"container\":\(Self.json(container))")
        parts.append("\"rows\":\(rows)")
        parts.append("\"cycles\":\(cycles.count)")
        parts.append("\"cycle_min\":\(cycles.first.map(String.init) ?? "null")")
        parts.append("\"cycle_max\":\(cycles.last.map(String.init) ?? "null")")
        parts.append("\"first_test_time_s\":\(Self.json(firstTestTimeSeconds))")
        parts.append("\"last_test_time_s\":\(Self.json(lastTestTimeSeconds))")
        parts.append("\"first_unix_time_s\":\(Self.json(firstUnixTimeSeconds))")
        parts.append("\"last_unix_time_s\":\(Self.json(lastUnixTimeSeconds))")
        parts.append("\"voltage_max_V\":\(Self.json(voltageMaxVolts))")
        parts.append("\"voltage_min_V\":\(Self.json(voltageMinVolts))")
        let cycleParts = perCycle.keys.sorted().map { c -> String in
            let e = perCycle[c]!
            return "\"\(c)\":[\(Self.capacity(e.charge)),\(Self.capacity(e.discharge))]"
        }
        parts.append("\"per_cycle\":{\(cycleParts.joined(separator: ","))}")
        parts.append("\"warnings\":[\(warnings.map(Self.json).joined(separator: ","))]")
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// Readable summary for people.
    public var humanText: String {
        func time(_ u: Double?) -> String {
            guard let u else { return "none" }
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return f.string(from: Date(timeIntervalSince1970: u))
        }
        var lines: [String] = []
        lines.append("\(file)")
        lines.append("  format:   \(format) (\(vendor), container \(container))")
        lines.append("  records:  \(rows)")
        lines.append("  cycles:   \(cycles.count)" + (cycles.isEmpty ? "" : " (\(cycles.first!)..\(cycles.last!))"))
        lines.append("  voltage:  \(voltageMinVolts.map { "\($0)" } ?? "?") .. \(voltageMaxVolts.map { "\($0)" } ?? "?") V")
        lines.append("  test time: \(firstTestTimeSeconds.map { "\($0)" } ?? "none") .. \(lastTestTimeSeconds.map { "\($0)" } ?? "none") s")
        lines.append("  clock:    \(time(firstUnixTimeSeconds)) -> \(time(lastUnixTimeSeconds))")
        lines.append("  per cycle (charge / discharge, mAh):")
        for c in perCycle.keys.sorted() {
            let e = perCycle[c]!
            lines.append(String(format: "    %6d  %12.6f  %12.6f", c, e.charge * 1000, e.discharge * 1000))
        }
        for w in warnings { lines.append("  warning: \(w)") }
        return lines.joined(separator: "\n")
    }
}
