import ArgumentParser
import CellDetection
import CellfleetAgent
import CellfleetReports
import CellModel
import CyclerReaders
import Foundation

/// Offline detection on recorded Battery Data Format CSV files: no database, one JSON line per
/// alert on stdout. A file that cannot be read prints nothing on stdout, an error on stderr, and
/// makes the exit status non-zero; the other files are still processed. A sidecar `X.cell.toml`
/// beside a file `X.csv` describes its cell; the flags given override it (docs/cell-metadata.md).
struct DetectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Run every failure detector on recorded files and print one JSON line per alert."
    )

    @Argument(help: "BDF CSV files (test_time_second, current_ampere, voltage_volt; optional temperature_celsius, unix_time_second, cycle_count, step_id, step_count), or any cycler file `cellfleet inspect` reads.")
    var files: [String]

    @Option(help: "symmetric, half or full (default: the sidecar's cell_type, else inferred from the voltage).")
    var cell: CellType?

    @Option(name: .customLong("working-electrode"), help: "A half cell's working electrode, anode or cathode (implies --cell half; default: inferred from the voltage).")
    var workingElectrode: WorkingElectrode?

    @Option(name: .customLong("voltage-min"), help: "The cycling protocol's lower voltage limit in V (default: learned from the first cycles).")
    var voltageMinVolts: Double?

    @Option(name: .customLong("voltage-max"), help: "The cycling protocol's upper voltage limit in V (default: learned from the first cycles).")
    var voltageMaxVolts: Double?

    @Option(name: .customLong("area-cm2"), help: "Electrode area in cm² (default: the sidecar's area_cm2, else 0.785, a 10 mm die).")
    var areaSquareCentimeters: Double?

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
        if let areaSquareCentimeters, !(areaSquareCentimeters > 0 && areaSquareCentimeters.isFinite) { throw ValidationError("--area-cm2 must be positive") }
        guard voltageClampVolts > 0, voltageClampVolts.isFinite else { throw ValidationError("--voltage-clamp-volts must be positive") }
        for value in [activeMassMilligrams, nominalCapacityMilliampHours].compactMap({ $0 }) where !(value > 0 && value.isFinite) {
            throw ValidationError("--active-mass-mg and --nominal-capacity-mah must be positive")
        }
        if let workingElectrode, let cell, cell != .half {
            throw ValidationError("--working-electrode \(workingElectrode.rawValue) is for half cells, not --cell \(cell.rawValue)")
        }
        for (flag, value) in [("--voltage-min", voltageMinVolts), ("--voltage-max", voltageMaxVolts)] {
            if let value, !value.isFinite { throw ValidationError("\(flag) must be a finite number") }
        }
        if let minimum = voltageMinVolts, let maximum = voltageMaxVolts, !(minimum < maximum) {
            throw ValidationError("--voltage-min \(minimum) must be below --voltage-max \(maximum)")
        }
        _ = try options(for: CellSidecar().overridden(by: flags))
    }

    /// The flags in the sidecar's terms, to lay over a file's sidecar.
    var flags: CellSidecar {
        var flags = CellSidecar()
        flags.cellType = cell
        flags.workingElectrode = workingElectrode
        flags.areaSquareCentimeters = areaSquareCentimeters
        flags.activeMassMilligrams = activeMassMilligrams
        flags.nominalCapacityMilliampHours = nominalCapacityMilliampHours
        flags.voltageMinVolts = voltageMinVolts
        flags.voltageMaxVolts = voltageMaxVolts
        flags.thresholdAssignments = thresholds
        return flags
    }

    /// The options for `effective`, a file's sidecar with the flags laid over it. The thresholds
    /// are applied from their two sources rather than from `effective`'s list, so that an error
    /// names the sidecar when it is the sidecar's: the sidecar's first, then `--threshold`'s.
    func options(for effective: CellSidecar, sidecar: (values: CellSidecar, file: String)? = nil) throws -> DetectionOptions {
        if let problem = effective.problem {
            throw ValidationError(sidecar.map { "\(problem) (\($0.file) with the flags given)" } ?? problem)
        }
        var options = DetectionOptions()
        options.cellType = effective.cellType
        options.workingElectrode = effective.workingElectrode
        // The default stays 0.785 cm² (a 10 mm die) until the lead decides otherwise.
        options.areaSquareCentimeters = effective.areaSquareCentimeters ?? 0.785
        options.activeMassMilligrams = effective.activeMassMilligrams
        options.nominalCapacityMilliampHours = effective.nominalCapacityMilliampHours
        options.voltageMinVolts = effective.voltageMinVolts
        options.voltageMaxVolts = effective.voltageMaxVolts
        options.voltageClampVolts = voltageClampVolts
        for assignment in sidecar?.values.thresholdAssignments ?? [] {
            do { try options.thresholds.apply(assignment: assignment) } catch { throw ValidationError("\(sidecar!.file): [thresholds]: \(error.description)") }
        }
        for assignment in thresholds {
            do { try options.thresholds.apply(assignment: assignment) } catch { throw ValidationError(error.description) }
        }
        return options
    }

    func run() async throws {
        var failed = false
        for file in files {
            do {
                let sidecar = try CellSidecar.load(besideDataFile: file)
                let effective = (sidecar ?? CellSidecar()).overridden(by: flags)
                let options = try options(for: effective, sidecar: sidecar.map { ($0, CellSidecar.location(besideDataFile: file).path) })
                let cellID = effective.cellID ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
                let columns = try Self.isBatteryDataFormatCSV(file)
                    ? BatteryDataFormatCSV.read(contentsOf: URL(fileURLWithPath: file))
                    : Self.columnsFromCyclerFile(file)
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
        if let inference = reader.inference {
            FileHandle.standardError.write(Data("cellfleet detect: \(path): note: \(inference.inferredProfileNotice)\n".utf8))
        }
        return columns
    }
}

extension CellType: ExpressibleByArgument {}
extension WorkingElectrode: ExpressibleByArgument {}
