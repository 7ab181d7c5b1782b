import CellModel
import Foundation
import PropertyBased
@testable import CyclerReaders
import Testing

// The normaliser alone, fed fields as `RecordAccess` would read them: its rules, and its carried
// state as a resume token (saved through Codable, restored into a fresh normaliser, the rest of
// the records come out as in one uninterrupted pass).

/// A profile over columns `t` (s), `clock`, `V`, `I` (A), `Q` (Ah), `state` and, optionally, `cycle`.
private func compiled(
    numbering: CycleNumbering = .firstDirectionRepeats, sign: CurrentSignConvention = .positiveIsCharge,
    columns names: [String] = ["t", "clock", "V", "I", "Q", "state"]
) throws -> CompiledProfile {
    var profile = CyclerProfile(
        name: "synthetic", vendor: "test", containers: ["text"],
        columns: [
            .testTime: [ColumnCandidate(name: "t", unit: "s")], .timestamp: [ColumnCandidate(name: "clock", unit: "unix_s")],
            .stepTime: [ColumnCandidate(name: "step_t", unit: "s")],
            .voltage: [ColumnCandidate(name: "V", unit: "V")], .current: [ColumnCandidate(name: "I", unit: "A")],
            .chargeIncrement: [ColumnCandidate(name: "dq", unit: "Ah")],
            .capacity: [ColumnCandidate(name: "Q", unit: "Ah")], .state: [ColumnCandidate(name: "state")],
            .cycle: [ColumnCandidate(name: "cycle")],
        ],
        currentSign: sign, capacityCounter: .perStep, cycleNumbering: numbering)
    profile.states = [
        StateRule(match: nil, label: "R", step: .rest), StateRule(match: "prefix", label: "C_", step: .ccCharge),
        StateRule(match: "prefix", label: "D_", step: .ccDischarge),
    ]
    return try CompiledProfile(profile: profile, columnNames: names, metadata: [:], file: "synthetic")
}

/// What one step of a synthetic test writes.
private enum StepKind: Int, CaseIterable {
    case rest, charge, discharge
    /// The instrument restarts its test time (a resumed test) while its clock goes on.
    case resumedRest
}

/// A record's fields and its state label, as `RecordAccess` reads them.
private struct Labelled {
    var fields: RecordFields
    var label: String?
}

/// Three records per step, 10 s apart; the test time restarts at a resumed step.
private func fields(steps: [StepKind]) -> [Labelled] {
    var all: [Labelled] = []
    var testTime = 0.0
    var clock = 1_700_000_000.0
    for step in steps {
        if step == .resumedRest { testTime = 0 }
        for k in 0..<3 {
            var f = RecordFields(recordIndex: all.count)
            let label: String
            f.testTimeSeconds = testTime
            f.clockUnixSeconds = clock
            f.voltageVolts = 3.5 + Double(k) * 0.01
            switch step {
            case .rest, .resumedRest: f.currentAmperes = 0; label = "R"
            case .charge: f.currentAmperes = 1.5; label = "C_CC"
            case .discharge: f.currentAmperes = -1.5; label = "D_CC"
            }
            f.capacityAmpHours = Double(k) * 0.004
            all.append(Labelled(fields: f, label: label))
            testTime += 10
            clock += 10
        }
    }
    return all
}

private func normaliseAll(_ fields: ArraySlice<Labelled>, _ normaliser: inout RecordNormaliser) throws -> [String] {
    var record = CyclerRecord(sample: Sample(testTimeSeconds: 0, voltageVolts: 0, currentAmperes: 0), recordIndex: 0, direction: .unknown, capacityCounterIsSigned: false)
    var out: [String] = []
    for f in fields {
        try normaliser.normalise(f.fields, label: f.label, into: &record)
        out.append(String(describing: record))
    }
    return out
}

