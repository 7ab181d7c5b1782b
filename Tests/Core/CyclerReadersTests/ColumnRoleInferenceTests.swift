@testable import CyclerReaders
import Foundation
import Testing

/// Role inference from column names (and the first rows), and the reader's fall-back on it.

func roles(_ names: [String]) -> [ColumnRole: String] {
    ColumnRoleInference(columnNames: names).assignments.mapValues(\.column)
}

@Test func unitsAreReadFromEveryVendorsSpelling() {
    let cases: [(String, [String], String?, ColumnNameAnatomy.KnownUnit.Quantity?)] = [
        ("Test Time (sec)", ["test", "time"], "sec", .time),
        ("Current(mA)", ["current"], "mA", .current),
        ("Voltage [V]", ["voltage"], "V", .voltage),
        ("Ewe/V", ["ewe"], "V", .voltage),
        ("Q charge/discharge/mA.h", ["q", "charge", "discharge"], "mA.h", .charge),
        ("current_A", ["current"], "A", .current),
        ("TestTime", ["test", "time"], nil, nil),
        ("Cyc#", ["cyc"], nil, nil),
        ("Cycle C", ["cycle", "c"], nil, nil),
        ("DChg. Cap.(Ah)", ["dchg", "cap"], "Ah", .charge),
        ("Chg.-DChg. Eff(%)", ["chg", "dchg", "eff"], "%", .other),
        ("Spec. Cap.(mAh/g)", ["spec", "cap"], "mAh/g", .other),
        ("Total Time(h:min:s.ms)", ["total", "time"], "h:min:s.ms", .duration),
        ("T1(℃)", ["t1"], "℃", .temperature),
        ("~Time[h]", ["time"], "h", .time),
    ]
    for (name, words, unit, quantity) in cases {
        let a = ColumnNameAnatomy(name)
        #expect(a.words == words, "\(name)")
        #expect(a.writtenUnit == unit, "\(name)")
        #expect(a.unit?.quantity == quantity, "\(name)")
    }
}

