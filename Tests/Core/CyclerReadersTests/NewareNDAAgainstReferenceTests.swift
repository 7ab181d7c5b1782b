import Foundation
import Testing
@testable import CyclerReaders

/// Neware files read by our decoder against what NewareNDA 2026.6.11 reads from the same bytes:
/// the old BTSDA 7 `.nda` layout ("version 29", a file written by Fixtures/binary/make_nda_v29.py),
/// BTS 9.1 (`.nda` "version 130", TestFile.nda) and the three `.ndax` fixtures (ndc 5 and ndc 14
/// split streams, one with aux temperatures). The expected values were computed once by that
/// script and committed, so no python is needed here.
@Suite("Neware .nda / .ndax against NewareNDA")
struct NewareNDAAgainstReferenceTests {
    struct Expected: Decodable {
        var rows: Int
        var columns: [String]
        var Cycle_runs: [[Int]]
        var Step_runs: [[Int]]
        var sample_rows: [Int]
        var Index: [Int]
        var Step_Index: [Int]
        var Status: [String]
        var float32: [String: [Float?]]
        var Timestamp_zone: String
        var Timestamp: [Double]

        static func expand(_ runs: [[Int]]) -> [Int] { runs.flatMap { Array(repeating: $0[0], count: $0[1]) } }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        var expected: String
        /// `nda_version` metadata (.nda), nil for .ndax.
        var version: String?
        /// NewareNDA's datetimes carry microseconds; BTS 9.x stamps have nanoseconds.
        var timestampTolerance: Double
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        .init(file: "nda_v29_synthetic.nda", expected: "nda_v29_synthetic.expected.json", version: "29", timestampTolerance: 0),
        .init(file: "TestFile.nda", expected: "TestFile.expected.json", version: "130", timestampTolerance: 1.5e-6),
        .init(file: "test.ndax", expected: "test.expected.json", version: nil, timestampTolerance: 0),
        .init(file: "nw4-120-1-6-53.ndax", expected: "nw4-120-1-6-53.expected.json", version: nil, timestampTolerance: 1.5e-6),
        .init(file: "123456789012_Unit27_Example_Data_File.ndax", expected: "123456789012_Unit27_Example_Data_File.expected.json", version: nil, timestampTolerance: 1.5e-6),
    ]

    static func load(_ c: Case) throws -> (e: Expected, names: [String], rows: [[RawValue]], metadata: [String: String]) {
        let e = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: BinaryFixtures.local(c.expected)))
        var source = try openRawSource(url: BinaryFixtures.local(c.file))
        #expect(source.format == (c.file.hasSuffix(".ndax") ? "neware_ndax" : "neware_nda"))
        let rows = try readAll(&source)
        return (e, source.columnNames, rows, source.metadata)
    }

    @Test("rows, Index, Cycle (BTSDA numbering), Step, Step_Index and Status are exact", arguments: cases)
    func integerColumns(_ c: Case) throws {
        let (e, names, rows, meta) = try Self.load(c)
        if let v = c.version { #expect(meta["nda_version"] == v) }
        #expect(rows.count == e.rows)
        guard rows.count == e.rows else { return }
        let col = { (name: String) throws -> Int in try #require(names.firstIndex(of: name), "\(name)") }
        #expect(numbers(rows, column: try col("Cycle")).map { Int($0) } == Expected.expand(e.Cycle_runs))
        #expect(numbers(rows, column: try col("Step")).map { Int($0) } == Expected.expand(e.Step_runs))
        let index = try col("Index"), stepIndex = try col("Step_Index"), status = try col("Status")
        #expect(e.sample_rows.map { Int(rows[$0][index].number ?? -1) } == e.Index)
        #expect(e.sample_rows.map { Int(rows[$0][stepIndex].number ?? -1) } == e.Step_Index)
        #expect(e.sample_rows.map { rows[$0][status].text ?? "" } == e.Status)
    }

    @Test("times, voltages, currents, capacities, energies and aux equal NewareNDA's float32 values", arguments: cases)
    func floatColumns(_ c: Case) throws {
        let (e, names, rows, _) = try Self.load(c)
        guard rows.count == e.rows else { Issue.record("row count differs"); return }
        #expect(Set(e.float32.keys).isSuperset(of: ["Time", "Voltage", "Current(mA)", "Charge_Capacity(mAh)", "Discharge_Energy(mWh)"]))
        #expect(e.columns.contains("T1") == e.float32.keys.contains("T1"))
        for (name, want) in e.float32 {
            guard let k = names.firstIndex(of: name) else {
                // NewareNDA adds an all-NaN V1 for BTS 9.1's temperature-only aux; we leave it out.
                #expect(want.allSatisfy { $0 == nil }, "\(name) missing but NewareNDA has values")
                continue
            }
            var mismatches = 0
            for (s, w) in zip(e.sample_rows, want) {
                switch (rows[s][k].number, w) {
                case (nil, nil): continue
                case (let g?, let w?):
                    // NewareNDA rounds the decoded value to float32; ours, rounded, has the same bits.
                    if Float(g) != w { mismatches += 1 }
                default: mismatches += 1
                }
            }
            #expect(mismatches == 0, "\(name): \(mismatches) of \(want.count) values differ")
        }
    }

    @Test("Timestamp: the same instant (BTS 9.x, UTC) or wall-clock reading (BTSDA 7, tester local time)", arguments: cases)
    func timestamps(_ c: Case) throws {
        let (e, names, rows, meta) = try Self.load(c)
        guard rows.count == e.rows else { Issue.record("row count differs"); return }
        #expect(meta["Timestamp zone"] == e.Timestamp_zone)
        let k = try #require(names.firstIndex(of: "Timestamp"))
        let worst = zip(e.sample_rows, e.Timestamp).map { abs((rows[$0][k].number ?? .infinity) - $1) }.max() ?? .infinity
        #expect(worst <= c.timestampTolerance)
    }

    @Test("version 29: aux columns ordered as NewareNDA's pivot, first record's wall clock")
    func version29Details() throws {
        let (e, names, rows, _) = try Self.load(Self.cases[0])
        #expect(names == e.columns)
        #expect(names.suffix(4) == ["T1", "T2", "V1", "V2"])
        #expect(Set(Expected.expand(e.Cycle_runs)) == [1, 2, 3, 4, 5])
        let k = try #require(names.firstIndex(of: "Timestamp"))
        #expect(CivilDate.iso8601(epochSeconds: rows[0][k].number!, milliseconds: false, utc: false) == "2019-03-30T23:58:41")
    }

    @Test("version 29 cut inside its header is refused; cut mid-record keeps the whole records")
    func truncated() throws {
        let bytes = try [UInt8](Data(contentsOf: BinaryFixtures.local("nda_v29_synthetic.nda")))
        #expect(throws: CyclerReadError.self) { _ = try NewareNDAReader.decode(bytes: Array(bytes.prefix(2000)), file: "cut.nda") }
        let cut = try NewareNDAReader.decode(bytes: Array(bytes.prefix(2560 + 86 * 10 + 40)), file: "cut.nda")
        #expect(cut.rowCount >= 8 && cut.rowCount <= 10)
    }
}