@Test func normaliserStateSavedThroughCodableResumesAsAnUninterruptedPass() async throws {
    let profile = try compiled()
    let stepGen = Gen<StepKind>.case.array(of: 1...24)
    await propertyCheck(count: 200, input: stepGen, Gen.int(in: 0...72)) { steps, cut in
        let all = fields(steps: steps)
        let split = min(cut, all.count)
        var straight = RecordNormaliser(profile: profile)
        let expected = try normaliseAll(all[...], &straight)

        var first = RecordNormaliser(profile: profile)
        var resumed = try normaliseAll(all[..<split], &first)
        let saved = try JSONEncoder().encode(first.state)
        var second = RecordNormaliser(profile: profile)
        second.state = try JSONDecoder().decode(NormaliserState.self, from: saved)
        #expect(second.state == first.state)
        resumed += try normaliseAll(all[split...], &second)
        #expect(resumed == expected, "split at \(split) of \(all.count)")
        #expect(first.checks.warnings + second.checks.warnings == straight.checks.warnings)
    }
}

@Test func cyclesFollowTheFirstActiveDirectionAndChargeAfterDischarge() throws {
    let steps: [StepKind] = [.rest, .discharge, .charge, .rest, .discharge, .charge, .discharge]
    var land = RecordNormaliser(profile: try compiled(numbering: .firstDirectionRepeats))
    var btsda = RecordNormaliser(profile: try compiled(numbering: .chargeAfterDischarge))
    var record = CyclerRecord(sample: Sample(testTimeSeconds: 0, voltageVolts: 0, currentAmperes: 0), recordIndex: 0, direction: .unknown, capacityCounterIsSigned: false)
    var landCycles: [Int?] = []
    var btsdaCycles: [Int?] = []
    for (k, f) in fields(steps: steps).enumerated() where k % 3 == 0 {
        try land.normalise(f.fields, label: f.label, into: &record)
        landCycles.append(record.instrumentCycle)
        try btsda.normalise(f.fields, label: f.label, into: &record)
        btsdaCycles.append(record.instrumentCycle)
    }
    // LAND: a cycle is a discharge/charge pair from the first active direction (discharge).
    #expect(landCycles == [1, 1, 1, 1, 2, 2, 3])
    // BTSDA: a charge after a discharge starts the next cycle.
    #expect(btsdaCycles == [1, 1, 2, 2, 2, 3, 3])
}

@Test func aResumedTestContinuesFromTheClockAndTimeRunningBackwardsWithoutOneIsRefused() throws {
    var normaliser = RecordNormaliser(profile: try compiled())
    var record = CyclerRecord(sample: Sample(testTimeSeconds: 0, voltageVolts: 0, currentAmperes: 0), recordIndex: 0, direction: .unknown, capacityCounterIsSigned: false)
    let all = fields(steps: [.rest, .charge, .resumedRest])
    var times: [Double] = []
    for f in all {
        try normaliser.normalise(f.fields, label: f.label, into: &record)
        times.append(record.sample.testTimeSeconds)
    }
    // The restart at record 6 (written 0 s) is continued from the clock: 10 s after record 5.
    #expect(times == (0..<9).map { Double($0) * 10 })
    #expect(record.testTimeAsWrittenSeconds == 20)
    #expect(normaliser.checks.warnings.count == 1)
    #expect(normaliser.checks.warnings.first?.contains("resumed test") == true)
    // Without a clock reading the same restart is time running backwards.
    var blind = RecordNormaliser(profile: try compiled())
    var noClock = all
    for k in noClock.indices { noClock[k].fields.clockUnixSeconds = nil }
    #expect {
        for f in noClock { try blind.normalise(f.fields, label: f.label, into: &record) }
    } throws: { String(describing: $0).contains("test time runs backwards") && String(describing: $0).contains("record 6") }
}

