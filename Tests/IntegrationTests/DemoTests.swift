import TestSupport
import Foundation
import Testing

/// `cellfleet demo` runs the reference study's cells through live detection and prints each
/// alert once it has committed: the bare cell's blow-up appears, the coated cells stay quiet.
@Suite struct DemoTests {
    @Test func theDemoPrintsTheBareCellsBlowUpAsItCommits() async throws {
        let directory = TestPaths.temporaryDirectory("demo")
        defer { try? FileManager.default.removeItem(at: directory) }
        // 60 s of test time per sample, 10 test hours a second: the blow-up (≈ 106 h) in ~11 s.
        let demo = try TestProcess(TestPaths.cellfleet, [
            "demo", "--data-dir", directory.path, "--port", "\(TestPaths.freePort())", "--channels", "3",
            "--rate", "600", "--speed", "36000", "--duration", "16",
        ])
        #expect(await demo.waitForExit(timeoutSeconds: 120) == 0, "stderr: \(demo.stderr.suffix(2000))")
        let alerts = demo.stdout.split(separator: "\n").filter { $0.hasPrefix("ALERT ") }
        #expect(alerts.contains { $0.hasPrefix("ALERT FAIL P2") && $0.contains("paper-sym-bare-0.1") }, "\(demo.stdout.suffix(3000))")
        #expect(!alerts.contains { $0.contains("coated") && ($0.hasPrefix("ALERT FAIL") || $0.hasPrefix("ALERT WARN")) }, "\(alerts)")
        // Each alert printed once.
        #expect(Set(alerts).count == alerts.count)
    }
}
