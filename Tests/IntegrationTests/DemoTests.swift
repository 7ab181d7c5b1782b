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

    /// `demo --study`: the channels start idle, the scheduler runs the study on them, the demo
    /// ends by itself when it is complete and says what each test came to.
    @Test func theDemoRunsAStudyThroughTheSchedulerToItsEnd() async throws {
        let directory = TestPaths.temporaryDirectory("demo-study")
        defer { try? FileManager.default.removeItem(at: directory) }
        // 200 test hours in 20 s; the study needs about three rounds of 4 channels.
        let demo = try TestProcess(TestPaths.cellfleet, [
            "demo", "--data-dir", directory.path, "--port", "\(TestPaths.freePort())", "--channels", "4",
            "--rate", "600", "--speed", "36000", "--study", "two-groups-200h",
        ])
        #expect(await demo.waitForExit(timeoutSeconds: 300) == 0, "stdout: \(demo.stdout.suffix(3000))\nstderr: \(demo.stderr.suffix(2000))")
        let lines = demo.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("STUDY two-groups-200h complete:") }, "\(demo.stdout.suffix(3000))")
        #expect(lines.contains { $0.contains("A A2 on ") && $0.contains("infant") && $0.contains("H1 at 11 h") }, "\(lines.suffix(20))")
        #expect(lines.filter { $0.contains(": failed — P2 at ") }.count == 3, "\(lines.suffix(20))")
        #expect(lines.filter { $0.hasPrefix("  A ") && $0.contains(": conclusive — 200 h") }.count == 3, "\(lines.suffix(20))")
        #expect(lines.contains { $0.contains("channel utilisation while work was queued: 0.") }, "\(lines.suffix(5))")
    }
}
