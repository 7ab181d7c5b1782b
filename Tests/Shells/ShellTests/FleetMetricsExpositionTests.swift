import CellfleetMetrics
import Foundation
import Metrics
import TestSupport
import Testing

/// `/metrics` as Prometheus reads it (docs/metrics.md): after bootstrap every unlabelled metric of
/// the catalogue is there at 0 with its help text, the text parses, and the code's metric names
/// are all catalogued (a name only in the code would have no help and no place in the docs).
@Suite(.serialized) struct FleetMetricsExpositionTests {
    init() { FleetMetrics.bootstrap() }

    /// `name{labels} value` lines of the exposition, by series (name and labels as written).
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test func everyUnlabelledMetricIsExposedAtZeroWithItsHelpBeforeAnyEvent() throws {
        FleetMetrics.registerAll()
        let text = String(decoding: FleetMetrics.exposition(), as: UTF8.self)
        let samples = Self.samples(text)
        for metric in FleetMetric.catalogue where metric.labels.isEmpty {
            #expect(text.contains("# HELP \(metric.name) \(metric.help)\n"), "help of \(metric.name)")
            switch metric.kind {
            case .counter:
                #expect(text.contains("# TYPE \(metric.name) counter\n"))
                // Other suites of this process may have counted; a fresh coordinator reads 0 (the
                // end-to-end test checks that), here it must be there and a number.
                #expect(samples[metric.name] != nil, "\(metric.name) is exposed")
            case .gauge:
                #expect(text.contains("# TYPE \(metric.name) gauge\n"))
                #expect(samples[metric.name] != nil, "\(metric.name) is exposed")
            case .histogram(let buckets):
                #expect(text.contains("# TYPE \(metric.name) histogram\n"))
                #expect(samples["\(metric.name)_count"] != nil && samples["\(metric.name)_bucket{le=\"+Inf\"}"] != nil, "\(metric.name)")
                #expect(buckets.allSatisfy { bucket in samples.keys.contains { $0.hasPrefix("\(metric.name)_bucket{le=") && Double($0.split(separator: "\"")[1]) == bucket } })
            }
        }
        #expect(samples["cellfleet_ingest_samples_total"] == 0, "exactly this name, at 0 before the first sample")
        #expect(samples["cellfleet_ingest_commit_latency_seconds_count"] == 0)
    }

    @Test func observationsThroughSwiftMetricsLandInTheRegistryInSeconds() throws {
        Metrics.Counter(label: "cellfleet_ingest_bytes_total").increment(by: 1234)
        Metrics.Timer(label: "cellfleet_ingest_commit_latency_seconds").recordNanoseconds(30_000_000)
        Metrics.Gauge(label: "cellfleet_agent_spool_deliveries", dimensions: [("agent", "rig-7")]).record(42)
        let samples = Self.samples(String(decoding: FleetMetrics.exposition(), as: UTF8.self))
        #expect((samples["cellfleet_ingest_bytes_total"] ?? 0) >= 1234)
        #expect((samples["cellfleet_ingest_commit_latency_seconds_count"] ?? 0) >= 1)
        // 30 ms falls in the 0.05 s bucket, not the 0.025 s one.
        let below = samples["cellfleet_ingest_commit_latency_seconds_bucket{le=\"0.025\"}"] ?? -1
        let above = samples["cellfleet_ingest_commit_latency_seconds_bucket{le=\"0.05\"}"] ?? -1
        #expect(above >= below + 1)
        #expect(samples["cellfleet_agent_spool_deliveries{agent=\"rig-7\"}"] == 42)
    }

    @Test func theExpositionParsesAsPrometheusText() throws {
        FleetMetrics.registerAll()
        Metrics.Gauge(label: "cellfleet_alerts", dimensions: [("rule", "C1"), ("severity", "warn"), ("state", "firing")]).record(3)
        let text = String(decoding: FleetMetrics.exposition(), as: UTF8.self)
        let file = TestPaths.temporaryDirectory("metrics-exposition").appendingPathComponent("metrics.txt")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try text.write(to: file, atomically: true, encoding: .utf8)
        let promtool = "/usr/bin/promtool"
        if FileManager.default.isExecutableFile(atPath: promtool) {
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/bin/sh")
            check.arguments = ["-c", "\(promtool) check metrics < '\(file.path)' 2>&1"]
            let output = Pipe()
            check.standardOutput = output
            try check.run()
            let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            check.waitUntilExit()
            #expect(check.terminationStatus == 0, "promtool check metrics: \(said)")
        }
        // And Python's prometheus_client parser when the venv has it (deploy/install-dependencies.sh).
        let python = ProcessInfo.processInfo.environment["CELLFLEET_PYTHON"] ?? "python3"
        let parse = Process()
        parse.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        parse.arguments = [python, "-c", """
            import sys
            try:
                from prometheus_client.parser import text_string_to_metric_families
            except ImportError:
                print("skipped"); sys.exit(0)
            families = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
            print(len(families))
            assert families["cellfleet_ingest_samples"].type == "counter"
            assert families["cellfleet_ingest_commit_latency_seconds"].type == "histogram"
            assert any(s.labels == {"rule": "C1", "severity": "warn", "state": "firing"} and s.value == 3 for s in families["cellfleet_alerts"].samples)
            """, file.path]
        let said = Pipe()
        parse.standardOutput = said
        parse.standardError = said
        try parse.run()
        let output = String(decoding: said.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        parse.waitUntilExit()
        #expect(parse.terminationStatus == 0, "prometheus_client: \(output)")
    }

    /// Every literal metric name in the shells' code is in the catalogue, and every ingest counter
    /// `IngestStatistics.record(_:metric:)` makes.
    @Test func everyMetricTheCodeMakesIsCatalogued() throws {
        let catalogued = Set(FleetMetric.catalogue.map(\.name))
        let sources = TestPaths.repositoryRoot.appendingPathComponent("Sources/Shells")
        var names: Set<String> = []
        let enumerator = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "swift", let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            for match in text.matches(of: /label: "(cellfleet_[a-z0-9_]+)"/) { names.insert(String(match.1)) }
            for match in text.matches(of: /metric: "([a-z0-9_]+)"\)/) { names.insert("cellfleet_ingest_\(match.1)_total") }
        }
        #expect(names.count > 20)
        #expect(names.subtracting(catalogued).isEmpty, "not catalogued: \(names.subtracting(catalogued).sorted())")
    }
}
