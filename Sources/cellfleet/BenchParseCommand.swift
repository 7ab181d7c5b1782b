import ArgumentParser
import CellfleetBenchmarks
import CyclerReaders
import Foundation

struct BenchParseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Rows per second per cycler format.",
        discussion: "When python3 with pandas is available, pandas.read_csv is timed on the same text files in the same run and the ratio printed; otherwise rows/s only."
    )

    @Argument(help: "Cycler files to read.") var files: [String]
    @Option(help: "Runs per file; the best is kept.") var repeats = 5
    @Option(help: "Directory of cycler profiles searched first.") var profiles: String?

    func run() async throws {
        let library = try ProfileLibrary.standard(explicitDirectory: profiles)
        let pandas = Self.pandasAvailable()
        if !pandas { print("pandas not available: printing rows/s only") }
        print("file\tformat\trows\tcellfleet rows/s" + (pandas ? "\tpandas rows/s\tratio" : ""))
        for file in files {
            let result = try ParseBenchmark.run(path: file, library: library, repeats: repeats)
            var line = "\(file)\t\(result.format)\t\(result.rows)\t\(Int(result.rowsPerSecond))"
            if let reference = BinaryReferenceScripts.reference(path: file, repeats: repeats) {
                // Binary formats: their own Python reader (named in the last column), "-" when not installed.
                // Also the decoder alone (records as NewareNDA/galvani return them, before profiles).
                let decoded = try? BinaryReadThroughput.measure(url: URL(fileURLWithPath: file), repetitions: repeats)
                if let output = Self.runPython(reference.script),
                   let seconds = output.split(separator: " ").first.flatMap({ Double($0) }), seconds > 0 {
                    let referenceRate = Double(result.rows) / seconds
                    line += "\t\(Int(referenceRate))\t" + String(format: "%.1fx", result.rowsPerSecond / referenceRate)
                    line += "\t\(reference.name)"
                    if let decoded, decoded.bestSeconds > 0 { line += String(format: "\tdecode only %.1fx", seconds / decoded.bestSeconds) }
                } else {
                    line += "\t-\t-\t\(reference.name)"
                }
            } else if pandas, let script = try ParseBenchmark.pandasScript(path: file, library: library, repeats: repeats),
               let output = Self.runPython(script),
               let seconds = output.split(separator: " ").first.flatMap({ Double($0) }), seconds > 0 {
                let pandasRate = Double(result.rows) / seconds
                line += "\t\(Int(pandasRate))\t" + String(format: "%.1fx", result.rowsPerSecond / pandasRate)
            } else if pandas {
                line += "\t-\t-"
            }
            print(line)
        }
    }

    static func pandasAvailable() -> Bool {
        runPython("import pandas\nprint('ok')")?.hasPrefix("ok") == true
    }

    static func runPython(_ script: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
