import CellModel
import CyclerReaders
import Foundation
import Testing

/// A raw record source held in memory: stands in for the binary decoders (`.nda`, `.mpr`, …),
/// which plug into the profiles through nothing but `RawRecordSource`.
struct InMemoryRecordSource: RawRecordSource {
    var format: String
    var columnNames: [String]
    var metadata: [String: String] = [:]
    var rows: [[RawValue]]
    var position = 0

    mutating func next(into row: inout [RawValue]) throws -> Bool {
        guard position < rows.count else { return false }
        row = rows[position]
        position += 1
        return true
    }
}

@Test func binarySourceWithNewareColumnsNumbersCyclesLikeBTSDA() throws {
    // Discharge, rest, charge, discharge, charge: BTSDA starts a cycle at each charge after a discharge.
    let steps: [(String, Double, Double)] = [("CC_DChg", -1000, 0), ("Rest", 0, 0), ("CC_Chg", 1000, 0), ("CC_DChg", -1000, 0), ("CC_Chg", 1000, 0)]
    var rows: [[RawValue]] = []
    var index = 0
    for (step, (label, current, _)) in steps.enumerated() {
        for k in 0..<3 {
            let q = Double(k) * 0.5 // mAh, restarts every step
            rows.append([
                .number(Double(index)), .number(Double(step + 1)), .text(label), .number(Double(k) * 10),
                .number(3.7), .number(current),
                .number(current > 0 ? q : 0), .number(current < 0 ? q : 0),
                .number(1_700_000_000 + Double(index) * 10),
            ])
            index += 1
        }
    }
    let source = InMemoryRecordSource(
        format: "neware_ndax",
        columnNames: ["Index", "Step", "Status", "Time", "Voltage", "Current(mA)", "Charge_Capacity(mAh)", "Discharge_Capacity(mAh)", "Timestamp"],
        rows: rows)
    var reader = try CyclerFile.reader(for: source, candidates: FixturePaths.library().profiles, path: "memory.ndax")
    #expect(reader.profile.name == "neware_nda")
    #expect(!reader.hasTestTimeColumn)
    var cycles: [Int] = []
    var currents: [Double] = []
    while let r = try reader.next() {
        cycles.append(r.instrumentCycle ?? -1)
        currents.append(r.sample.currentAmperes)
    }
    #expect(cycles == [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3])
    #expect(currents[0] == -1.0)
    var again = try CyclerFile.reader(for: InMemoryRecordSource(format: source.format, columnNames: source.columnNames, rows: rows), candidates: FixturePaths.library().profiles, path: "memory.ndax")
    let report = try InspectReport.inspect(reader: &again, path: "memory.ndax")
    #expect(report.perCycle[1]?.discharge == 0.001)
    #expect(report.perCycle[2]?.charge == 0.001)
    #expect(report.perCycle[2]?.discharge == 0.001)
    #expect(report.perCycle[3]?.charge == 0.001)
    #expect(report.firstTestTimeSeconds == nil)
}

@Test func biologicBinaryWithoutCycleColumnUsesHalfCycleDividedByTwo() throws {
    var rows: [[RawValue]] = []
    for half in 0..<5 {
        for k in 0..<4 {
            let t = Double(half * 4 + k)
            let sign: Double = half % 2 == 0 ? 1 : -1
            rows.append([.number(t), .number(3.5), .number(sign * 0.01 * Double(k)), .number(Double(half)), .number(sign * 0.1)])
        }
    }
    let source = InMemoryRecordSource(format: "biologic_mpr", columnNames: ["time/s", "Ewe/V", "Q charge/discharge/mA.h", "half cycle", "I/mA"], rows: rows)
    var reader = try CyclerFile.reader(for: source, candidates: FixturePaths.library().profiles, path: "memory.mpr")
    let report = try InspectReport.inspect(reader: &reader, path: "memory.mpr")
    #expect(report.cycles == [0, 1, 2])
    #expect(abs((report.perCycle[0]?.charge ?? 0) - 3e-5) < 1e-15)
    #expect(abs((report.perCycle[0]?.discharge ?? 0) - 3e-5) < 1e-15)
    #expect(report.perCycle[2]?.discharge == 0)
}

