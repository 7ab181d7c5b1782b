import CellModel
import Foundation
import Testing
@testable import CellSimulator

/// What `simulate` writes: the BDF codec with the simulated layout.
struct SimulatedBatteryDataCSVTests {
    @Test func headerAndRowsOfASymmetricCell() {
        let run = samples("1", hours: 1)
        let text = BatteryDataCSVWriter.csvText(run)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "test_time_second,current_ampere,voltage_volt,temperature_celsius,cycle_count,step_count")
        #expect(lines.count == run.count + 2) // header + rows + the empty string after the last newline
        #expect(lines.last == "")
        #expect(lines[1].hasPrefix("0,0.0000785,0.1"))
        #expect(lines[1].hasSuffix(",1,1"))
        // Every value reads back to within its printed precision.
        for (line, sample) in zip(lines.dropFirst(), run) {
            let fields = line.split(separator: ",").map { Double($0)! }
            #expect(fields.count == 6)
            #expect(abs(fields[0] - sample.testTimeSeconds) <= 0.0005)
            #expect(abs(fields[1] - sample.currentAmperes) <= 0.5e-10)
            #expect(abs(fields[2] - sample.voltageVolts) <= 0.5e-6)
            #expect(abs(fields[3] - sample.temperatureCelsius!) <= 0.0005)
            #expect(Int32(fields[4]) == sample.cycleIndex && Int32(fields[5]) == sample.stepIndex)
        }
    }

    @Test func writesAFileInChunks() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cellsim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("run.csv").path
        let simulation = CellSimulation(preset: preset("9"), seed: 4, durationSeconds: 200 * hour)
        let rows = try BatteryDataCSVWriter.write(simulation, toFile: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(rows == Array(simulation).count)
        #expect(text == BatteryDataCSVWriter.csvText(simulation))
        // A small flush threshold gives the same bytes.
        var chunks = 0
        var bytes: [UInt8] = []
        var writer = BatteryDataCSVWriter(flushThresholdBytes: 1000) { chunk in
            chunks += 1
            bytes.append(contentsOf: chunk)
        }
        try writer.write(contentsOf: simulation)
        try writer.flush()
        #expect(chunks > 10)
        #expect(String(decoding: bytes, as: UTF8.self) == text)
    }

    @Test func unwritablePathIsAClearError() {
        #expect(throws: CSVWriteError.self) {
            try BatteryDataCSVWriter.write(samples("3", hours: 1), toFile: "/nonexistent-dir-\(UUID().uuidString)/x.csv")
        }
    }
}
