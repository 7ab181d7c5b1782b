@testable import CyclerReaders
import Testing

// What a profile and a file's header compile to, before any record is read.

private func profile(_ columns: [ColumnRole: [ColumnCandidate]], numbering: CycleNumbering = .column) -> CyclerProfile {
    CyclerProfile(name: "p", vendor: "test", containers: ["text"], columns: columns, currentSign: .positiveIsCharge, capacityCounter: .perStep, cycleNumbering: numbering)
}

@Test func columnsResolveLooselyWithTheirUnits() throws {
    let p = profile([
        .testTime: [ColumnCandidate(name: "Test Time (h)", unit: "h")], .timestamp: [ColumnCandidate(name: "Stamp", unit: "unix_ms")],
        .voltage: [ColumnCandidate(name: "Voltage(mV)", unit: "mV")], .current: [ColumnCandidate(name: "Current(µA)", unit: "µA")],
        .temperature: [ColumnCandidate(name: "T", unit: "K")], .cycle: [ColumnCandidate(name: "Cycle")],
    ])
    // Case, spaces, a BOM and a mangled µ do not matter.
    let names = ["\u{FEFF}test time(h)", "stamp", "VOLTAGE (MV)", "Current(\u{FFFD}A)", "T", "cycle"]
    let c = try CompiledProfile(profile: p, columnNames: names, metadata: [:], file: "f")
    #expect(c.columns[.testTime]?.index == 0)
    #expect(c.columns[.voltage]?.name == "VOLTAGE (MV)")
    #expect(c.fastSlots[ColumnRole.voltage.ordinal].scale == 1e-3)
    #expect(c.fastSlots[ColumnRole.current.ordinal].scale == 1e-6)
    #expect(c.fastSlots[ColumnRole.step.ordinal].index == -1)
    #expect(c.declaredTestTimeScale == 3600)
    #expect(c.temperatureInKelvin)
    #expect(c.timestampUnit == .unixMilliseconds)
    #expect(c.decidesTestTimeScale)
    #expect(c.hasCycle && !c.hasState)
}

@Test func theHeaderGivesTheStartInTheInstrumentsZone() throws {
    var p = profile([
        .testTime: [ColumnCandidate(name: "t", unit: "s")], .voltage: [ColumnCandidate(name: "V")],
        .current: [ColumnCandidate(name: "I")], .cycle: [ColumnCandidate(name: "c")],
    ])
    p.startTimeKeys = ["Start of Test"]
    p.timeZone = "Europe/Berlin"
    let c = try CompiledProfile(profile: p, columnNames: ["t", "V", "I", "c"], metadata: [" start of test ": "2023-06-19 17:56:53"], file: "f")
    // 17:56:53 CEST is 15:56:53 UTC.
    #expect(c.startUnixSeconds == unix("2023-06-19T15:56:53"))
    #expect(!c.decidesTestTimeScale)
    // The override wins over the profile's zone.
    let utc = try CompiledProfile(profile: p, columnNames: ["t", "V", "I", "c"], metadata: ["Start of Test": "2023-06-19 17:56:53"], file: "f", timeZoneOverride: "UTC")
    #expect(utc.startUnixSeconds == unix("2023-06-19T17:56:53"))
}

@Test func aProfileThatCannotReadTheFileIsRefusedWithWhatItLookedFor() throws {
    let p = profile([
        .testTime: [ColumnCandidate(name: "t", unit: "s")], .voltage: [ColumnCandidate(name: "Volts"), ColumnCandidate(name: "U")],
        .current: [ColumnCandidate(name: "I")], .halfCycle: [ColumnCandidate(name: "half cycle")],
    ], numbering: .halfCycleDiv2)
    #expect { try CompiledProfile(profile: p, columnNames: ["t", "I", "half cycle"], metadata: [:], file: "f") } throws: {
        String(describing: $0).contains("no voltage column (looked for: Volts, U); the file has: t, I, half cycle")
    }
    #expect { try CompiledProfile(profile: p, columnNames: ["t", "Volts", "I"], metadata: [:], file: "f") } throws: {
        String(describing: $0).contains("no half cycle column")
    }
    var zoned = p
    zoned.timeZone = "Mars/Olympus"
    #expect { try CompiledProfile(profile: zoned, columnNames: ["t", "Volts", "I", "half cycle"], metadata: [:], file: "f") } throws: {
        String(describing: $0).contains("unknown time zone 'Mars/Olympus'")
    }
}

@Test func stateRulesAreCompiledInOrderLowerCased() throws {
    var p = profile([.testTime: [ColumnCandidate(name: "t")], .voltage: [ColumnCandidate(name: "V")], .current: [ColumnCandidate(name: "I")], .cycle: [ColumnCandidate(name: "c")]])
    p.states = [StateRule(match: "contains", label: "DChg", step: .ccDischarge), StateRule(match: nil, label: "Rest", step: .rest)]
    let c = try CompiledProfile(profile: p, columnNames: ["t", "V", "I", "c"], metadata: [:], file: "f")
    #expect(c.stateRules.map(\.label) == ["dchg", "rest"])
    #expect(c.stateRules.map(\.kind) == [.contains, .exact])
}
