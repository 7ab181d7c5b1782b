import CellModel
import CellSimulator
import Foundation
import Testing
import CellDetection

@Test(arguments: ["1", "2", "2b", "3", "4", "5", "6", "6b", "7", "8", "9", "10", "11", "12"])
func scenarioScratch(name: String) {
    let preset = ScenarioCatalog.preset(named: name)!
    for seed in [UInt64(1), 2, 3] {
        let clock = ContinuousClock.now
        let outcome = ScenarioHarness.run(preset, seed: seed)
        let problems = ScenarioHarness.judge(preset, outcome)
        print("scenario \(name) seed \(seed) n=\(outcome.sampleCount) \(ContinuousClock.now - clock): \(problems.isEmpty ? "OK" : "FAIL \(problems.prefix(4))") | \(ScenarioHarness.summary(outcome))")
    }
}

@Test(arguments: ["6", "6b", "10"])
func scenarioSeedSweep(name: String) {
    let preset = ScenarioCatalog.preset(named: name)!
    var failures = 0
    var lines: [String] = []
    for seed in UInt64(1)...40 {
        let outcome = ScenarioHarness.run(preset, seed: seed, durationSeconds: name == "10" ? nil : 330 * 3600)
        let problems = ScenarioHarness.judge(preset, outcome).filter { !$0.contains("no H1") }
        if !problems.isEmpty { failures += 1 }
        let s1 = outcome.alerts.first { $0.rule == .S1 }.map { String(format: "%.1f", $0.testTimeSeconds / 3600) } ?? "-"
        let s2 = outcome.alerts.first { $0.rule == .S2 }.map { String(format: "%.1f", $0.testTimeSeconds / 3600) } ?? "-"
        let e2 = outcome.alerts.first { $0.rule == .E2 }.map { "\($0.cycle)" } ?? "-"
        lines.append("\(seed):\(s1)/\(s2)/\(e2)")
    }
    print("sweep \(name): \(failures)/40 fail; \(lines.joined(separator: " "))")
}
