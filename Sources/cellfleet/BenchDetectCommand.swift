import ArgumentParser
import CellDetection
import CellfleetBenchmarks
import CellModel
import CellSimulator

/// Samples per second per core through segmentation and every detector, on simulated channels,
/// as a ratio to a plain column-summing loop over the same data measured in the same run.
struct BenchDetectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Samples per second through segmentation and every detector."
    )

    @Option(help: "Samples per scenario (default 2,000,000).")
    var samples = 2_000_000

    @Option(help: "Repetitions; the best time is kept.")
    var repetitions = 5

    @Option(help: "Scenarios to simulate (comma-separated preset names).")
    var scenarios = "1,6,9"

    func validate() throws {
        guard samples > 0, repetitions > 0 else { throw ValidationError("--samples and --repetitions must be positive") }
        for name in scenarios.split(separator: ",") where ScenarioCatalog.preset(named: String(name)) == nil {
            throw ValidationError("unknown scenario '\(name)'")
        }
    }

    func run() async throws {
        var measurements: [DetectionBenchmark.Measurement] = []
        for name in scenarios.split(separator: ",").map(String.init) {
            let preset = ScenarioCatalog.preset(named: name)!
            // Long enough to hold the requested number of samples; full-cell runs also end
            // with their last programmed cycle, so repeat seeds until there are enough.
            var columns = SampleColumns()
            var seed: UInt64 = 1
            var offset = 0.0
            while columns.count < samples, seed < 1000 {
                var simulation = CellSimulation(
                    preset: preset, seed: seed,
                    durationSeconds: Double(samples - columns.count + 1) * preset.sampleIntervalSeconds
                )
                var last = offset
                while columns.count < samples, var sample = simulation.next() {
                    sample.testTimeSeconds += offset
                    last = sample.testTimeSeconds
                    sample.cycleIndex = nil
                    sample.stepIndex = nil
                    columns.append(sample)
                }
                offset = last + preset.sampleIntervalSeconds
                seed += 1
            }
            measurements.append(DetectionBenchmark.measure(
                label: "scenario \(name) (\(preset.cell.cellType.rawValue))", columns: columns, cell: preset.cell,
                voltageClampVolts: preset.voltageClampVolts, repetitions: repetitions
            ))
        }
        print(DetectionBenchmark.report(measurements))
    }
}
