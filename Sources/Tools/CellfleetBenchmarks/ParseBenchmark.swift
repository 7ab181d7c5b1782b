import CyclerReaders
import Foundation

/// Times a full read (detection, byte-level parsing, normalisation) of a cycler file, keeping the
/// best of several runs because shared machines are noisy.
public enum ParseBenchmark {
    public struct Result: Sendable {
        public var format: String
        public var rows: Int
        public var bestSeconds: Double
        public var rowsPerSecond: Double { Double(rows) / bestSeconds }
    }

    public static func run(path: String, library: ProfileLibrary, repeats: Int = 5) throws -> Result {
        var best = Result(format: "", rows: 0, bestSeconds: .infinity)
        for _ in 0..<max(1, repeats) {
            let pass = try readOnce(path: path, library: library)
            if pass.bestSeconds < best.bestSeconds { best = pass }
        }
        return best
    }

    /// The whole set read once per repeat, each file as `run` reads it; the best pass is kept.
    /// What a pipeline fed the same files (`bench tail`) is held against: it reads each once too.
    public static func run(paths: [String], library: ProfileLibrary, repeats: Int = 3) throws -> Result {
        var best = Result(format: "set of \(paths.count) files", rows: 0, bestSeconds: .infinity)
        for _ in 0..<max(1, repeats) {
            var rows = 0
            var seconds = 0.0
            for path in paths {
                let pass = try readOnce(path: path, library: library)
                rows += pass.rows
                seconds += pass.bestSeconds
            }
            if seconds < best.bestSeconds {
                best.rows = rows
                best.bestSeconds = seconds
            }
        }
        return best
    }

    /// One timed read of every record of a file, from opening it to its last record.
    static func readOnce(path: String, library: ProfileLibrary) throws -> Result {
        let start = DispatchTime.now().uptimeNanoseconds
        var reader = try CyclerFile.open(path: path, library: library)
        var n = 0
        var checksum = 0.0
        try reader.forEachRecord { record in
            n += 1
            checksum += record.sample.voltageVolts
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        // Keeps the loop's work observable, so the optimiser cannot drop it.
        if checksum.isNaN && n < 0 { print(checksum) }
        return Result(format: reader.profile.name, rows: n, bestSeconds: seconds)
    }

    /// A pandas `read_csv` call equivalent to our read of a text export (same header line,
    /// delimiter and decimal separator), printing its best time in seconds; nil for binaries.
    public static func pandasScript(path: String, library: ProfileLibrary, repeats: Int = 5) throws -> String? {
        guard let detected = try TextExportProbe.layout(path: path, library: library) else { return nil }
        let layout = detected.layout
        let sep = layout.delimiter == 0x09 ? "\\t" : String(UnicodeScalar(layout.delimiter))
        let decimal = String(UnicodeScalar(layout.decimalSeparator))
        let quotedPath = path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
        return """
        import time, pandas as pd
        best = 1e9
        for _ in range(\(max(1, repeats))):
            t = time.perf_counter()
            df = pd.read_csv('\(quotedPath)', sep='\(sep)', skiprows=\(layout.headerLineNumber), decimal='\(decimal)', encoding='latin-1', low_memory=False)
            best = min(best, time.perf_counter() - t)
        print(best, len(df))
        """
    }
}
