import CellSimulator

/// The `simulate --list` table: name, cell type, duration, logging interval, aliases, summary.
public enum ScenarioListing {
    public static func text(_ presets: [ScenarioPreset]) -> String {
        var lines: [String] = []
        for preset in presets {
            let type = preset.cell.cellType.rawValue
            let length: String
            switch preset.model {
            case .symmetric: length = "\(formatted(preset.durationSeconds / 3600)) h"
            case let .full(parameters):
                let cycles = parameters.protocolStages.reduce(0) { $0 + ($1.cycles ?? 0) }
                length = "\(cycles) cycles"
            }
            var line = "\(pad(preset.name, 22)) \(pad(type, 9)) \(pad(length, 10)) Δt \(pad(formatted(preset.sampleIntervalSeconds) + " s", 6))  \(preset.summary)"
            if !preset.aliases.isEmpty { line += " [aliases: \(preset.aliases.joined(separator: ", "))]" }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private static func formatted(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
