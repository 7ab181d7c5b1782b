import Foundation
import WireProtocol

/// Checks a delivery's shape before it reaches the database, so one malformed message can be
/// refused alone instead of failing a transaction shared with other agents.
public enum DeliveryValidator {
    /// Samples one batch may carry: with every column, about 16 MB, within the batch's frame
    /// limit (`WireMessageLimits`); agents send a few thousand.
    public static let maximumBatchSamples = 200_000
    /// Bytes of a test end's reason or a declared loss's reason, for people.
    public static let maximumReasonBytes = 4096

    /// Why the batch cannot be stored, or nil if its shape is fine. Its times must not be
    /// infinite (no instrument stamps a sample at infinity, and such a row would land where no
    /// partition ever holds it). A NaN time or measurement is stored as NULL and counted: real
    /// exports have rows without a date (an instrument without a clock, a last row cut short).
    public static func validate(_ batch: Cellfleet_Wire_V1_SampleBatch) -> String? {
        let n = batch.testTimeS.count
        guard n > 0 else { return "a sample batch with no samples" }
        guard n <= maximumBatchSamples else { return "a sample batch of \(n) samples exceeds \(maximumBatchSamples)" }
        guard batch.firstSeq >= 1 else { return "sequence numbers start at 1" }
        guard batch.firstSeq <= UInt64(Int64.max) - UInt64(n) else { return "sequence number out of range" }
        let required: [(String, Int)] = [("unix_time_s", batch.unixTimeS.count), ("voltage_v", batch.voltageV.count), ("current_a", batch.currentA.count)]
        for (name, count) in required where count != n {
            return "column \(name) has \(count) values for \(n) samples"
        }
        let optional: [(String, Int)] = [
            ("capacity_ah", batch.capacityAh.count), ("energy_wh", batch.energyWh.count),
            ("temperature_c", batch.temperatureC.count), ("step_index", batch.stepIndex.count),
            ("step_type", batch.stepType.count), ("cycle_index", batch.cycleIndex.count),
        ]
        for (name, count) in optional where count != 0 && count != n {
            return "optional column \(name) has \(count) values for \(n) samples (must be 0 or \(n))"
        }
        for (name, column) in [("unix_time_s", batch.unixTimeS), ("test_time_s", batch.testTimeS)] {
            if let row = column.firstIndex(where: \.isInfinite) {
                return "\(name) of sample \(batch.firstSeq + UInt64(row)) is \(column[row]): a time is finite (or NaN, unknown)"
            }
        }
        if let row = batch.unixTimeS.firstIndex(where: { !$0.isNaN && !startTimeRangeSeconds.contains($0) }) {
            return "unix_time_s of sample \(batch.firstSeq + UInt64(row)) is \(batch.unixTimeS[row]): a sample is taken between 1970 and 3000"
        }
        if batch.lostFromSeq != 0 {
            guard batch.lostFromSeq < batch.firstSeq else {
                return "lost_from_seq \(batch.lostFromSeq) must be below the batch's first_seq \(batch.firstSeq) (the lost samples precede it)"
            }
            if let problem = textProblem(batch.lostReason, field: "lost_reason", maximumBytes: maximumReasonBytes) { return problem }
        }
        return nil
    }

    /// Why the test end cannot be stored (a sentence naming the field), or nil.
    public static func validate(_ end: Cellfleet_Wire_V1_TestEnd) -> String? {
        if let problem = textProblem(end.testID, field: "test_id", maximumBytes: maximumIdentifierBytes) { return problem }
        if let problem = textProblem(end.reason, field: "reason", maximumBytes: maximumReasonBytes) { return problem }
        guard end.endUnixTimeS.isFinite, startTimeRangeSeconds.contains(end.endUnixTimeS) else {
            return "end_unix_time_s is \(end.endUnixTimeS): a test ends between 1970 and 3000 (seconds since the Unix epoch)"
        }
        guard end.lastSeq <= UInt64(Int64.max) else { return "last_seq \(end.lastSeq) is out of range" }
        if end.lostFromSeq != 0 {
            guard end.lostFromSeq <= end.lastSeq else {
                return "lost_from_seq \(end.lostFromSeq) must be at most last_seq \(end.lastSeq) (the lost samples are the test's last)"
            }
            if let problem = textProblem(end.lostReason, field: "lost_reason", maximumBytes: maximumReasonBytes) { return problem }
        }
        return nil
    }

