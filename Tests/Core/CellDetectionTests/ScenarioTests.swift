import CellModel
import CellSimulator
import Foundation
import Testing
import CellDetection

/// The labelled scenarios of docs/detectors.md §8 against the simulator's presets and their
/// expectations. Debug builds (CI) run one seed of every scenario, the long healthy ones
/// shortened; release builds (`swift test -c release`) run every scenario at full length with
/// several seeds, and again through the CSV path of `cellfleet detect`.
@Suite struct ScenarioTests {
    static let names = ["1", "2", "2b", "3", "4", "5", "6", "6b", "7", "8", "9", "10", "11", "12"]

    /// Shortened lengths for debug builds: long enough to contain every labelled window.
    static let debugHours: [String: Double] = [
        "1": 400, "2": 260, "2b": 260, "5": 401, "6": 452, "6b": 452, "9": 30 * 24,
    ]

    @Test(arguments: names)
    func scenarioVerdict(name: String) throws {
        let preset = try #require(ScenarioCatalog.preset(named: name))
        #if DEBUG
        let duration = Self.debugHours[name].map { $0 * 3600 }
        #else
        let duration: Double? = nil
        #endif
        let outcome = ScenarioHarness.run(preset, seed: 1, durationSeconds: duration)
        let problems = ScenarioHarness.judge(preset, outcome).filter { !Self.isStochasticSoftShortWindow(name, $0) }
        #expect(problems.isEmpty, "scenario \(name): \(problems) | \(ScenarioHarness.summary(outcome))")
    }

    /// Scenarios 6/6b: the first soft-short events arrive as a Poisson process of rate
    /// 0.5–0.77 h⁻¹ from 300 h, so even a perfect S1 counter sees its 5th event after 310 h in
    /// about a quarter of the seeds. That bound is checked statistically in
    /// `softShortWindowOverSeeds`; everything else about 6/6b is checked exactly here.
    static func isStochasticSoftShortWindow(_ name: String, _ problem: String) -> Bool {
        (name == "6" || name == "6b") && (problem.hasPrefix("S1/") || problem.hasPrefix("S2/")) && problem.contains("later than 310")
    }

    /// The simulator's extra presets (docs/detectors.md §8.4: §7.4 artefacts on healthy cells, √t growth, a full-cell
    /// hard short), by whatever names the catalog lists.
    @Test func extraScenarios() throws {
        for preset in ScenarioCatalog.extras {
            #if DEBUG
            let seeds: [UInt64] = [1]
            #else
            let seeds: [UInt64] = [1, 2, 3]
            #endif
            for seed in seeds {
                let outcome = ScenarioHarness.run(preset, seed: seed)
                let problems = ScenarioHarness.judge(preset, outcome)
                #expect(problems.isEmpty, "\(preset.name) seed \(seed): \(problems) | \(ScenarioHarness.summary(outcome))")
            }
        }
    }

    #if !DEBUG
    static let seeds: [UInt64] = [2, 3, 4, 5, 6]

    @Test(arguments: names)
    func scenarioVerdictOverSeeds(name: String) throws {
        let preset = try #require(ScenarioCatalog.preset(named: name))
        for seed in Self.seeds {
            let outcome = ScenarioHarness.run(preset, seed: seed)
            let problems = ScenarioHarness.judge(preset, outcome).filter { !Self.isStochasticSoftShortWindow(name, $0) }
            #expect(problems.isEmpty, "scenario \(name) seed \(seed): \(problems) | \(ScenarioHarness.summary(outcome))")
        }
    }

