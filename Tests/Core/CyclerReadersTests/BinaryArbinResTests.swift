import Foundation
import Testing
@testable import CyclerReaders

@Suite("Arbin .res")
struct BinaryArbinResTests {
    @Test("navani example (MIT): Channel_Normal_Table records, voltage range, Global_Table facts")
    func example() throws {
        var source = try openRawSource(url: BinaryFixtures.local("arbin_example.res"))
        #expect(source.format == "arbin_res")
        #expect(source.columnNames.prefix(7) == ["Test_ID", "Data_Point", "Test_Time", "Step_Time", "DateTime", "Step_Index", "Cycle_Index"])
        #expect(source.columnNames.count == 18)
        let rows = try readAll(&source)
        #expect(rows.count == 2150)
        let v = numbers(rows, column: source.columnNames.firstIndex(of: "Voltage")!)
        #expect(abs(v.min()! - 2.99992) < 1e-6 && abs(v.max()! - 4.300055) < 1e-6)
        #expect(Set(numbers(rows, column: 6)) == [1, 2, 3, 4, 5])
        #expect(source.metadata["Channel_Index"] == "12")
        #expect(source.metadata["Test_Name"] == "ajm314_LCO_ajm5-SSB1-F_Wait48hr-Repeat-01-012")
        #expect(source.metadata["Schedule_File_Name"] == "AliceM\\LCO-ajm5-SSA8-N_5xCo10.sdu")
        #expect(source.metadata["Start_DateTime (ISO, tester local time)"] == "2023-07-24T18:50:00.000")
        #expect(source.position == 2150)
        // Jet keeps rows in page order; the source gives them in measurement order.
        let points = numbers(rows, column: 1)
        #expect(points == points.sorted())
        let times = numbers(rows, column: 2)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
        // PROVENANCE.md: 2023-07-24T18:50:00 -> 2023-07-28T18:52:20 (DateTime is an OLE date, tester local time).
        let dates = numbers(rows, column: 4)
        #expect(XLSXWorkbook.isoDate(excelSerial: dates.first!)?.prefix(19) == "2023-07-24T18:50:00")
        #expect(XLSXWorkbook.isoDate(excelSerial: dates.last!)?.prefix(19) == "2023-07-28T18:52:20")
        // This file's page order is not its measurement order (a page split): the source had to sort.
        #expect(try ArbinResSource(url: BinaryFixtures.local("arbin_example.res")).reordered)
    }

    @Test("the .res reads end to end through the readers (profile, cycles)")
    func throughTheReaders() throws {
        let library = try FixturePaths.library()
        var reader = try CyclerFile.open(path: BinaryFixtures.local("arbin_example.res").path, library: library)
        var rows = 0
        var cycles: Set<Int> = []
        while let record = try reader.next() {
            rows += 1
            if let cycle = record.instrumentCycle { cycles.insert(cycle) }
        }
        #expect(rows == 2150)
        #expect(cycles == [1, 2, 3, 4, 5])
    }

    @Test("truncated or foreign files are refused with a CyclerReadError")
    func corrupt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("res-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = try Data(contentsOf: BinaryFixtures.local("arbin_example.res"))
        let cut = dir.appendingPathComponent("cut.res")
        try bytes.prefix(10_000).write(to: cut)
        #expect(throws: CyclerReadError.self) { _ = try ArbinResSource(url: cut) }
        let foreign = dir.appendingPathComponent("foreign.res")
        try Data(repeating: 7, count: 8192).write(to: foreign)
        #expect(throws: CyclerReadError.self) { _ = try ArbinResSource(url: foreign) }
        #expect(throws: CyclerReadError.self) { _ = try openRawSource(url: foreign) }
    }
}
