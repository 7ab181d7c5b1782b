import CellModel
import CellSimulator
import Foundation
import CellDetection

/// Runs a docs/detectors.md §8 scenario through the detector and judges the alerts against the preset's labelled
/// expectation (ScenarioExpectation's documented semantics).
enum ScenarioHarness {
    struct Outcome {
        var alerts: [Alert]
        var cycleStartSeconds: [Int: Double]
        var sampleCount: Int
        var lastTestTimeSeconds: Double
    }

    /// Feeds the simulation in columnar batches (the coordinator's path).
    static func run(_ preset: ScenarioPreset, seed: UInt64, durationSeconds: Double? = nil,
                    intervalSeconds: Double? = nil, batch: Int = 4096) -> Outcome {
        var simulation = CellSimulation(preset: preset, seed: seed, sampleIntervalSeconds: intervalSeconds, durationSeconds: durationSeconds)
        var detector = CellDetector(cell: preset.cell, voltageClampVolts: preset.voltageClampVolts)
        var alerts: [Alert] = []
        var starts: [Int: Double] = [:]
        var columns = SampleColumns()
        var count = 0
        var last = 0.0
        while let sample = simulation.next() {
            if let cycle = sample.cycleIndex, starts[Int(cycle)] == nil { starts[Int(cycle)] = sample.testTimeSeconds }
            columns.append(sample)
            count += 1
            last = sample.testTimeSeconds
            if columns.count == batch {
                detector.ingest(columns, into: &alerts)
                columns = SampleColumns()
            }
        }
        detector.ingest(columns, into: &alerts)
        detector.finish(into: &alerts)
        return Outcome(alerts: alerts, cycleStartSeconds: starts, sampleCount: count, lastTestTimeSeconds: last)
    }

    /// Problems found, empty when the verdict matches. `until` limits the judged windows to a
    /// shortened run (expected alerts whose window starts after it are not required).
    static func judge(_ preset: ScenarioPreset, _ outcome: Outcome) -> [String] {
        let expectation = preset.expectation
        var problems: [String] = []
        let alerts = outcome.alerts
        func describe(_ alert: Alert) -> String {
            "\(alert.rule.rawValue)/\(alert.severity.rawValue) at \(String(format: "%.4f", alert.testTimeSeconds / 3600)) h cycle \(alert.cycle)"
        }
        // R1 never fails and may warn on any cell (the healthy coated cell grows 14.5×).
        func counts(_ alert: Alert) -> Bool {
            alert.severity != .info && !(alert.rule == .R1 && alert.severity == .warn)
        }
        let judged = alerts.filter(counts)
        if expectation.healthy {
            for alert in judged where !expectation.allowedOnHealthy.contains(alert.rule.rawValue) {
                problems.append("healthy cell raised \(describe(alert))")
            }
        }
        for alert in alerts where expectation.forbiddenRules.contains(alert.rule.rawValue) {
            problems.append("forbidden \(describe(alert))")
        }
        if let quiet = expectation.quietBeforeTestTimeSeconds {
            for alert in judged where alert.testTimeSeconds < quiet {
                problems.append("\(describe(alert)) before the failure starts (\(quiet / 3600) h)")
            }
        }
        if let quiet = expectation.quietBeforeCycle {
            for alert in judged where alert.cycle < quiet {
                problems.append("\(describe(alert)) before cycle \(quiet)")
            }
        }
        for period in expectation.rulesQuietBefore {
            for alert in judged where period.rules.contains(alert.rule.rawValue) {
                if let time = period.beforeTestTimeSeconds, alert.testTimeSeconds < time {
                    problems.append("\(describe(alert)) before \(time / 3600) h")
                }
                if let cycle = period.beforeCycle, alert.cycle < cycle {
                    problems.append("\(describe(alert)) before cycle \(cycle)")
                }
            }
        }
        for expected in expectation.expectedAlerts {
            if let earliest = expected.earliestTestTimeSeconds, earliest > outcome.lastTestTimeSeconds { continue }
            if let cycle = expected.earliestCycle, outcome.cycleStartSeconds[cycle] == nil, !outcome.cycleStartSeconds.isEmpty { continue }
            guard let first = alerts.first(where: { expected.rules.contains($0.rule.rawValue) && $0.severity != .info }) else {
                problems.append("no \(expected.rules.sorted().joined(separator: "/")) alert")
                continue
            }
            if let earliest = expected.earliestTestTimeSeconds, first.testTimeSeconds < earliest {
                problems.append("\(describe(first)) earlier than \(earliest / 3600) h")
            }
            if let latest = expected.latestTestTimeSeconds, first.testTimeSeconds > latest {
                problems.append("\(describe(first)) later than \(latest / 3600) h")
            }
            if let earliest = expected.earliestCycle, first.cycle < earliest {
                problems.append("\(describe(first)) before cycle \(earliest)")
            }
            if let latest = expected.latestCycle, first.cycle > latest {
                problems.append("\(describe(first)) after cycle \(latest)")
            }
            if let cycle = expected.earliestCycle, let start = outcome.cycleStartSeconds[cycle] {
                let into = first.testTimeSeconds - start
                if let earliest = expected.earliestSecondsIntoCycle, into < earliest {
                    problems.append("\(describe(first)) only \(into / 3600) h into cycle \(cycle)")
                }
                if let latest = expected.latestSecondsIntoCycle, into > latest {
                    problems.append("\(describe(first)) \(into / 3600) h into cycle \(cycle), later than \(latest / 3600) h")
                }
            }
        }
        return problems
    }

    static func summary(_ outcome: Outcome) -> String {
        var firsts: [DetectionRule: Alert] = [:]
        for alert in outcome.alerts where firsts[alert.rule] == nil { firsts[alert.rule] = alert }
        return firsts.values.sorted { $0.testTimeSeconds < $1.testTimeSeconds }.map {
            "\($0.rule.rawValue)/\($0.severity.rawValue)@\(String(format: "%.3f", $0.testTimeSeconds / 3600))h c\($0.cycle)"
        }.joined(separator: " ")
    }
}
