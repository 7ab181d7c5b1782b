import Foundation
import TestSupport
import Testing

/// deploy/prometheus as Prometheus's own tool reads it (docs/metrics.md): the scrape config and
/// the rules are valid, and the rules fire when they should and not before.
@Suite struct PrometheusConfigTests {
    static let folder = TestPaths.repositoryRoot.appendingPathComponent("deploy/prometheus")
    static let promtool = "/usr/bin/promtool"

    static func promtool(_ arguments: [String], in directory: URL) async throws -> (status: Int32?, output: String) {
        let quoted = arguments.map { "'\($0)'" }.joined(separator: " ")
        let run = try TestProcess("/bin/sh", ["-c", "cd '\(directory.path)' && \(promtool) \(quoted)"])
        let status = await run.waitForExit(timeoutSeconds: 60)
        return (status, run.stdout + run.stderr)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: promtool), "promtool: deploy/install-dependencies.sh installs prometheus"))
    func theScrapeConfigAndItsRulesAreValid() async throws {
        // The shipped config names /etc/cellfleet/prometheus.token, which a test machine lacks:
        // check a copy pointing at a token file that exists, so the whole check (rule files too) runs.
        let directory = TestPaths.temporaryDirectory("prometheus-config")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let token = directory.appendingPathComponent("prometheus.token")
        try "cft_\(String(repeating: "A", count: 43))\n".write(to: token, atomically: true, encoding: .utf8)
        let config = try String(contentsOf: Self.folder.appendingPathComponent("prometheus.yml"), encoding: .utf8)
        #expect(config.contains("credentials_file: /etc/cellfleet/prometheus.token"))
        try config.replacingOccurrences(of: "/etc/cellfleet/prometheus.token", with: token.path)
            .write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: Self.folder.appendingPathComponent("cellfleet-rules.yml"),
                                         to: directory.appendingPathComponent("cellfleet-rules.yml"))
        let check = try await Self.promtool(["check", "config", "prometheus.yml"], in: directory)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("SUCCESS: 1 rule files found"), "\(check.output)")
        // As shipped, its syntax.
        let shipped = try await Self.promtool(["check", "config", "--syntax-only", "prometheus.yml"], in: Self.folder)
        #expect(shipped.status == 0, "\(shipped.output)")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: promtool), "promtool: deploy/install-dependencies.sh installs prometheus"))
    func theRulesAreValidAndTheirUnitTestsPass() async throws {
        let rules = try await Self.promtool(["check", "rules", "cellfleet-rules.yml"], in: Self.folder)
        #expect(rules.status == 0, "\(rules.output)")
        let text = try String(contentsOf: Self.folder.appendingPathComponent("cellfleet-rules.yml"), encoding: .utf8)
        for alert in ["CellfleetIngestStalled", "CellfleetCommitLatencyHigh", "CellfleetAlertReceiverBackedUp",
                      "CellfleetAgentSpoolGrowing", "CellfleetAgentAckLagHigh", "CellfleetNoAgentsConnected"] {
            #expect(text.contains("alert: \(alert)\n"), "\(alert)")
        }
        let unit = try await Self.promtool(["test", "rules", "cellfleet-rules.test.yml"], in: Self.folder)
        #expect(unit.status == 0 && unit.output.contains("SUCCESS"), "\(unit.output)")
    }
}