@Test func peersColumnNamesGetTheirRoles() {
    // Maccor (the held-back variant), Neware BTSDA 8 flat, Arbin MITS Pro, EC-Lab, LAND, BaSyTec, Novonix.
    let maccor = roles(["Rec#", "Cyc#", "Step", "Test Time (sec)", "Step Time (sec)", "Capacity", "Energy", "Current", "Voltage", "MD", "ES", "DPt Time"])
    #expect(maccor == [
        .recordIndex: "Rec#", .cycle: "Cyc#", .step: "Step", .testTime: "Test Time (sec)", .stepTime: "Step Time (sec)",
        .capacity: "Capacity", .energy: "Energy", .current: "Current", .voltage: "Voltage", .state: "MD", .timestamp: "DPt Time",
    ])
    let neware = roles(["DataPoint", "Cycle Index", "Step Index", "Step Type", "Time", "Total Time", "Current(mA)", "Voltage(V)", "Capacity(mAh)", "Spec. Cap.(mAh/g)", "Chg. Cap.(mAh)", "DChg. Cap.(mAh)", "Date", "T1(℃)"])
    #expect(neware[.testTime] == "Total Time")
    #expect(neware[.stepTime] == "Time")
    #expect(neware[.capacity] == "Capacity(mAh)")
    #expect(neware[.chargeCapacity] == "Chg. Cap.(mAh)")
    #expect(neware[.dischargeCapacity] == "DChg. Cap.(mAh)")
    #expect(neware[.state] == "Step Type")
    #expect(neware[.recordIndex] == "DataPoint")
    #expect(!neware.values.contains("Spec. Cap.(mAh/g)"))
    let arbin = roles(["Data Point", "Date Time", "Test Time (s)", "Step Time (s)", "Cycle Index", "Step Index", "Current (A)", "Voltage (V)", "Charge Capacity (Ah)", "Discharge Capacity (Ah)", "Internal Resistance (Ohm)", "Aux_Temperature_1 (C)"])
    #expect(arbin[.testTime] == "Test Time (s)" && arbin[.timestamp] == "Date Time" && arbin[.current] == "Current (A)")
    #expect(arbin[.chargeCapacity] == "Charge Capacity (Ah)" && arbin[.dischargeCapacity] == "Discharge Capacity (Ah)")
    #expect(!arbin.values.contains("Internal Resistance (Ohm)"))
    let eclab = roles(["mode", "ox/red", "control/V/mA", "Ewe/V", "<I>/mA", "time/s", "Q charge/discharge/mA.h", "cycle number", "Ns", "half cycle"])
    #expect(eclab == [.voltage: "Ewe/V", .current: "<I>/mA", .testTime: "time/s", .signedCapacity: "Q charge/discharge/mA.h", .cycle: "cycle number", .step: "Ns", .halfCycle: "half cycle"])
    let land = roles(["Index", "TestTime/h", "StepTime/h", "Voltage/V", "Current/mA", "Capacity/mAh", "Energy/mWh", "SysTime", "State"])
    #expect(land[.testTime] == "TestTime/h" && land[.stepTime] == "StepTime/h" && land[.timestamp] == "SysTime" && land[.capacity] == "Capacity/mAh")
    let basytec = roles(["~Time[h]", "DataSet", "t-Step[h]", "Line", "Command", "U[V]", "I[A]", "Ah[Ah]", "Ah-Cyc-Charge", "Cyc-Count", "T1[°C]"])
    #expect(basytec[.testTime] == "~Time[h]" && basytec[.voltage] == "U[V]" && basytec[.current] == "I[A]" && basytec[.stepTime] == "t-Step[h]")
    #expect(basytec[.cycle] == "Cyc-Count" && basytec[.state] == "Command" && basytec[.chargeCapacity] == "Ah-Cyc-Charge")
    let novonix = roles(["Date and Time", "Cycle Number", "Step Type", "Run Time (h)", "Step Time (h)", "Current (A)", "Potential (V)", "Capacity (Ah)", "Step Number"])
    #expect(novonix[.voltage] == "Potential (V)" && novonix[.testTime] == "Run Time (h)" && novonix[.step] == "Step Number")
}

@Test func unitLessNamesGetALowerConfidenceAndAnAssumedUnit() {
    let inference = ColumnRoleInference(columnNames: ["Test Time (sec)", "Voltage", "Current"])
    let voltage = try! #require(inference.assignments[.voltage])
    let time = try! #require(inference.assignments[.testTime])
    #expect(voltage.unitIsAssumed && voltage.unit == "V" && voltage.confidence < time.confidence)
    #expect(!time.unitIsAssumed && time.unit == "s")
}

@Test func refusalNamesWhatWasFoundAndWhatIsMissing() {
    let inference = ColumnRoleInference(columnNames: ["Test Time (sec)", "Voltage", "Ucell mean", "Comment"])
    #expect(!inference.readsRecords)
    #expect(inference.missingRoles == [.current])
    #expect(inference.refusal == #"found time = "Test Time (sec)" (s, 0.9), voltage = "Voltage" (V, 0.7); missing: current (candidates: none)"#)
    // A unit alone makes a candidate, not an assignment.
    let weak = ColumnRoleInference(columnNames: ["Elapsed [s]", "Channel 1 [V]", "Load [A]"])
    #expect(weak.missingRoles == [.voltage, .current])
    #expect(weak.missingDescription == #"voltage (candidates: "Channel 1 [V]" (0.45)), current (candidates: "Load [A]" (0.45))"#)
}

