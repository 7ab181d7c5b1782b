import CellModel

/// Where the samples of the test running on a simulated channel come from: a simulator preset run
/// in wall-clock time (`SimulatedChannel`). The agent numbers, spools and delivers what a source
/// hands it; a source only knows its signal. A followed export file is read differently — when
/// the follow rules say so, in batches, a file per test (`FilePartCursor`,
/// `AgentRuntime+Files`) — but keeps the same promise with the readers' resume token.
///
/// A source must be able to carry on after an agent restart without handing out a sample twice
/// or skipping one: the agent stores `resumeToken` beside the spool with the sequence number it
/// belongs to, re-creates the source from it (each kind has its own initializer) and `skip`s
/// the samples spooled after the token was taken.
public protocol ChannelSource {
    /// Where the source stands after the samples handed out so far: for a simulator, its preset,
    /// seed and count; for a file, the reader's resume state (offset, carried normaliser state).
    associatedtype ResumeToken: Codable & Sendable & Equatable

    /// The cell on the channel, for the test's start.
    var cell: CellMetadata { get }
    /// What the channel can do, announced in hello (the scheduler will match tests to it).
    var capabilities: ChannelCapabilities { get }
    var resumeToken: ResumeToken { get }

    /// How many samples the source has for the agent at `instant`, at most `limit` (a paced
    /// simulator: those due by now; a file: what was appended since the last read). The agent
    /// checks its spool has room for them before it takes them.
    func samplesReady(at instant: ContinuousClock.Instant, limit: Int) -> Int

    /// Takes up to `count` samples. A source without clock of its own stamps them with
    /// `unixTimeSeconds`; a file keeps the instrument's.
    mutating func takeSamples(_ count: Int, unixTimeSeconds: Double) throws -> ChannelReading

    /// The spool was full and nothing was taken for `duration`: a source producing in real time
    /// waits with it, so it resumes where it stopped instead of catching up in a burst (a file
    /// keeps growing and needs nothing).
    mutating func holdBack(for duration: Duration)

    /// Drops the next `count` samples: the ones an earlier run spooled after its token.
    mutating func skip(_ count: UInt64) throws
}

/// What a source had.
public enum ChannelReading: Sendable, Equatable {
    /// At least one sample, in order.
    case samples(SampleColumns)
    /// Nothing new yet (a file not grown since).
    case nothingYet
    /// The test has run its course: the agent ends it and the channel falls idle.
    case testEnded
}

extension ChannelSource {
    /// The token as compact JSON, for `channels.json`.
    func encodedResumeToken() throws -> String {
        try ResumeTokenCoding.encode(resumeToken)
    }
}

/// The current and voltage window of a channel, as a cycler's specification gives it, and
/// whether it has an auxiliary temperature probe.
public struct ChannelCapabilities: Codable, Sendable, Equatable {
    public var currentMinAmperes: Double
    public var currentMaxAmperes: Double
    public var voltageMinVolts: Double
    public var voltageMaxVolts: Double
    public var auxTemperature: Bool

    public init(currentMinAmperes: Double, currentMaxAmperes: Double, voltageMinVolts: Double, voltageMaxVolts: Double,
                auxTemperature: Bool = false) {
        self.currentMinAmperes = currentMinAmperes
        self.currentMaxAmperes = currentMaxAmperes
        self.voltageMinVolts = voltageMinVolts
        self.voltageMaxVolts = voltageMaxVolts
        self.auxTemperature = auxTemperature
    }

    private enum CodingKeys: String, CodingKey {
        case currentMinAmperes, currentMaxAmperes, voltageMinVolts, voltageMaxVolts, auxTemperature
    }

    /// JSON written before `auxTemperature` existed has none: no probe, as the wire's default says.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        currentMinAmperes = try container.decode(Double.self, forKey: .currentMinAmperes)
        currentMaxAmperes = try container.decode(Double.self, forKey: .currentMaxAmperes)
        voltageMinVolts = try container.decode(Double.self, forKey: .voltageMinVolts)
        voltageMaxVolts = try container.decode(Double.self, forKey: .voltageMaxVolts)
        auxTemperature = try container.decodeIfPresent(Bool.self, forKey: .auxTemperature) ?? false
    }
}