@Test func currentSignContradictingStateLabelsIsRejected() throws {
    // LAND layout with discharge written positive: the profile says positive = charge.
    var text = "Index,TestTime/h,StepTime/h,Voltage/V,Current/mA,Capacity/mAh,State\n"
    for i in 0..<40 { text += "\(i + 1),\(Double(i) / 60),\(Double(i) / 60),3.0,0.5,\(Double(i) * 0.01),D_CC\n" }
    let path = try FixturePaths.temporaryFile("land_bad_sign.csv", text: text)
    #expect {
        _ = try InspectReport.inspect(path: path, library: FixturePaths.library())
    } throws: { error in
        String(describing: error).contains("current sign contradicts")
    }
}

@Test func testTimeInTheWrongUnitIsRejected() throws {
    // Novonix layout whose 'Run Time (h)' actually holds seconds: the clock disagrees.
    var text = "[Summary]\nNovonix UHPC data file\n[End Summary]\n[Data]\n"
    text += "Date and Time,Cycle Number,Step Type,Run Time (h),Step Time (h),Current (A),Potential (V),Capacity (Ah)\n"
    for i in 0..<30 { text += "2025-07-19 15:26:\(String(format: "%02d", i)),1,7,\(i),\(i),0.5,3.9,\(Double(i) * 0.001)\n" }
    let path = try FixturePaths.temporaryFile("novonix_bad_time.csv", text: text)
    #expect {
        _ = try InspectReport.inspect(path: path, library: FixturePaths.library())
    } throws: { error in
        String(describing: error).contains("time scale disagrees")
    }
}

@Test func resumedTestContinuesFromTheClockAndWarns() throws {
    var text = "Data_Point,Test_Time,DateTime,Step_Index,Cycle_Index,Current,Voltage,Charge_Capacity,Discharge_Capacity\n"
    for i in 0..<20 { text += "\(i + 1),\(i * 10),\(1_600_000_000 + i * 10),1,1,1.0,3.7,\(Double(i) * 0.01),0\n" }
    for i in 0..<20 { text += "\(i + 21),\(i * 10),\(1_600_001_000 + i * 10),1,1,1.0,3.8,\(Double(i) * 0.01),0\n" }
    let path = try FixturePaths.temporaryFile("arbin_resumed.csv", text: text)
    var reader = try CyclerFile.open(path: path, library: FixturePaths.library())
    var times: [Double] = []
    while let r = try reader.next() { times.append(r.sample.testTimeSeconds) }
    #expect(times.count == 40)
    #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
    #expect(reader.warnings.contains { $0.contains("resumed test") })
}

@Test func corruptAndForeignInputsGiveClearErrors() throws {
    let library = try FixturePaths.library()
    let empty = try FixturePaths.temporaryFile("empty.csv", text: "")
    #expect(throws: CyclerReadError.self) { try CyclerFile.open(path: empty, library: library) }
    let foreign = try FixturePaths.temporaryFile("notes.txt", text: "hello\nthis is not a cycler file\n")
    #expect { try CyclerFile.open(path: foreign, library: library) } throws: { String(describing: $0).contains("not a recognised cycler text export") }
    // A Neware export cut in the middle of the file (a short record followed by more records).
    let original = try String(contentsOfFile: FixturePaths.fixture("neware_csv/neware_uio.csv"), encoding: .utf8)
    var lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    lines[100] = String(lines[100].prefix(30))
    let cut = try FixturePaths.temporaryFile("neware_cut.csv", text: lines.joined(separator: "\n"))
    #expect { _ = try InspectReport.inspect(path: cut, library: library) } throws: { String(describing: $0).contains("line 101") }
    // NUL bytes inside the data.
    var bytes = Array(original.utf8.prefix(50_000))
    bytes[40_000] = 0
    let binary = try FixturePaths.temporaryFile("neware_nul.csv", contents: bytes)
    #expect { _ = try InspectReport.inspect(path: binary, library: library) } throws: { String(describing: $0).contains("NUL") }
    // A damaged binary container is refused by its decoder with the reason, not misread as text.
    let nda = try FixturePaths.temporaryFile("x.nda", contents: Array("NEWARE".utf8) + [UInt8](repeating: 0, count: 100))
    #expect { try CyclerFile.open(path: nda, library: library) } throws: { String(describing: $0).contains("nda version 0 is not supported") }
}