@Test func aUnitLessCurrentIsDecidedByCountingCoulombs() {
    // Capacity in mAh rises by I·Δt/3600 with I = 2 (so the current is mA, not A).
    var rows: [[RawValue]] = []
    for k in 0..<20 { rows.append([.number(Double(k) * 10), .number(3.5), .number(2), .number(Double(k) * 2 * 10 / 3600)]) }
    var inference = ColumnRoleInference(columnNames: ["Time (s)", "Voltage (V)", "Current", "Capacity (mAh)"])
    inference.refine(withSampleRows: rows)
    #expect(inference.assignments[.current]?.unit == "mA")
    #expect(inference.notes.contains { $0.contains("\"Current\" has no unit") && $0.contains("mA") })
    // The same rows with the capacity in Ah: the current is in A.
    var ampere = ColumnRoleInference(columnNames: ["Time (s)", "Voltage (V)", "Current", "Capacity (Ah)"])
    ampere.refine(withSampleRows: rows)
    #expect(ampere.assignments[.current]?.unit == "A")
    // A unit-less capacity against a declared current.
    var counter = ColumnRoleInference(columnNames: ["Time (s)", "Voltage (V)", "Current (A)", "Capacity"])
    counter.refine(withSampleRows: rows.map { [$0[0], $0[1], .number(0.002), $0[3]] })
    #expect(counter.assignments[.capacity]?.unit == "mAh")
}

@Test func aUnitLessVoltageInTheThousandsIsMillivolts() {
    var inference = ColumnRoleInference(columnNames: ["Test Time", "Voltage", "Current (A)"])
    inference.refine(withSampleRows: (0..<5).map { [.number(Double($0)), .number(3700 + Double($0)), .number(1)] })
    #expect(inference.assignments[.voltage]?.unit == "mV")
}

@Test func anExportNoProfileKnowsIsReadThroughAnInferredProfile() throws {
    let fixture = "synthetic/rig3_unknown_logger.csv"
    let expected = try VariantExpectation.load(fixture)
    let reader = try CyclerFile.open(path: FixturePaths.fixture(fixture), library: FixturePaths.library())
    let inference = try #require(reader.inference)
    #expect(inference.assignments[.current]?.column == "Cell Current [mA]")
    #expect(reader.profile.name == "draft_rig3_unknown_logger")
    // Semicolons and decimal commas, a comment block above the header, current in mA.
    try expectReads(FixturePaths.fixture(fixture), as: expected, format: "draft_rig3_unknown_logger")
    let report = try InspectReport.inspect(path: FixturePaths.fixture(fixture), library: FixturePaths.library())
    #expect(report.inferredProfileNotice?.contains(#"current = "Cell Current [mA]" (mA, 0.95)"#) == true)
}

@Test func theMaccorVariantReadsThroughInferenceEvenWithoutTheMaccorProfile() throws {
    // What a lab whose profiles predate the variant gets: the same records, and a notice.
    let fixture = "synthetic/maccor_metadata_tab.txt"
    let library = ProfileLibrary(profiles: try FixturePaths.library().profiles.filter { $0.name != "maccor_txt" })
    let expected = try VariantExpectation.load(fixture)
    try expectReads(FixturePaths.fixture(fixture), as: expected, format: "draft_maccor_metadata_tab", library: library)
    let reader = try CyclerFile.open(path: FixturePaths.fixture(fixture), library: library)
    #expect(reader.profile.currentSign == .fromState)
    #expect(reader.profile.capacityCounter == .perStep)
    #expect(reader.profile.alternativeTestTimeUnits == nil)
}

@Test func aFileWithoutCurrentIsRefusedNamingWhatIsMissing() throws {
    var text = "Logger v2\n\nTest Time (sec)\tVoltage\tTemp 1\n"
    for k in 0..<10 { text += "\(k * 10)\t3.\(k)\t25\n" }
    let path = try FixturePaths.temporaryFile("no_current.txt", text: text)
    #expect { try CyclerFile.open(path: path, library: FixturePaths.library()) } throws: { error in
        String(describing: error).hasSuffix(#"not a recognised cycler text export: found time = "Test Time (sec)" (s, 0.9), voltage = "Voltage" (V, 0.7), temperature = "Temp 1" (C, 0.7); missing: current (candidates: none)"#)
    }
}

