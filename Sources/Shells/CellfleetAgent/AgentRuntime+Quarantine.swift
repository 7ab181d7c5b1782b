import Foundation
import WireProtocol

/// A source file the agent stopped following reaches people as the coordinator's F4 alert
/// (docs/live-detection.md §3). The report goes through the spool like a test's end, so it
/// survives a restart or an unreachable coordinator and is delivered exactly once.
extension AgentRuntime {
    /// Spools a `SourceQuarantined` delivery. `file` is the path relative to the watched folder;
    /// `testID` the test the file feeds, nil when it has none yet. The caller syncs the spool.
    func spoolQuarantine(channelID: String, testID: String?, file: String, reason: String, now: ContinuousClock.Instant) throws {
        var quarantine = Cellfleet_Wire_V1_SourceQuarantined()
        quarantine.agentID = configuration.agentID
        quarantine.channelID = channelID
        quarantine.testID = testID ?? ""
        quarantine.file = file
        quarantine.reason = reason
        quarantine.unixTimeS = Date().timeIntervalSince1970
        try spool.append { id in
            quarantine.deliveryID = id
            return WireEnvelope(.sourceQuarantined(quarantine))
        }
        appendedAt[spool.lastAppendedID] = now
    }
}