@Test func readingResumesFromARecordPosition() throws {
    let path = FixturePaths.fixture("neware_csv/neware_uio.csv")
    let library = try FixturePaths.library()
    var full = try CyclerFile.open(path: path, library: library)
    var all: [CyclerRecord] = []
    while let r = try full.next() { all.append(r) }

    guard let match = try TextExportProbe.layout(path: path, library: library) else {
        Issue.record("no layout")
        return
    }
    var first = try DelimitedTextSource(path: path, format: "text", layout: match.layout)
    var row: [RawValue] = []
    for _ in 0..<5000 { _ = try first.next(into: &row) }
    let resume = first.resumePoint
    #expect(resume.recordIndex == 5000)
    var options = CyclerFile.Options()
    options.resumeFrom = resume
    var rest = try CyclerFile.open(path: path, library: library, options: options)
    var resumed: [CyclerRecord] = []
    while let r = try rest.next() { resumed.append(r) }
    #expect(resumed.count == all.count - 5000)
    #expect(resumed.first?.recordIndex == 5000)
    #expect(resumed.first?.sample.voltageVolts == all[5000].sample.voltageVolts)
    #expect(resumed.last?.sample == all.last?.sample)
}

@Test func followingAGrowingFileLeavesAnUnfinishedLineForLater() throws {
    let header = "Data_Point,Test_Time,DateTime,Step_Index,Cycle_Index,Current,Voltage,Charge_Capacity,Discharge_Capacity\n"
    let path = try FixturePaths.temporaryFile("growing.csv", text: header + "1,0,1600000000,1,1,1.0,3.7,0,0\n2,10,1600000010,1,1,1.0,3.7")
    var options = CyclerFile.Options()
    options.followGrowingFile = true
    var reader = try CyclerFile.open(path: path, library: FixturePaths.library(), options: options)
    var count = 0
    while try reader.next() != nil { count += 1 }
    #expect(count == 1)
}

@Test func bdfConversionWritesSIColumns() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("bdf-\(UUID().uuidString).csv").path
    let result = try BatteryDataFormatWriter.convert(path: FixturePaths.fixture("neware_csv/neware_uio.csv"), outputPath: out, library: FixturePaths.library())
    #expect(result.rows == 9065)
    let text = try String(contentsOfFile: out, encoding: .utf8)
    let lines = text.split(separator: "\n")
    #expect(lines.count == 9066)
    let header = lines[0].split(separator: ",").map(String.init)
    #expect(header.prefix(4) == ["test_time_second", "unix_time_second", "current_ampere", "voltage_volt"])
    #expect(header.contains("cycle_count") && header.contains("step_count"))
    // Record 1 is a rest at 2.9170 V.
    let first = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    #expect(Double(first[3]) == 2.917)
    #expect(Double(first[1]) == unix("2022-05-18T16:27:52"))
}

@Test func labProfileOverridesBuiltInByName() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("profiles-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    var maccor = try ProfileLibrary.loadProfile(path: FixturePaths.profiles.appendingPathComponent("maccor_txt.json").path)
    maccor.timeZone = "Europe/Berlin"
    try JSONEncoder().encode(maccor).write(to: dir.appendingPathComponent("maccor_txt.json"))
    let library = try ProfileLibrary.load(searchPath: [dir.path, FixturePaths.profiles.path])
    #expect(library.profile(named: "maccor_txt")?.timeZone == "Europe/Berlin")
    let report = try InspectReport.inspect(path: FixturePaths.fixture("maccor_txt/maccor_example.001"), library: library)
    // 16:05:31 in Berlin (CEST, +2 h) is 14:05:31 UTC.
    #expect(report.firstUnixTimeSeconds == unix("2016-03-31T14:05:31"))
}