    /// Bounds on a test start's text (schemas/wire/README.md, "Limits"): ids and names are short,
    /// and a start is kilobytes. Bytes of UTF-8, not characters.
    public static let maximumIdentifierBytes = 256
    public static let maximumAttributes = 64
    public static let maximumAttributeKeyBytes = 256
    public static let maximumAttributeValueBytes = 4096
    /// Start times a test can have: from the Unix epoch to the year 3000 (PostgreSQL's timestamps
    /// refuse NaN and overflow far beyond; a cycler's clock is not that wrong by accident).
    public static let startTimeRangeSeconds: ClosedRange<Double> = 0 ... 32_503_680_000

    /// Why the test start cannot be stored (a sentence naming the field), or nil. Everything the
    /// database would refuse is refused here, so the refusal is `MALFORMED` with the field named,
    /// never an `INTERNAL` failure that tells the agent to try again.
    public static func validate(_ start: Cellfleet_Wire_V1_TestStart) -> String? {
        let cell = start.cell
        let texts: [(String, String)] = [
            ("test_id", start.testID), ("agent_id", start.agentID), ("channel_id", start.channelID), ("cell.cell_id", cell.cellID),
        ]
        for (name, text) in texts {
            if let problem = textProblem(text, field: name, maximumBytes: maximumIdentifierBytes) { return problem }
        }
        guard start.startUnixTimeS.isFinite, startTimeRangeSeconds.contains(start.startUnixTimeS) else {
            return "start_unix_time_s is \(start.startUnixTimeS): a test starts between 1970 and 3000 (seconds since the Unix epoch)"
        }
        if case .UNRECOGNIZED(let value) = cell.cellType {
            return "cell.cell_type \(value) is not a cell type this coordinator knows (CELL_TYPE_SYMMETRIC, _HALF, _FULL, or unspecified)"
        }
        if case .UNRECOGNIZED(let value) = cell.workingElectrode {
            return "cell.working_electrode \(value) is not a working electrode this coordinator knows (ANODE, CATHODE, or unspecified)"
        }
        let quantities: [(String, Double, String)] = [
            ("cell.electrode_area_m2", cell.electrodeAreaM2, "m²"), ("cell.active_mass_kg", cell.activeMassKg, "kg"),
            ("cell.nominal_capacity_ah", cell.nominalCapacityAh, "Ah"),
        ]
        for (name, value, unit) in quantities where !(value.isFinite && value >= 0) {
            return "\(name) is \(value) \(unit): it is a positive number, or 0 for unknown"
        }
        guard cell.attributes.count <= maximumAttributes else {
            return "cell.attributes has \(cell.attributes.count) entries, more than \(maximumAttributes)"
        }
        for (key, value) in cell.attributes.sorted(by: { $0.key < $1.key }) {
            if key.isEmpty { return "cell.attributes has an empty key" }
            if let problem = textProblem(key, field: "cell.attributes key", maximumBytes: maximumAttributeKeyBytes) { return problem }
            if let problem = textProblem(value, field: "cell.attributes[\(key)]", maximumBytes: maximumAttributeValueBytes) { return problem }
        }
        return cell.problem
    }

    /// Channels one agent may announce: a large cycler has hundreds, an agent for a whole lab a
    /// few thousand.
    public static let maximumChannels = 16_384

