import Foundation
import Testing
@testable import CyclerReaders

@Suite("Neware .nda / .ndax")
struct BinaryNewareTests {
    struct Expectation: Sendable, CustomTestStringConvertible {
        var file: String
        var records: Int
        var cycles: ClosedRange<Int>
        var voltage: ClosedRange<Double>
        var aux: [String]
        var testDescription: String { file }
    }

    // Record counts, cycles and voltage ranges from Fixtures/PROVENANCE.md
    // (computed with NewareNDA 2026.6.11).
    static let files: [Expectation] = [
        .init(file: "TestFile.nda", records: 6670, cycles: 1...3, voltage: 1.720593...4.200059, aux: ["T1"]),
        .init(file: "test.ndax", records: 1464, cycles: 1...1, voltage: 1.4995...4.3998, aux: []),
        .init(file: "nw4-120-1-6-53.ndax", records: 18700, cycles: 1...160, voltage: 1.646127...4.99997, aux: []),
        .init(file: "123456789012_Unit27_Example_Data_File.ndax", records: 301, cycles: 1...1, voltage: 2.982697...2.983053, aux: ["T1", "T2"]),
    ]

    static let baseColumns = [
        "Index", "Cycle", "Step", "Step_Index", "Status", "Time", "Voltage", "Current(mA)",
        "Charge_Capacity(mAh)", "Discharge_Capacity(mAh)", "Charge_Energy(mWh)", "Discharge_Energy(mWh)", "Timestamp",
    ]

    @Test("records, cycles (BTSDA numbering), voltage range and columns match NewareNDA", arguments: files)
    func fixture(_ e: Expectation) throws {
        var source = try openRawSource(url: BinaryFixtures.local(e.file))
        #expect(source.format == (e.file.hasSuffix(".nda") ? "neware_nda" : "neware_ndax"))
        #expect(source.columnNames == Self.baseColumns + e.aux)
        let rows = try readAll(&source)
        #expect(rows.count == e.records)
        let col = { (name: String) in source.columnNames.firstIndex(of: name)! }
        let voltage = numbers(rows, column: col("Voltage"))
        #expect(abs(voltage.min()! - e.voltage.lowerBound) < 1e-5)
        #expect(abs(voltage.max()! - e.voltage.upperBound) < 1e-5)
        let cycles = numbers(rows, column: col("Cycle"))
        #expect(Int(cycles.min()!) == e.cycles.lowerBound)
        #expect(Int(cycles.max()!) == e.cycles.upperBound)
        #expect(Set(cycles).count == e.cycles.count)
        // Index strictly increasing, steps counted from 1 without gaps.
        let index = numbers(rows, column: col("Index"))
        #expect(zip(index, index.dropFirst()).allSatisfy { $0 < $1 })
        let steps = numbers(rows, column: col("Step"))
        #expect(steps.first == 1)
        #expect(zip(steps, steps.dropFirst()).allSatisfy { $1 == $0 || $1 == $0 + 1 })
        // Every record has a status label and a timestamp.
        #expect(rows.allSatisfy { $0[col("Status")].text != nil && $0[col("Timestamp")].number != nil })
        for name in e.aux { #expect(rows.allSatisfy { $0[col(name)].number != nil }) }
    }

    @Test("known values: first records and timestamps as NewareNDA decodes them")
    func spotValues() throws {
        var nda = try NewareNDAReader.open(url: BinaryFixtures.local("TestFile.nda"))
        let rows = try readAll(&nda)
        #expect(rows[1][5].number == 12.26)
        #expect(abs(rows[1][6].number! - 3.8819475) < 1e-6)
        #expect(CivilDate.iso8601(epochSeconds: rows[1][12].number!, milliseconds: true, utc: true) == "2024-05-27T08:03:06.230Z")
        #expect(abs(rows[1][13].number! - 23.22383) < 1e-4)
        #expect(nda.metadata["nda_version"] == "130")

        var ndax = try NewareNDAXReader.open(url: BinaryFixtures.local("test.ndax"))
        let r2 = try readAll(&ndax)
        // Naive tester wall-clock time, counted as if it were UTC.
        #expect(CivilDate.iso8601(epochSeconds: r2[1][12].number!, milliseconds: false, utc: false) == "2024-02-01T20:24:53")
        #expect(ndax.metadata["Timestamp zone"] == "tester local time")
        #expect(ndax.metadata["TestInfo.StartTime"] == "2024-02-01 20:24:23")
        #expect(ndax.metadata["TestInfo.ChlID"] == "7")
    }

    @Test("records runInfo skipped are filled by forward integration (monotonic time within a step)")
    func interpolation() throws {
        var source = try NewareNDAXReader.open(url: BinaryFixtures.local("nw4-120-1-6-53.ndax"))
        let rows = try readAll(&source)
        let time = numbers(rows, column: 5)
        let step = numbers(rows, column: 2)
        #expect(!time.contains { $0.isNaN })
        for k in 1..<rows.count where step[k] == step[k - 1] { #expect(time[k] >= time[k - 1]) }
        // Capacity integrates |I|·dt: never negative.
        #expect(numbers(rows, column: 8).allSatisfy { $0 >= 0 })
        #expect(numbers(rows, column: 9).allSatisfy { $0 >= 0 })
    }

    @Test("BTSDA cycle numbering: new cycle at a charge step after a discharge")
    func cycleNumbering() {
        var t = NewareRecordTable()
        // Rest, CC_DChg, CC_Chg, CV_Chg, CC_DChg, Rest, CCCV_Chg, CC_Chg(same run), CC_DChg, SIM, CC_Chg
        let statuses: [UInt8] = [4, 2, 1, 3, 2, 4, 7, 1, 2, 17, 1]
        for (k, s) in statuses.enumerated() {
            t.append(index: UInt32(k + 1), stepKey: UInt64(k), stepIndex: UInt32(k), status: s, time: 0, voltage: 3,
                     current: 0, chargeCapacity: 0, dischargeCapacity: 0, chargeEnergy: 0, dischargeEnergy: 0, timestamp: 0)
        }
        #expect(t.btsdaCycles() == [1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4])
    }

    @Test("not a Neware file, or cut short: CyclerReadError")
    func corrupt() throws {
        let bytes = try [UInt8](Data(contentsOf: BinaryFixtures.local("TestFile.nda")))
        #expect(throws: CyclerReadError.self) { _ = try NewareNDAReader.decode(bytes: Array(bytes.prefix(1030)), file: "cut.nda") }
        #expect(throws: CyclerReadError.self) { _ = try NewareNDAReader.decode(bytes: Array("NEWARX".utf8) + bytes.dropFirst(6), file: "x.nda") }
        var v = bytes
        v[14] = 99
        #expect(throws: CyclerReadError.self) { _ = try NewareNDAReader.decode(bytes: v, file: "v.nda") }
        let zip = try Data(contentsOf: BinaryFixtures.local("test.ndax"))
        #expect(throws: CyclerReadError.self) { _ = try NewareNDAXReader.decode(data: zip.prefix(zip.count / 2), file: "cut.ndax") }
    }
}
