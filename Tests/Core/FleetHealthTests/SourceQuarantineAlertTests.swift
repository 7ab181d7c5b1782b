import FleetHealth
import Testing

/// F4's content: what people read of an agent's quarantine report, and what the evidence keeps.
struct SourceQuarantineAlertTests {
    @Test func theMessageNamesTheFileAndTheReasonOnOneLine() {
        let alert = SourceQuarantineAlert(
            agentID: "land-pc-1", channelID: "1-1", testID: "6f1c1a2e-8d0b-4c1e-9a43-1f7b2d9e0c55",
            file: "2025/cell_1-1.xlsx", reason: "its first 120 records changed since they were sent\n  re-export it under a new name\n")
        #expect(alert.rule == .sourceQuarantined && alert.rule.rawValue == "F4")
        #expect(alert.severity == "warn")
        #expect(alert.message == "source file 2025/cell_1-1.xlsx quarantined: its first 120 records changed since they were sent re-export it under a new name")
        #expect(!alert.message.contains("\n"))
        // The evidence keeps the report as given, line breaks and all.
        #expect(alert.evidence == ["file": "2025/cell_1-1.xlsx", "reason": "its first 120 records changed since they were sent\n  re-export it under a new name\n"])
        #expect(alert.channelID == "1-1")
        #expect(alert.testID == "6f1c1a2e-8d0b-4c1e-9a43-1f7b2d9e0c55")
    }

    @Test func emptyIdsAreNoneAndAnEmptyReasonIsSaidSo() {
        let alert = SourceQuarantineAlert(agentID: "a", channelID: "", testID: "", file: "x.mpr", reason: " \n ")
        #expect(alert.testID == nil)
        #expect(alert.channelID == nil)
        #expect(alert.message == "source file x.mpr quarantined: no reason given")
    }

    @Test func aLongReasonIsShortenedInTheMessageOnly() {
        let reason = String(repeating: "x", count: SourceQuarantineAlert.messageReasonLimit + 10)
        let alert = SourceQuarantineAlert(agentID: "a", channelID: "c", testID: "", file: "f.csv", reason: reason)
        #expect(alert.message == "source file f.csv quarantined: " + String(repeating: "x", count: SourceQuarantineAlert.messageReasonLimit) + "…")
        #expect(alert.evidence["reason"] == reason)
    }

    @Test func f4IsAFleetHealthRuleThatWarns() {
        #expect(FleetHealthRule.allCases.map(\.rawValue) == ["F1", "F2", "F3", "F4", "F5"])
        #expect(FleetHealthRule(rawValue: "F4") == .sourceQuarantined)
    }

    @Test func f5SaysWhichSamplesAreLostAndWhy() {
        let alert = SampleLossAlert(testID: "t", firstSequence: 11, lastSequence: 20, reason: "damaged\nspool records")
        #expect(alert.rule == .samplesLost && alert.severity == "warn")
        #expect(alert.message == "10 samples lost (11…20); the test continues after the hole: damaged spool records")
        #expect(alert.evidence == ["first_seq": "11", "last_seq": "20", "samples": "10", "reason": "damaged\nspool records"])
        #expect(SampleLossAlert(testID: "t", firstSequence: 5, lastSequence: 5, reason: "").message
                == "1 sample lost (5…5); the test continues after the hole: the agent gave no reason")
    }
}
