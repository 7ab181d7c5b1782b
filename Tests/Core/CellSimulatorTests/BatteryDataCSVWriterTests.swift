import CellModel
import Foundation
import Testing
@testable import CellSimulator

struct BatteryDataCSVWriterTests {
    func fixed(_ value: Double, _ decimals: Int) -> String {
        var bytes: [UInt8] = []
        BatteryDataCSVWriter.appendFixed(value, decimals: decimals, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func fixedPointFormatting() {
        #expect(fixed(0, 6) == "0")
        #expect(fixed(1.5, 6) == "1.5")
        #expect(fixed(-0.0001, 6) == "-0.0001")
        #expect(fixed(4.2, 6) == "4.2")
        #expect(fixed(78.5e-6, 10) == "0.0000785")
        #expect(fixed(-78.5e-6, 10) == "-0.0000785")
        #expect(fixed(0.1234567, 6) == "0.123457")
        #expect(fixed(3600, 3) == "3600")
        #expect(fixed(1441020.0, 3) == "1441020")
        #expect(fixed(12.0005, 3) == "12.001")
        #expect(fixed(-1e-9, 6) == "0")
        #expect(fixed(.nan, 6) == "NaN")
        #expect(fixed(1e20, 6) == "1e+20")
        #expect(fixed(-9_999_999.999999, 6) == "-9999999.999999")
    }

    @Test func integers() {
        for value: Int64 in [0, 7, 10, 99, 12345, -42, Int64.max] {
            var bytes: [UInt8] = []
            BatteryDataCSVWriter.appendInteger(value, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == String(value))
        }
    }

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

    @Test func samplesWithoutOptionalColumnsGetOnlyTheRequiredOnes() {
        let bare = [Sample(testTimeSeconds: 0, voltageVolts: 3.7, currentAmperes: -0.001), Sample(testTimeSeconds: 1.5, voltageVolts: 3.69, currentAmperes: -0.001)]
        #expect(BatteryDataCSVWriter.csvText(bare) == "test_time_second,current_ampere,voltage_volt\n0,-0.001,3.7\n1.5,-0.001,3.69\n")
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
