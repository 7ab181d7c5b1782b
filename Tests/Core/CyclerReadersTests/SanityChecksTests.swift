@testable import CyclerReaders
import Testing

// The refusals, on their own.

private func checks(_ sign: CurrentSignConvention) throws -> SanityChecks {
    let p = CyclerProfile(
        name: "signed", vendor: "test", containers: ["text"],
        columns: [.testTime: [ColumnCandidate(name: "t")], .voltage: [ColumnCandidate(name: "V")], .current: [ColumnCandidate(name: "I")], .cycle: [ColumnCandidate(name: "c")]],
        currentSign: sign, capacityCounter: .perStep, cycleNumbering: .column)
    return SanityChecks(profile: try CompiledProfile(profile: p, columnNames: ["t", "V", "I", "c"], metadata: [:], file: "f.csv"))
}

@Test func aSignContradictingTheLabelsInMoreThanAFifthIsRefused() throws {
    // 159 of 200 agree (20.5 % contradict): refused when the 200th is tallied.
    var c = try checks(.positiveIsCharge)
    #expect {
        for k in 0..<200 { try c.tallySign(direction: .charge, currentAmperes: k < 159 ? 1 : -1) }
    } throws: { String(describing: $0).contains("current sign contradicts the instrument's state labels in 41 of 200") && String(describing: $0).contains("positive = charge") }
    // 160 of 200 (exactly a fifth) passes, along the way and at the end.
    var fine = try checks(.positiveIsDischarge)
    for k in 0..<200 { try fine.tallySign(direction: .discharge, currentAmperes: k < 160 ? -1 : 1) }
    try fine.checkSign(final: true)
}

@Test func atTheEndFiveLabelledRecordsAreEnoughToRefuse() throws {
    var few = try checks(.positiveIsCharge)
    for _ in 0..<4 { try few.tallySign(direction: .discharge, currentAmperes: 1) }
    try few.checkSign(final: true)  // four say nothing
    try few.tallySign(direction: .discharge, currentAmperes: 1)
    try few.checkSign(final: false)  // not yet along the way
    #expect(throws: CyclerReadError.self) { try few.checkSign(final: true) }
}

@Test func testTimeMayLagTheClockButNotOutrunIt() throws {
    let c = try checks(.positiveIsCharge)
    try c.checkTestTime(elapsedSeconds: 100, clockElapsedSeconds: 10_000, recordIndex: 3)
    try c.checkTestTime(elapsedSeconds: 1.05 * 10_000 + 3700, clockElapsedSeconds: 10_000, recordIndex: 3)
    #expect { try c.checkTestTime(elapsedSeconds: 1.05 * 10_000 + 3701, clockElapsedSeconds: 10_000, recordIndex: 3) } throws: {
        String(describing: $0).contains("f.csv: record 3: test time") && String(describing: $0).contains("runs ahead of the instrument's clock")
    }
}
