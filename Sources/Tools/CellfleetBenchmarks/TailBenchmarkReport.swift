import Foundation

/// The one JSON line `cellfleet bench tail` prints: the throughput of files on disk to committed
/// rows against the reader's own rate on the same files, and what an agent following a lab's
/// folder costs, against the goals. Scripts compare runs by these field names.
public struct TailBenchmarkReport: Encodable, Sendable, Equatable {
    /// Files imported (replicas included) and the records committed from them.
    public var files: Int
    public var records: Int
    /// Wall time of `cellfleet import`, start to exit (everything acknowledged, so committed).
    public var tailSeconds: Double
    /// The best in-process read of the same files by the reader alone (`bench parse`'s way).
    public var parseSeconds: Double
    public var tailRecordsPerSecond: Double { Double(records) / tailSeconds }
    public var parseRecordsPerSecond: Double { Double(records) / parseSeconds }

    /// The following phase: files appended one record a second each, for this long.
    public var followFiles: Int
    public var followSeconds: Double
    /// The agent's resident memory at the end of the window (VmRSS) and its peak (VmHWM).
    public var agentRSSBytes: Int64
    public var agentRSSPeakBytes: Int64
    /// Of `agentRSSBytes`, the agent's own (anonymous) memory; the rest is the executable's and
    /// the shared libraries' pages (`ProcessUsage.anonymousResidentBytes`).
    public var agentRSSAnonymousBytes: Int64
    /// The agent's CPU time (user + system) over the window, per second of the window.
    public var agentCPUSecondsPerSecond: Double
    public var followRecordsWritten: Int
    public var followRecordsCommitted: Int

    /// The goals for an agent following 64 files at 1 Hz.
    public static let goalRSSMegabytes = 30.0
    public static let goalCPUPercentOfCore = 2.0

    public init(
        files: Int, records: Int, tailSeconds: Double, parseSeconds: Double, followFiles: Int, followSeconds: Double,
        agentRSSBytes: Int64, agentRSSPeakBytes: Int64, agentRSSAnonymousBytes: Int64, agentCPUSecondsPerSecond: Double,
        followRecordsWritten: Int, followRecordsCommitted: Int
    ) {
        self.files = files
        self.records = records
        self.tailSeconds = tailSeconds
        self.parseSeconds = parseSeconds
        self.followFiles = followFiles
        self.followSeconds = followSeconds
        self.agentRSSBytes = agentRSSBytes
        self.agentRSSPeakBytes = agentRSSPeakBytes
        self.agentRSSAnonymousBytes = agentRSSAnonymousBytes
        self.agentCPUSecondsPerSecond = agentCPUSecondsPerSecond
        self.followRecordsWritten = followRecordsWritten
        self.followRecordsCommitted = followRecordsCommitted
    }

    enum CodingKeys: String, CodingKey {
        case files, records
        case tailSeconds = "tail_seconds"
        case parseSeconds = "parse_seconds"
        case tailRecordsPerSecond = "tail_records_per_s"
        case parseRecordsPerSecond = "parse_records_per_s"
        case tailToParseRatio = "tail_to_parse_ratio"
        case followFiles = "follow_files"
        case followSeconds = "follow_seconds"
        case agentRSSMegabytes = "agent_rss_mb"
        case agentRSSPeakMegabytes = "agent_rss_peak_mb"
        case agentRSSAnonymousMegabytes = "agent_rss_anon_mb"
        case agentCPUPercentOfCore = "agent_cpu_percent_of_core"
        case followRecordsWritten = "follow_records_written"
        case followRecordsCommitted = "follow_records_committed"
        case goalRSSMegabytes = "goal_rss_mb"
        case goalCPUPercentOfCore = "goal_cpu_percent_of_core"
        case withinGoals = "within_goals"
    }

    /// Megabytes as the goal states them (MiB, as /proc counts: 1024 kB).
    public var agentRSSMegabytes: Double { Double(agentRSSBytes) / 1_048_576 }
    public var agentRSSPeakMegabytes: Double { Double(agentRSSPeakBytes) / 1_048_576 }
    public var agentRSSAnonymousMegabytes: Double { Double(agentRSSAnonymousBytes) / 1_048_576 }
    public var agentCPUPercentOfCore: Double { agentCPUSecondsPerSecond * 100 }
    public var tailToParseRatio: Double { tailRecordsPerSecond / parseRecordsPerSecond }
    /// Peak memory and CPU within the goals, and nothing lost.
    public var withinGoals: Bool {
        agentRSSPeakMegabytes <= Self.goalRSSMegabytes && agentCPUPercentOfCore <= Self.goalCPUPercentOfCore
            && followRecordsCommitted == followRecordsWritten
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        func rounded(_ value: Double, _ places: Double) -> Double { (value * places).rounded() / places }
        try container.encode(files, forKey: .files)
        try container.encode(records, forKey: .records)
        try container.encode(rounded(tailSeconds, 1000), forKey: .tailSeconds)
        try container.encode(rounded(parseSeconds, 1000), forKey: .parseSeconds)
        try container.encode(rounded(tailRecordsPerSecond, 1), forKey: .tailRecordsPerSecond)
        try container.encode(rounded(parseRecordsPerSecond, 1), forKey: .parseRecordsPerSecond)
        try container.encode(rounded(tailToParseRatio, 1000), forKey: .tailToParseRatio)
        try container.encode(followFiles, forKey: .followFiles)
        try container.encode(rounded(followSeconds, 100), forKey: .followSeconds)
        try container.encode(rounded(agentRSSMegabytes, 100), forKey: .agentRSSMegabytes)
        try container.encode(rounded(agentRSSPeakMegabytes, 100), forKey: .agentRSSPeakMegabytes)
        try container.encode(rounded(agentRSSAnonymousMegabytes, 100), forKey: .agentRSSAnonymousMegabytes)
        try container.encode(rounded(agentCPUPercentOfCore, 1000), forKey: .agentCPUPercentOfCore)
        try container.encode(followRecordsWritten, forKey: .followRecordsWritten)
        try container.encode(followRecordsCommitted, forKey: .followRecordsCommitted)
        try container.encode(Self.goalRSSMegabytes, forKey: .goalRSSMegabytes)
        try container.encode(Self.goalCPUPercentOfCore, forKey: .goalCPUPercentOfCore)
        try container.encode(withinGoals, forKey: .withinGoals)
    }

    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
