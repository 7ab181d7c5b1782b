import TestSupport
import Foundation
import Testing

/// `cellfleet bench tail` run short, through its real children (an import and a following
/// agent) and its own database: its JSON line carries every figure, and the following phase
/// loses nothing — the rows committed are the records the bench wrote.
@Suite struct BenchTailTests {
    static let fixtures = TestPaths.repositoryRoot.appendingPathComponent("Tests/Core/CyclerReadersTests/Fixtures")

    @Test func aShortRunReportsEveryFigureAndCommitsWhatWasWritten() async throws {
        let throughput = ["synthetic/land_synthetic.csv", "maccor_txt/maccor_two.txt", "binary/test.ndax"]
        let bench = try TestProcess(TestPaths.cellfleet, [
            "bench", "tail", "--files"] + throughput.map { Self.fixtures.appendingPathComponent($0).path } + [
            "--replicas", "2", "--parse-repeats", "1", "--follow-files", "4", "--seconds", "5", "--timeout", "60",
        ])
        let status = await bench.waitForExit(timeoutSeconds: 150)
        if status == nil { bench.kill9() }
        #expect(status == 0, "stderr: \(bench.stderr.suffix(4000))")
        let lines = bench.stdout.split(separator: "\n")
        #expect(lines.count == 1, "stdout holds only the JSON line: \(bench.stdout)")
        let line = try #require(lines.last(where: { $0.hasPrefix("{") }), "no JSON line; stderr: \(bench.stderr.suffix(4000))")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        for key in [
            "tail_records_per_s", "parse_records_per_s", "tail_to_parse_ratio", "files", "records", "follow_files", "follow_seconds",
            "agent_rss_mb", "agent_rss_peak_mb", "agent_rss_anon_mb", "agent_cpu_percent_of_core", "follow_records_committed", "follow_records_written",
        ] {
            #expect(report[key] is NSNumber, "\(key) in \(line)")
        }
        func number(_ key: String) -> Double { (report[key] as? NSNumber)?.doubleValue ?? .nan }
        #expect(number("files") == 6)
        // land_synthetic (85), maccor_two (214) and test.ndax (1,464 records; PROVENANCE.md), twice each.
        #expect(number("records") == Double(2 * (85 + 214 + 1_464)))
        #expect(number("tail_records_per_s") > 0 && number("parse_records_per_s") > 0)
        #expect(abs(number("tail_to_parse_ratio") - number("tail_records_per_s") / number("parse_records_per_s")) < 0.01)
        #expect(number("follow_files") == 4)
        #expect(number("follow_seconds") >= 5 && number("follow_seconds") < 10)
        // Four files, each its first record and then one a second for five seconds.
        #expect(number("follow_records_written") == 24)
        #expect(number("follow_records_committed") == number("follow_records_written"))
        #expect(number("agent_rss_mb") > 1 && number("agent_rss_peak_mb") >= number("agent_rss_mb"))
        #expect(number("agent_rss_anon_mb") > 0 && number("agent_rss_anon_mb") < number("agent_rss_mb"))
        #expect(number("agent_cpu_percent_of_core") >= 0 && number("agent_cpu_percent_of_core") < 100)
    }
}
