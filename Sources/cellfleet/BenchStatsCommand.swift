import ArgumentParser
import CellfleetBenchmarks
import CellStatistics
import Foundation

struct BenchStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Kaplan-Meier, Weibull and log-rank for 10 000 cells in 10 groups.")

    @Option(name: .long, help: "Cells in the synthetic fleet.")
    var cells = 10_000

    @Option(name: .long, help: "Groups (variants) the cells are split into.")
    var groups = 10

    @Option(name: .long, help: "Timed repeats; the median is reported.")
    var repeats = 15

    @Flag(name: .long, help: "Skip the lifelines reference even when python3 has it.")
    var noReference = false

    func validate() throws {
        guard cells >= 2 * groups, groups >= 2, repeats >= 1 else {
            throw ValidationError("need --groups >= 2, --cells >= 2 x groups and --repeats >= 1")
        }
    }

    func run() async throws {
        let benchmark = StatsBenchmark(cellCount: cells, groups: groups)
        let timing = try benchmark.run(repeats: repeats)
        print("bench stats: \(cells) cells in \(groups) groups, median of \(timing.repeats) runs")
        print(String(format: "  Kaplan-Meier (%d groups)  %8.2f ms", groups, timing.kaplanMeierMs))
        print(String(format: "  Weibull MLE (%d groups)   %8.2f ms", groups, timing.weibullMs))
        print(String(format: "  log-rank (%d-group)       %8.2f ms", groups, timing.logRankMs))
        print(String(format: "  total                     %8.2f ms   (goal <= 50 ms: %@)", timing.totalMs,
                     timing.totalMs <= 50 ? "met" : "MISSED"))
        if noReference { return }
        if let lifelines = Self.lifelinesMilliseconds(csv: benchmark.csv()) {
            print(String(format: "  lifelines, same cells     %8.2f ms   -> cellfleet is %.0fx faster", lifelines,
                         lifelines / max(timing.totalMs, 1e-6)))
        } else {
            print("  (no python3 with lifelines here: no reference ratio; absolute figures only)")
        }
    }

    /// The same three steps in Python lifelines on the same cells, timed inside Python so
    /// interpreter start-up and imports are not counted against it.
    static func lifelinesMilliseconds(csv: String) -> Double? {
        let script = """
        import sys, time, csv, warnings
        warnings.simplefilter("ignore")
        from lifelines import KaplanMeierFitter, WeibullFitter
        from lifelines.statistics import multivariate_logrank_test
        rows = list(csv.DictReader(open(sys.argv[1])))
        T = [float(r["life"]) for r in rows]; E = [int(r["failed"]) for r in rows]; G = [r["group"] for r in rows]
        names = sorted(set(G))
        by = {g: ([t for t, h in zip(T, G) if h == g], [e for e, h in zip(E, G) if h == g]) for g in names}
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            for g in names: KaplanMeierFitter().fit(*by[g])
            for g in names: WeibullFitter().fit(*by[g])
            multivariate_logrank_test(T, G, E)
            runs.append((time.perf_counter() - start) * 1000)
        print(sorted(runs)[1])
        """
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cellfleet-bench-stats-\(getpid())")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch { return nil }
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("cells.csv")
        guard (try? csv.write(to: file, atomically: true, encoding: .utf8)) != nil else { return nil }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        // lifelines should take seconds; never let a wedged interpreter hang the benchmark.
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 300, execute: watchdog)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        guard process.terminationStatus == 0,
              let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
              let value = Double(text) else { return nil }
        return value
    }
}
