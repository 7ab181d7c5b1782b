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
        var best = Double.infinity
        var rows = 0
        var format = ""
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            var reader = try CyclerFile.open(path: path, library: library)
            var n = 0
            var checksum = 0.0
            try reader.forEachRecord { record in
                n += 1
                checksum += record.sample.voltageVolts
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if checksum.isNaN && n < 0 { print(checksum) }
            best = min(best, seconds)
            rows = n
            format = reader.profile.name
        }
        return Result(format: format, rows: rows, bestSeconds: best)
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
