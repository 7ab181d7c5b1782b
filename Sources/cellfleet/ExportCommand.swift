import ArgumentParser
import CellfleetAgent
import CellfleetCoordinator
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A stored test as files anyone can check the coordinator with: its samples as a Battery Data
/// Format CSV (exact digits) and, beside it, the cell live detection judged as the sidecar
/// `X.cell.toml` that `cellfleet detect X.csv` reads by itself — so `detect` on the export gives
/// the alerts `alerts list --test` shows.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a test's stored samples as a Battery Data Format CSV, and its cell as the sidecar X.cell.toml beside X.csv.")

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Option(help: "The test's id (a UUID).")
    var test: String

    @Option(help: "The CSV file to write (replaced if it exists); the sidecar goes beside it.")
    var out: String

    func validate() throws {
        _ = try DatabaseClient.testID(test)
        let directory = URL(fileURLWithPath: out).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("--out: the directory \(directory) does not exist")
        }
    }

    func run() async throws {
        let logger = DatabaseClient.logger("cellfleet.export")
        let testID = try DatabaseClient.testID(test)
        let csv = URL(fileURLWithPath: out)
        let sidecarURL = CellSidecar.location(besideDataFile: csv.path)
        // Written beside the target and renamed at the end: a file at --out is always whole.
        let partial = csv.deletingLastPathComponent().appendingPathComponent(".\(csv.lastPathComponent).partial-\(getpid())")
        defer { try? FileManager.default.removeItem(at: partial) }
        do {
            let (cell, summary) = try await DatabaseClient.with(url: database, logger: logger) { client in
                guard let cell = try await TestCellDescription.load(test: testID, client: client, logger: logger) else {
                    throw ExportFailure("no test with id \(testID.uuidString.lowercased())")
                }
                guard FileManager.default.createFile(atPath: partial.path, contents: nil),
                      let handle = FileHandle(forWritingAtPath: partial.path) else {
                    throw ExportFailure("cannot write \(partial.path)")
                }
                defer { try? handle.close() }
                let summary = try await SampleExport.write(test: testID, client: client, logger: logger) { try handle.write(contentsOf: $0) }
                try handle.synchronize()
                return (cell, summary)
            }
            let sidecar = Self.sidecar(for: cell)
            if let problem = sidecar.problem { throw ExportFailure("the test's cell cannot be described in a sidecar: \(problem)") }
            try sidecar.tomlText(comment: "The cell of test \(testID.uuidString.lowercased()) as live detection judged it (cellfleet export).")
                .write(to: sidecarURL, atomically: true, encoding: .utf8)
            guard rename(partial.path, csv.path) == 0 else {
                throw ExportFailure("cannot move the finished file to \(csv.path): \(String(cString: strerror(errno)))")
            }
            var note = "cellfleet export: \(summary.rows) samples of test \(testID.uuidString.lowercased()) to \(csv.path) (\(summary.columns.joined(separator: ", "))), its cell to \(sidecarURL.path)\n"
            if summary.invalidSamplesLeftOut > 0 {
                note += "cellfleet export: note: \(summary.invalidSamplesLeftOut) samples with no time, voltage or current were left out (a BDF row needs all three; live detection noted them as Q1 invalid_sample)\n"
            }
            for refused in cell.refusedThresholds {
                note += "cellfleet export: note: the test's threshold override '\(refused)' is not valid; live detection ignored it and the sidecar leaves it out\n"
            }
            FileHandle.standardError.write(Data(note.utf8))
        } catch let error as ValidationError {
            throw error
        } catch let error as ExportFailure {
            throw commandFailure("export", error.message)
        } catch {
            throw commandFailure("export", errorText(error))
        }
    }

    /// The sidecar of the cell live detection judged: its values exactly (the same doubles),
    /// thresholds as live detection applied them, and the test's string attributes.
    static func sidecar(for cell: TestCellDescription) -> CellSidecar {
        var sidecar = CellSidecar()
        sidecar.cellID = cell.cellID
        sidecar.cellType = cell.cellType
        sidecar.workingElectrode = cell.cellType == .half ? cell.workingElectrode : nil
        sidecar.areaSquareCentimeters = cell.areaSquareCentimeters
        sidecar.activeMassMilligrams = cell.activeMassMilligrams
        sidecar.nominalCapacityMilliampHours = cell.nominalCapacityMilliampHours
        sidecar.voltageMinVolts = cell.voltageMinVolts
        sidecar.voltageMaxVolts = cell.voltageMaxVolts
        sidecar.thresholdAssignments = cell.thresholds.map { "\($0.name)=\($0.value)" }
        sidecar.attributes = cell.attributes
        return sidecar
    }
}

struct ExportFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
