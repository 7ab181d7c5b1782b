@testable import CyclerReaders
import Testing

// The test-time unit decided against the instrument's clock, on fields alone.

/// A Maccor-like profile: test time declared in minutes, seconds and hours allowed.
private func decision() throws -> TestTimeScaleDecision {
    var profile = CyclerProfile(
        name: "minutes", vendor: "test", containers: ["text"],
        columns: [
            .testTime: [ColumnCandidate(name: "Test Time", unit: "min")], .timestamp: [ColumnCandidate(name: "DPt Time", unit: "text")],
            .voltage: [ColumnCandidate(name: "Volts", unit: "V")], .current: [ColumnCandidate(name: "Amps", unit: "A")],
            .cycle: [ColumnCandidate(name: "Cycle")],
        ],
        currentSign: .positiveIsCharge, capacityCounter: .perStep, cycleNumbering: .column)
    profile.alternativeTestTimeUnits = ["s", "h"]
    let compiled = try CompiledProfile(profile: profile, columnNames: ["Test Time", "DPt Time", "Volts", "Amps", "Cycle"], metadata: [:], file: "x.txt")
    #expect(compiled.decidesTestTimeScale)
    return TestTimeScaleDecision(profile: compiled)
}

/// Fields as read at the declared scale (minutes): `written` numbers (or, as `text`, durations
/// in seconds), `clockStep` seconds of clock per record.
private func feed(_ d: inout TestTimeScaleDecision, written: [Double], clockStep: Double, text: Bool = false) throws -> Double? {
    for (k, w) in written.enumerated() {
        var f = RecordFields(recordIndex: k)
        f.testTimeSeconds = text ? w : w * 60
        f.testTimeIsText = text
        f.clockUnixSeconds = 1_700_000_000 + Double(k) * clockStep
        if let scale = try d.add(f) { return scale }
    }
    return nil
}

@Test func theUnitThatAgreesWithTheClockIsTaken() throws {
    // Written in minutes: 1 per record while the clock moves 60 s.
    var minutes = try decision()
    #expect(try feed(&minutes, written: [0, 1, 2], clockStep: 60) == 60)
    #expect(minutes.warning(for: 60) == nil)
    // The same column holding seconds: 10 per record while the clock moves 10 s.
    var seconds = try decision()
    #expect(try feed(&seconds, written: [0, 10, 20], clockStep: 10) == 1)
    #expect(seconds.warning(for: 1)?.contains("read in seconds") == true)
}

@Test func undecidedUntilTheClockHasMovedTenSeconds() throws {
    var d = try decision()
    #expect(try feed(&d, written: [0, 0.05, 0.1, 0.15], clockStep: 3) == nil)
    // Records without a clock reading or a test time decide nothing.
    var f = RecordFields(recordIndex: 9)
    f.testTimeSeconds = 600
    #expect(try d.add(f) == nil)
}

@Test func noUnitAgreeingWithTheClockIsARefusal() throws {
    var d = try decision()
    // 7 per record against 10 s of clock: neither minutes, seconds nor hours.
    #expect { try feed(&d, written: [0, 7, 14], clockStep: 10) } throws: {
        let text = String(describing: $0)
        return text.contains("time scale disagrees") && text.contains("records 0–1") && text.contains("'Test Time'")
    }
}

@Test func durationTextKeepsTheDeclaredUnit() throws {
    // Durations are seconds whatever the column's unit: they agree with the clock as they are.
    var agreeing = try decision()
    #expect(try feed(&agreeing, written: [0, 10, 20], clockStep: 10, text: true) == 60)
    // Durations 60 times faster than the clock would agree with the seconds unit as numbers;
    // as text no other unit is tried, and they are refused rather than divided by 60.
    var d = try decision()
    #expect(throws: CyclerReadError.self) { try feed(&d, written: [0, 600, 1200], clockStep: 10, text: true) }
    var numbers = try decision()
    #expect(try feed(&numbers, written: [0, 10, 20], clockStep: 10) == 1)
}