@Test func theDraftProfileRoundTripsThroughTheLoaderAndReadsTheFile() throws {
    let fixture = FixturePaths.fixture("synthetic/rig3_unknown_logger.csv")
    let (draft, recognisedBy) = try InferredProfile.suggest(path: fixture, library: FixturePaths.library())
    #expect(recognisedBy == nil)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("draft-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try draft.profileJSON.write(to: dir.appendingPathComponent("rig3.json"), atomically: true, encoding: .utf8)
    let loaded = try ProfileLibrary.load(searchPath: [dir.path])
    #expect(loaded.profiles.map(\.name) == ["draft_rig3_unknown_logger"])
    #expect(loaded.profiles[0].notes?.contains { $0.hasPrefix("current: \"Cell Current [mA]\"") } == true)
    let reader = try CyclerFile.open(path: fixture, library: loaded)
    #expect(reader.inference == nil)  // read by the saved profile's header rule
    #expect(reader.profile.name == "draft_rig3_unknown_logger")
}

/// The contract of issue 11: a file with time, voltage and current columns in any vendor's naming
/// style is read — here with no profile at all, through inference alone — in SI units.
@Test(arguments: [
    (["Test Time (sec)", "Voltage", "Current"], 1.0, 1.0),
    (["Test (Sec)", "Volts", "Amps"], 1.0, 1.0),
    (["TestTime(s)", "Voltage(V)", "Current(A)"], 1.0, 1.0),
    (["Total Time", "Voltage(V)", "Current(mA)"], 1.0, 1e-3),
    (["Test_Time(s)", "Voltage(V)", "Current(A)"], 1.0, 1.0),
    (["Test Time (s)", "Voltage (V)", "Current (A)"], 1.0, 1.0),
    (["time/s", "Ewe/V", "<I>/mA"], 1.0, 1e-3),
    (["time/s", "Ecell/V", "I/mA"], 1.0, 1e-3),
    (["TestTime/h", "Voltage/V", "Current/mA"], 3600.0, 1e-3),
    (["Test time", "Voltage/V", "Current/mA"], 1.0, 1e-3),
    (["~Time[s]", "U[V]", "I[A]"], 1.0, 1.0),
    (["Run Time (h)", "Potential (V)", "Current (A)"], 3600.0, 1.0),
    (["time /s", "E /V", "I /mA"], 1.0, 1e-3),
    (["test_time_s", "voltage_V", "current_A"], 1.0, 1.0),
    (["总时间", "电压(V)", "电流(mA)"], 1.0, 1e-3),
])
func everyNamingStyleOfTimeVoltageAndCurrentIsReadWithoutAProfile(_ names: [String], _ secondsPerUnit: Double, _ amperesPerUnit: Double) throws {
    var text = names.joined(separator: ",") + "\n"
    for k in 0..<12 {
        let t = Double(k * 10) / secondsPerUnit
        let i = (k < 6 ? 1.0 : -1.0) * 0.5 / amperesPerUnit
        text += "\(t),\(3.5 + Double(k) / 100),\(i)\n"
    }
    let path = try FixturePaths.temporaryFile("style.csv", text: text)
    var reader = try CyclerFile.open(path: path, library: ProfileLibrary(profiles: []))
    #expect(reader.inference != nil)
    var records: [CyclerRecord] = []
    while let r = try reader.next() { records.append(r) }
    #expect(records.count == 12, "\(names)")
    #expect(abs(records[11].sample.testTimeSeconds - 110) < 1e-9, "\(names)")
    #expect(records[3].sample.voltageVolts == 3.53, "\(names)")
    #expect(abs(records[0].sample.currentAmperes - 0.5) < 1e-12, "\(names): \(records[0].sample.currentAmperes)")
    #expect(abs(records[11].sample.currentAmperes + 0.5) < 1e-12, "\(names)")
}
