import ArgumentParser
import CellfleetCoordinator
import Foundation
import Logging
import PostgresNIO
import Scheduling
import ServiceLifecycle
import ShippedData

/// `demo --study`: the study file (a path, or the name of one shipped in agents/studies; `paper`
/// is the reference study), parsed before anything starts.
struct DemoStudy: Sendable {
    static let aliases = ["paper": "coating-vs-bare"]

    let file: URL
    let text: String
    let plan: StudyProgress.Plan

    static func load(_ given: String) throws -> DemoStudy {
        var candidates = [URL(fileURLWithPath: given)]
        let name = aliases[given] ?? given
        candidates += ShippedData.studies.directories().map { URL(fileURLWithPath: $0).appendingPathComponent("\(name).toml") }
        guard let file = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) && !$0.hasDirectoryPath }) else {
            throw ValidationError("--study \(given): no such file, and no shipped study of that name (looked in \(ShippedData.studies.directories().joined(separator: ", ")))")
        }
        let text = try String(contentsOf: file, encoding: .utf8)
        do {
            return DemoStudy(file: file, text: text, plan: try StudyFile.parse(text, file: file.path))
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

/// Submits the study once the coordinator is ready, prints each group's progress when it
/// changes, and ends the demo when the study is complete (or cannot complete) with what each
/// test came to and how well the channels were used.
struct DemoStudyService: Service {
    let study: DemoStudy
    let client: PostgresClient
    let coordinator: Coordinator
    let logger: Logger

    func run() async throws {
        await coordinator.waitUntilReady()
        try await cancelWhenGracefulShutdown {
            switch try await StudyRecords.submit(study.plan, definition: study.text, submittedBy: "demo", client: client, logger: logger) {
            case .submitted(let groups, let cells, let requests): say("STUDY submitted: \(groups) groups, \(cells) cells, \(requests) requests queued")
            case .unchanged: say("STUDY \(study.plan.name) was submitted before (same file): carrying on with it")
            }
            var last = ""
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                let status = try await StudyStatusRecords.status(study.plan.name, client: client, logger: logger)
                let line = status.groups.map {
                    "\($0.name): \($0.conclusive)/\($0.replicatesNeeded) done (\($0.failed) failed), \($0.running) running, \($0.replaced) replaced, \($0.stockLeft) in stock"
                }.joined(separator: " | ")
                if line != last {
                    say("STUDY \(status.state)  \(line)")
                    last = line
                }
                if status.state == "complete" || status.state == "stock_exhausted" {
                    try await summarise(status)
                    return
                }
            }
        }
    }

    /// Each test's verdict with what it showed: a symmetric cell's last plateau overpotential and
    /// test hours, a full cell's state of health after its last cycle, the first fail alert.
    private func summarise(_ status: StudyStatusRecords.Study) async throws {
        say("STUDY \(status.name) \(status.state):")
        let rows = try await client.query("""
            SELECT r.group_name, r.cell_id, r.verdict, COALESCE(r.outcome ->> 'fail_rule', ''), COALESCE((r.outcome ->> 'fail_at_hours')::float8, -1),
                   COALESCE(t.agent_id || '/' || t.channel_id, ''),
                   COALESCE((SELECT max(s.end_test_time_s) FROM cycle_summaries s WHERE s.test_id = t.test_id), -1),
                   COALESCE((SELECT max(s.cycle_index) FROM cycle_summaries s WHERE s.test_id = t.test_id), -1),
                   COALESCE((SELECT s.state_of_health FROM cycle_summaries s WHERE s.test_id = t.test_id AND s.state_of_health IS NOT NULL
                             ORDER BY s.cycle_index DESC LIMIT 1), -1),
                   COALESCE((SELECT (s.charge_plateau_overpotential_v + s.discharge_plateau_overpotential_v) / 2 FROM cycle_summaries s
                             WHERE s.test_id = t.test_id AND s.charge_plateau_overpotential_v IS NOT NULL ORDER BY s.cycle_index DESC LIMIT 1), -1)
            FROM cell_requests r LEFT JOIN tests t ON t.test_id = r.test_id
            WHERE r.study_name = \(status.name) AND r.state = 'finished' ORDER BY r.group_name, r.submitted
            """, logger: logger)
        for try await (group, cell, verdict, rule, failHours, channel, hours, cycle, health, overpotential) in rows.decode(
            (String, String, String?, String, Double, String, Double, Int, Double, Double).self) {
            var facts: [String] = []
            if !rule.isEmpty { facts.append(String(format: "%@ at %.0f h", rule, failHours)) }
            if hours >= 0 { facts.append(String(format: "%.0f h", hours / 3600)) }
            if overpotential >= 0 { facts.append(String(format: "overpotential %.0f mV", overpotential * 1000)) }
            if health >= 0 { facts.append(String(format: "%.2f of its capacity after %d cycles", health, cycle)) }
            say("  \(group) \(cell) on \(channel): \(verdict ?? "?")\(facts.isEmpty ? "" : " — " + facts.joined(separator: ", "))")
        }
        let utilisation = try await client.withConnection { try await StudyUtilisation.measure(study: status.name, connection: $0, logger: logger) }
        if let fraction = utilisation.fraction {
            say(String(format: "  channel utilisation while work was queued: %.3f (%.1f of %.1f channel-hours of wall time busy)",
                       fraction, utilisation.busyChannelSeconds / 3600, utilisation.availableChannelSeconds / 3600))
        }
    }
}
