/// The knobs a user turns on a preset from the command line, kept here so they are testable.
public struct SimulationOptions: Sendable {
    public var seed: UInt64
    public var sampleIntervalSeconds: Double?
    public var durationHours: Double?

    public init(seed: UInt64, sampleIntervalSeconds: Double? = nil, durationHours: Double? = nil) {
        self.seed = seed
        self.sampleIntervalSeconds = sampleIntervalSeconds
        self.durationHours = durationHours
    }

    public func simulation(of preset: ScenarioPreset) -> CellSimulation {
        CellSimulation(
            preset: preset, seed: seed, sampleIntervalSeconds: sampleIntervalSeconds,
            durationSeconds: durationHours.map { $0 * 3600 }
        )
    }
}

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
