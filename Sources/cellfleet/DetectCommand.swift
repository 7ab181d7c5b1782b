import ArgumentParser
import CellDetection
import CellfleetReports
import CellModel
import CyclerReaders
import Foundation

/// Offline detection on recorded Battery Data Format CSV files: no database, one JSON line per
/// alert on stdout. A file that cannot be read prints nothing on stdout, an error on stderr, and
/// makes the exit status non-zero; the other files are still processed.
struct DetectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Run every failure detector on recorded files and print one JSON line per alert."
    )

    @Argument(help: "BDF CSV files (test_time_second, current_ampere, voltage_volt; optional temperature_celsius, unix_time_second, cycle_count, step_id, step_count), or any cycler file `cellfleet inspect` reads.")
    var files: [String]

    @Option(help: "symmetric or full (default: inferred from the voltage).")
    var cell: CellType?

    @Option(name: .customLong("area-cm2"), help: "Electrode area in cm² (default 0.785, a 10 mm die).")
    var areaSquareCentimeters: Double = 0.785

    @Option(name: .customLong("active-mass-mg"), help: "Cathode active mass in mg (full cells).")
    var activeMassMilligrams: Double?

    @Option(name: .customLong("nominal-capacity-mah"), help: "Nominal capacity in mAh (full cells; S5 before the cell's own reference).")
    var nominalCapacityMilliampHours: Double?

    @Option(name: .customLong("voltage-clamp-volts"), help: "The cycler's protective voltage limit (default 5 V).")
    var voltageClampVolts: Double = 5.0

    @Option(name: .customLong("threshold"), help: "Override a threshold, e.g. P2.ratio=5 (repeatable).")
    var thresholds: [String] = []

    @Flag(help: "Write to stderr, per test, the inferred cell type and window, the baselines and each rule's margin at the end.")
    var explain = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one CSV file") }
        guard areaSquareCentimeters > 0, areaSquareCentimeters.isFinite else { throw ValidationError("--area-cm2 must be positive") }
        guard voltageClampVolts > 0, voltageClampVolts.isFinite else { throw ValidationError("--voltage-clamp-volts must be positive") }
        for value in [activeMassMilligrams, nominalCapacityMilliampHours].compactMap({ $0 }) where !(value > 0 && value.isFinite) {
            throw ValidationError("--active-mass-mg and --nominal-capacity-mah must be positive")
        }
        _ = try options()
    }

    func options() throws -> DetectionOptions {
        var options = DetectionOptions()
        options.cellType = cell
        options.areaSquareCentimeters = areaSquareCentimeters
        options.activeMassMilligrams = activeMassMilligrams
        options.nominalCapacityMilliampHours = nominalCapacityMilliampHours
        options.voltageClampVolts = voltageClampVolts
        for assignment in thresholds {
            do { try options.thresholds.apply(assignment: assignment) } catch { throw ValidationError(error.description) }
        }
        return options
    }

    func run() async throws {
        let options = try options()
        var failed = false
        for file in files {
            do {
                let columns = try Self.isBatteryDataFormatCSV(file)
                    ? BatteryDataFormatCSV.read(contentsOf: URL(fileURLWithPath: file))
                    : Self.columnsFromCyclerFile(file)
                let cellID = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
                let outcome = DetectionRun.run(columns, cellID: cellID, options: options)
                FileHandle.standardOutput.write(Data(DetectionReport.jsonLines(outcome, file: file).utf8))
                if explain {
                    FileHandle.standardError.write(Data(DetectionExplanationText.render(outcome, file: file).utf8))
                }
            } catch {
                failed = true
                FileHandle.standardError.write(Data("cellfleet detect: \(file): \(error)\n".utf8))
            }
        }
        if failed { throw ExitCode.failure }
    }
}

extension DetectCommand {
    /// A Battery Data Format CSV names the BDF's required columns in its first line; anything
    /// else is a vendor file for the cycler readers.
    static func isBatteryDataFormatCSV(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return true }
        defer { try? handle.close() }
        let head = String(decoding: handle.readData(ofLength: 4096), as: UTF8.self)
        let firstLine = head.split(whereSeparator: \.isNewline).first ?? ""
        return BatteryDataFormatCSV.isHeader(firstLine)
    }

    /// Reads any cycler format the readers know (normalised to SI, positive current = charge).
    static func columnsFromCyclerFile(_ path: String) throws -> SampleColumns {
        let library = try ProfileLibrary.standard(explicitDirectory: nil)
        var reader = try CyclerFile.open(path: path, library: library)
        var columns = SampleColumns()
        try reader.forEachRecord { columns.append($0.sample) }
        return columns
    }
}

extension CellType: ExpressibleByArgument {}
