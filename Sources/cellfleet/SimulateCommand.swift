import ArgumentParser
import CellfleetReports
import CellModel
import CellSimulator
import Foundation

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Write a simulated cell as a Battery Data Format CSV.",
        discussion: "SCENARIO is a preset name (\"1\" … \"12\", \"2b\", \"6b\", paper-*) or alias; a group name (scenarios, paper, extras, all) writes one CSV per preset into the --out directory."
    )

    @Argument(help: "Preset, alias or group name (see --list).")
    var scenario: String?

    @Option(help: "Random seed: the same seed gives the same samples.")
    var seed: UInt64 = 1

    @Option(help: "Output CSV file (a directory for a group name); '-' or absent writes to stdout.")
    var out: String?

    @Flag(help: "List the presets (of a group, if SCENARIO names one) and exit.")
    var list = false

    @Option(help: "Override the preset's logging interval.")
    var sampleIntervalSeconds: Double?

    @Option(help: "Override the preset's duration.")
    var durationHours: Double?

    func validate() throws {
        if let interval = sampleIntervalSeconds, !(interval.isFinite && interval > 0) {
            throw ValidationError("--sample-interval-seconds must be a positive number, got \(interval)")
        }
        if let hours = durationHours, !(hours.isFinite && hours >= 0) {
            throw ValidationError("--duration-hours must be a non-negative number, got \(hours)")
        }
        if !list, scenario == nil {
            throw ValidationError("name a SCENARIO (or use --list to see them)")
        }
    }

    func run() async throws {
        if list {
            let presets = try scenario.map(resolve) ?? ScenarioCatalog.all
            print(ScenarioListing.text(presets), terminator: "")
            return
        }
        guard let scenario else { return }
        let presets = try resolve(scenario)
        let isGroup = ScenarioCatalog.groups[scenario.lowercased()] != nil
        let options = SimulationOptions(seed: seed, sampleIntervalSeconds: sampleIntervalSeconds, durationHours: durationHours)
        if isGroup {
            guard let out, out != "-" else {
                throw ValidationError("'\(scenario)' is a group of \(presets.count) presets: give --out DIRECTORY")
            }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for preset in presets {
                let path = (out as NSString).appendingPathComponent("\(preset.name).csv")
                let rows = try BatteryDataCSVWriter.write(options.simulation(of: preset), toFile: path)
                FileHandle.standardError.write(Data("\(preset.name): \(rows) samples → \(path)\n".utf8))
            }
            return
        }
        let simulation = options.simulation(of: presets[0])
        if let out, out != "-" {
            let rows = try BatteryDataCSVWriter.write(simulation, toFile: out)
            FileHandle.standardError.write(Data("\(presets[0].name): \(rows) samples → \(out)\n".utf8))
        } else {
            var writer = BatteryDataCSVWriter { FileHandle.standardOutput.write(Data($0)) }
            try writer.write(contentsOf: simulation)
            try writer.flush()
        }
    }

    private func resolve(_ name: String) throws -> [ScenarioPreset] {
        guard let presets = ScenarioCatalog.presets(named: name) else {
            let names = ScenarioCatalog.all.map(\.name).joined(separator: ", ")
            throw ValidationError("unknown scenario '\(name)'. Presets: \(names); groups: \(ScenarioCatalog.groups.keys.sorted().joined(separator: ", "))")
        }
        return presets
    }
}