    /// Why the hello cannot be registered (a sentence naming the field), or nil. `agentID` is the
    /// id the coordinator knows the agent by (its routing id, or its CURVE key's name).
    public static func validate(_ hello: Cellfleet_Wire_V1_Hello, agentID: String) -> String? {
        if let problem = agentIDProblem(agentID) { return problem }
        if let problem = textProblem(hello.agentID, field: "agent_id", maximumBytes: maximumIdentifierBytes) { return problem }
        if let problem = textProblem(hello.softwareVersion, field: "software_version", maximumBytes: maximumIdentifierBytes) { return problem }
        guard hello.channels.count <= maximumChannels else {
            return "channels has \(hello.channels.count) entries, more than \(maximumChannels)"
        }
        var seen = Set<String>()
        for (index, channel) in hello.channels.enumerated() {
            // By position: the id itself may be what is wrong (megabytes, or a NUL).
            for (name, text) in [("channel_id", channel.channelID), ("cycler_make", channel.cyclerMake), ("cycler_model", channel.cyclerModel)] {
                if let problem = textProblem(text, field: "channels[\(index)].\(name)", maximumBytes: maximumIdentifierBytes) { return problem }
            }
            if channel.channelID.isEmpty { return "a channel with an empty channel_id" }
            guard seen.insert(channel.channelID).inserted else { return "channel \(channel.channelID) is announced twice" }
            for (name, value) in [("current_min_a", channel.currentMinA), ("current_max_a", channel.currentMaxA),
                                  ("voltage_min_v", channel.voltageMinV), ("voltage_max_v", channel.voltageMaxV)] where !value.isFinite {
                return "channels[\(channel.channelID)].\(name) is \(value), not a finite number"
            }
        }
        return nil
    }

    /// Why the id a connection is known by (its routing id, or its CURVE key's name) cannot name
    /// an agent, or nil. Checked for every message before anything of it is kept: a peer without
    /// a routing id of its own gets one from libzmq that begins with a NUL byte, and such an id
    /// in the presence or command queries would fail them for every agent.
    public static func agentIDProblem(_ agentID: String) -> String? {
        if agentID.isEmpty { return "the agent id (the socket's routing id) is empty" }
        return textProblem(agentID, field: "the agent id (the socket's routing id)", maximumBytes: maximumIdentifierBytes)
    }

    /// A NUL byte (PostgreSQL's text cannot hold one) or text beyond its bound.
    static func textProblem(_ text: String, field: String, maximumBytes: Int) -> String? {
        let bytes = text.utf8.count
        if bytes > maximumBytes { return "\(field) is \(bytes) bytes long, more than \(maximumBytes)" }
        if text.utf8.contains(0) { return "\(field) contains a NUL byte" }
        return nil
    }

    /// Why the source quarantine cannot be recorded, or nil if its shape is fine. Its file is
    /// what the alert is about, so it must be named; a test id, when given, is a UUID. Its agent
    /// id is checked against the connection by the planner, as a test start's is.
    public static func validate(_ quarantine: Cellfleet_Wire_V1_SourceQuarantined) -> String? {
        guard !quarantine.file.isEmpty else { return "a source quarantine that names no file" }
        for (name, text, bound) in [("agent_id", quarantine.agentID, maximumIdentifierBytes), ("channel_id", quarantine.channelID, maximumIdentifierBytes),
                                    ("test_id", quarantine.testID, maximumIdentifierBytes), ("file", quarantine.file, maximumReasonBytes),
                                    ("reason", quarantine.reason, maximumReasonBytes)] {
            if let problem = textProblem(text, field: name, maximumBytes: bound) { return problem }
        }
        guard quarantine.unixTimeS.isFinite else { return "unix_time_s is \(quarantine.unixTimeS), not a finite number" }
        guard quarantine.testID.isEmpty || UUID(uuidString: quarantine.testID) != nil else {
            return "a source quarantine whose test id '\(quarantine.testID)' is not a UUID (leave it empty when the file has no test)"
        }
        return nil
    }
}