@Test func resumingCarriesRuleNumberedCyclesAcrossTheStop() throws {
    let path = FixturePaths.fixture("synthetic/land_synthetic.csv")
    let library = try FixturePaths.library()
    var full = try CyclerFile.open(path: path, library: library)
    var expected: [CyclerRecord] = []
    while let r = try full.next() { expected.append(r) }

    // Follow the file: read 50 records through a text source, stop, and resume later.
    let detected = try #require(try TextExportProbe.layout(path: path, library: library))
    let source = try DelimitedTextSource(path: path, format: "text", layout: detected.layout)
    var first = try CyclerRecordReader(source: source, profile: detected.profile, file: path)
    var seen: [CyclerRecord] = []
    while seen.count < 50, let r = try first.next() { seen.append(r) }
    // The stop point is the source's position after the records actually handed out.
    var options = CyclerFile.Options()
    options.resumeFrom = try resumePoint(path: path, layout: detected.layout, records: 50)
    var second = try CyclerFile.open(path: path, library: library, options: options)
    second.restore(first.state)
    while let r = try second.next() { seen.append(r) }
    #expect(seen.count == expected.count)
    #expect(seen.map(\.instrumentCycle) == expected.map(\.instrumentCycle))
    #expect(seen.map(\.sample.testTimeSeconds) == expected.map(\.sample.testTimeSeconds))
    #expect(seen.map(\.sample.currentAmperes) == expected.map(\.sample.currentAmperes))
}

/// The text position after `records` records.
func resumePoint(path: String, layout: TextLayout, records: Int) throws -> DelimitedTextSource.ResumePoint {
    var source = try DelimitedTextSource(path: path, format: "text", layout: layout)
    var row: [RawValue] = []
    for _ in 0..<records { _ = try source.next(into: &row) }
    return source.resumePoint
}

@Test func bdfOutputReadsBackThroughTheGenericProfile() throws {
    let library = try FixturePaths.library()
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("roundtrip-\(UUID().uuidString).csv").path
    _ = try BatteryDataFormatWriter.convert(path: FixturePaths.fixture("arbin_csv/arbin_example.csv"), outputPath: out, library: library)
    let original = try InspectReport.inspect(path: FixturePaths.fixture("arbin_csv/arbin_example.csv"), library: library)
    let back = try InspectReport.inspect(path: out, library: library)
    #expect(back.format == "generic_bdf_csv")
    #expect(back.rows == original.rows)
    #expect(back.cycles == original.cycles)
    #expect(back.voltageMaxVolts == original.voltageMaxVolts)
    #expect(back.firstUnixTimeSeconds == original.firstUnixTimeSeconds)
}

@Test func aLabCanMapItsOwnCSVWithAProfileFile() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("labprofiles-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let profile = """
    {"name": "our_rig", "vendor": "home-made", "containers": ["text"], "priority": 50,
     "detect": {"headerColumns": [["t_min", "U_mV", "I_uA"]]},
     "text": {"delimiters": ["semicolon"], "decimal": "comma"},
     "columns": {"testTime": [{"name": "t_min", "unit": "min"}], "voltage": [{"name": "U_mV", "unit": "mV"}],
                 "current": [{"name": "I_uA", "unit": "uA"}], "cycle": [{"name": "zyklus"}], "capacity": [{"name": "Q_mAh", "unit": "mAh"}],
                 "state": [{"name": "modus"}]},
     "states": [{"label": "L", "step": "ccCharge"}, {"label": "E", "step": "ccDischarge"}, {"label": "P", "step": "rest"}],
     "currentSign": "positiveIsDischarge", "capacityCounter": "perStep", "cycleNumbering": "column"}
    """
    try Data(profile.utf8).write(to: dir.appendingPathComponent("our_rig.json"))
    let library = try ProfileLibrary.load(searchPath: [dir.path, FixturePaths.profiles.path])
    let csv = "t_min;U_mV;I_uA;zyklus;Q_mAh;modus\n0;3700,5;-500;1;0;L\n1;3710,5;-500;1;0,5;L\n2;3600;500;1;0,25;E\n"
    let path = try FixturePaths.temporaryFile("rig.csv", text: csv)
    var reader = try CyclerFile.open(path: path, library: library)
    let first = try #require(try reader.next())
    #expect(reader.profile.name == "our_rig")
    #expect(first.sample.voltageVolts == 3.7005)
    #expect(first.sample.currentAmperes == 0.0005)
    let second = try #require(try reader.next())
    #expect(second.sample.testTimeSeconds == 60)
    let report = try InspectReport.inspect(path: path, library: library)
    #expect(report.perCycle[1]?.charge == 0.0005)
    #expect(report.perCycle[1]?.discharge == 0.00025)
}
