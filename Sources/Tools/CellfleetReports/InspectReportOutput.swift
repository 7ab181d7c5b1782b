import CellModel
import CyclerReaders
import Foundation

/// How `cellfleet inspect` prints an `InspectReport`: one JSON object (`--json`, field names are
/// a contract) or a readable summary.
extension InspectReport {
    /// Sums of counters carry float noise in the 17th digit; 12 significant digits is far below
    /// any instrument's printed precision.
    static func capacity(_ value: Double) -> JSONText {
        guard value.isFinite else { return .null }
        return .number(Double(String(format: "%.12g", value))!)
    }

    /// One JSON object with the fields of the `inspect --json` contract (plus context fields).
    public var jsonText: String {
        let fields: [(String, JSONText)] = [
            ("format", .string(format)),
            ("vendor", .string(vendor)),
            ("container", .string(container)),
            ("rows", .integer(rows)),
            ("cycles", .integer(cycles.count)),
            ("cycle_min", cycles.first.map { .integer($0) } ?? .null),
            ("cycle_max", cycles.last.map { .integer($0) } ?? .null),
            ("first_test_time_s", .finite(firstTestTimeSeconds)),
            ("last_test_time_s", .finite(lastTestTimeSeconds)),
            ("first_unix_time_s", .finite(firstUnixTimeSeconds)),
            ("last_unix_time_s", .finite(lastUnixTimeSeconds)),
            ("voltage_max_V", .finite(voltageMaxVolts)),
            ("voltage_min_V", .finite(voltageMinVolts)),
            ("per_cycle", .object(perCycle.keys.sorted().map { cycle in
                let entry = perCycle[cycle]!
                return (String(cycle), .array([Self.capacity(entry.charge), Self.capacity(entry.discharge)]))
            })),
            ("warnings", .array(warnings.map { .string($0) })),
        ]
        return JSONText.object(fields).render(pretty: false)
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