    /// 6/6b over 40 seeds: never before 300 h, always by 330 h, and within the labelled
    /// 300–310 h window nearly as often as an ideal counter of the simulated events would be
    /// (5 visible drop-and-recover events by 310 h, counted from the raw voltage). The events
    /// are a Poisson process of 0.5–0.77 h⁻¹, so that ideal is itself only ≈ 60 % of seeds.
    @Test(arguments: ["6", "6b"])
    func softShortWindowOverSeeds(name: String) throws {
        let preset = try #require(ScenarioCatalog.preset(named: name))
        var inWindow = 0
        var ideal = 0
        var firsts: [String] = []
        for seed in UInt64(101)...140 {
            if Self.fifthVisibleEventRecoveryHours(preset, seed: seed) <= 310 { ideal += 1 }
            let outcome = ScenarioHarness.run(preset, seed: seed, durationSeconds: 340 * 3600)
            let first = try #require(outcome.alerts.first { $0.rule == .S1 || $0.rule == .S2 }, "seed \(seed): no S1/S2")
            let hours = first.testTimeSeconds / 3600
            #expect(hours >= 300 && hours <= 330, "seed \(seed): \(first.rule) at \(hours) h")
            #expect(outcome.alerts.warnOrFail.filter { $0.rule != .R1 }.allSatisfy { $0.testTimeSeconds >= 300 * 3600 })
            if hours <= 310 { inWindow += 1 }
            firsts.append(String(format: "%.1f", hours))
        }
        #expect(inWindow >= ideal - 5, "\(name): \(inWindow)/40 within 310 h, ideal counter \(ideal)/40; first S1/S2 at \(firsts)")
        print("scenario \(name): first S1/S2 within 300–310 h in \(inWindow)/40 seeds (ideal 5-event counter: \(ideal)/40): \(firsts.joined(separator: " "))")
    }

    /// When the 5th soft-short event that spans ≥ 2 samples has recovered, from the raw voltage
    /// (events pull |V| from ≈ 200 mV to below 70 mV; the healthy plateau never goes below 120 mV).
    static func fifthVisibleEventRecoveryHours(_ preset: ScenarioPreset, seed: UInt64) -> Double {
        var simulation = CellSimulation(preset: preset, seed: seed, durationSeconds: 311 * 3600)
        var lowRun = 0
        var recoveries = 0
        while let sample = simulation.next() {
            guard sample.testTimeSeconds >= 300 * 3600 else { continue }
            if abs(sample.voltageVolts) < 0.12 {
                lowRun += 1
            } else {
                if lowRun >= 2 {
                    recoveries += 1
                    if recoveries == 5 { return sample.testTimeSeconds / 3600 }
                }
                lowRun = 0
            }
        }
        return .infinity
    }

    /// The same verdicts from the `cellfleet detect` path: simulated samples written as BDF CSV,
    /// parsed back, the cell type inferred and docs/detectors.md §1.4 defaults applied. (That the
    /// JSON lines `detect` prints carry these alerts exactly is CellfleetReportsTests'.)
    @Test(arguments: names)
    func scenarioVerdictThroughCSV(name: String) throws {
        let preset = try #require(ScenarioCatalog.preset(named: name))
        let simulation = CellSimulation(preset: preset, seed: 7)
        var starts: [Int: Double] = [:]
        var last = 0.0
        let samples = simulation.map { sample -> Sample in
            if let cycle = sample.cycleIndex, starts[Int(cycle)] == nil { starts[Int(cycle)] = sample.testTimeSeconds }
            last = sample.testTimeSeconds
            return sample
        }
        let csv = BatteryDataCSVWriter.csvText(samples)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scenario-\(name)-\(UUID().uuidString).csv")
        try csv.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let columns = try BatteryDataFormatCSV.read(contentsOf: url)
        let alerts = DetectionRun.detect(columns, cellID: url.deletingPathExtension().lastPathComponent, options: DetectionOptions())
        let outcome = ScenarioHarness.Outcome(alerts: alerts, cycleStartSeconds: starts, sampleCount: samples.count, lastTestTimeSeconds: last)
        let problems = ScenarioHarness.judge(preset, outcome).filter { !Self.isStochasticSoftShortWindow(name, $0) }
        #expect(problems.isEmpty, "scenario \(name) via CSV: \(problems) | \(ScenarioHarness.summary(outcome))")
    }

    /// The reference study: bare symmetric cells are flagged for polarization, coated ones are
    /// clean at the end of their runs; the paper's full cells likewise.
    @Test func referenceStudy() throws {
        for preset in ScenarioCatalog.paperStudy {
            let outcome = ScenarioHarness.run(preset, seed: 1)
            let problems = ScenarioHarness.judge(preset, outcome)
            #expect(problems.isEmpty, "\(preset.name): \(problems) | \(ScenarioHarness.summary(outcome))")
            if preset.name.hasPrefix("paper-sym-bare") {
                #expect(outcome.alerts.contains { [.P2, .P3, .P4].contains($0.rule) && $0.severity == .fail })
            }
        }
    }
    #endif
}