@Test func timeAndCurrentAreDerivedWhereTheFileHasNone() throws {
    var record = CyclerRecord(sample: Sample(testTimeSeconds: 0, voltageVolts: 0, currentAmperes: 0), recordIndex: 0, direction: .unknown, capacityCounterIsSigned: false)
    // Step time only: each step's time adds to the ones before it.
    var stepped = RecordNormaliser(profile: try compiled(numbering: .column, columns: ["step_t", "V", "I", "cycle"]))
    var times: [Double] = []
    for (k, stepTime) in [0.0, 5, 10, 0, 5, 0].enumerated() {
        var f = RecordFields(recordIndex: k)
        f.stepTimeSeconds = stepTime
        f.currentAmperes = 0
        f.cycle = 1
        try stepped.normalise(f, label: nil, into: &record)
        times.append(record.sample.testTimeSeconds)
    }
    #expect(times == [0, 5, 10, 10, 15, 15])
    // A charge increment without a current column: the average current over the interval.
    var derived = RecordNormaliser(profile: try compiled(numbering: .column, columns: ["t", "V", "dq", "cycle"]))
    var currents: [Double] = []
    for (k, dq) in [0.0, 0.001, -0.002].enumerated() {
        var f = RecordFields(recordIndex: k)
        f.testTimeSeconds = Double(k) * 36
        f.chargeIncrementAmpHours = dq
        f.cycle = 1
        try derived.normalise(f, label: nil, into: &record)
        currents.append(record.sample.currentAmperes)
    }
    #expect(currents.count == 3)
    for (got, want) in zip(currents, [0, 0.1, -0.2]) { #expect(abs(got - want) < 1e-12, "\(currents)") }
    // A record with none of the time columns is refused with the columns it had.
    var f = RecordFields(recordIndex: 3)
    f.cycle = 1
    #expect { try derived.normalise(f, label: nil, into: &record) } throws: { String(describing: $0).contains("no readable time in this record (columns t)") }
}

@Test func theSignConventionDecidesOurSign() throws {
    var record = CyclerRecord(sample: Sample(testTimeSeconds: 0, voltageVolts: 0, currentAmperes: 0), recordIndex: 0, direction: .unknown, capacityCounterIsSigned: false)
    var f = RecordFields(recordIndex: 0)
    f.testTimeSeconds = 0
    f.currentAmperes = 2
    var discharge = RecordNormaliser(profile: try compiled(sign: .positiveIsDischarge))
    try discharge.normalise(f, label: "D_CC", into: &record)
    #expect(record.sample.currentAmperes == -2)
    #expect(record.direction == .discharge)
    var fromState = RecordNormaliser(profile: try compiled(sign: .fromState))
    try fromState.normalise(f, label: "D_CC", into: &record)
    #expect(record.sample.currentAmperes == -2)
    f.currentAmperes = -2
    try fromState.normalise(f, label: "C_CV", into: &record)
    #expect(record.sample.currentAmperes == 2)
    // Without a label in a file that has a state column, the direction is unknown.
    try fromState.normalise(f, label: nil, into: &record)
    #expect(record.direction == .unknown)
    #expect(record.sample.stepType == .constantCurrentDischarge)
}

@Test func aStateTokenWrittenByTheEarlierReaderStillDecodes() throws {
    // The encoding `CyclerRecordReader.State` had before the split: directions as codes.
    let json = """
    {"testTimeScale":60,"previousTestTime":120,"previousUnix":1700000100,"firstUnix":1700000000,"firstTestTimeForSpan":0,
     "testTimeOffset":5,"derivedTimeBase":0,"previousDerivedTime":120,"previousCycle":3,"ruleCycle":4,
     "firstActiveDirection":2,"lastActiveDirection":1}
    """
    let state = try JSONDecoder().decode(NormaliserState.self, from: Data(json.utf8))
    #expect(state.testTimeScale == 60)
    #expect(state.testTimeOffset == 5)
    #expect(state.ruleCycle == 4)
    #expect(state.previousStepTime == nil)
    #expect(state.firstActiveDirection == .discharge)
    #expect(state.lastActiveDirection == .charge)
    let again = try JSONSerialization.jsonObject(with: JSONEncoder().encode(state)) as? [String: Any]
    #expect(again?["firstActiveDirection"] as? Int == 2)
    #expect(again?["lastActiveDirection"] as? Int == 1)
}
