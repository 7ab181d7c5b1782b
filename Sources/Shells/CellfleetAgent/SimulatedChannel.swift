import CellModel
import CellSimulator
import Foundation

/// A simulated cycler channel running a preset of the cell simulator in wall-clock time: one
/// sample per sampling period, each advancing simulated test time by `testSecondsPerSample`
/// (1 / rate × speed factor). The simulator is deterministic per seed, so an agent restarted on
/// its spool re-creates the channel from its token and skips to the next sequence number: the
/// signal carries on.
public struct SimulatedChannel: ChannelSource, Sendable {
    /// A simulator has no state worth storing: its preset, seed and count re-create it.
    public struct ResumeToken: Codable, Sendable, Equatable {
        public var scenario: String
        public var seed: UInt64
        public var samplesTaken: UInt64
        /// A scheduled test's length in test time (StartTest.duration_s); absent in tokens of
        /// agents before it, and for tests that run their preset to its end.
        public var durationSeconds: Double?

        public init(scenario: String, seed: UInt64, samplesTaken: UInt64, durationSeconds: Double? = nil) {
            self.scenario = scenario
            self.seed = seed
            self.samplesTaken = samplesTaken
            self.durationSeconds = durationSeconds
        }
    }

    /// How the channel hands out samples.
    public enum Pacing: Sendable {
        /// `sampleRateHertz` samples per wall-clock second, counted from `origin`.
        case realTime(sampleRateHertz: Double, origin: ContinuousClock.Instant)
        /// As fast as the agent takes them (benchmarks).
        case unpaced
    }

    public let channelIndex: Int
    public let scenario: String
    public let seed: UInt64
    public let cell: CellMetadata
    public let capabilities: ChannelCapabilities
    /// The test ends ("completed") before the first sample past this test time.
    public let durationSeconds: Double?
    private var simulation: CellSimulation
    private var pacing: Pacing
    /// Samples handed out (or skipped) since the simulated test began.
    private var samplesTaken: UInt64 = 0
    /// Samples handed out since this channel object was made: what the pacing counts.
    private var samplesTakenSincePacingOrigin = 0

    /// The presets channels cycle through by default: coated (healthy, 200 mV) and bare
    /// (polarization blow-up) Li | LGPS | Li symmetric cells, as in the reference study.
    public static let defaultScenarios = ["1", "4"]

    /// - Parameter cell: the cell a StartTest names; by default the preset's, named after the
    ///   agent and channel.
    public init(
        channelIndex: Int, scenario: String, seed: UInt64, testSecondsPerSample: Double, cellIDPrefix: String,
        cell: CellMetadata? = nil, pacing: Pacing = .unpaced, durationSeconds: Double? = nil
    ) throws {
        let preset = try Self.preset(named: scenario)
        self.durationSeconds = durationSeconds.flatMap { $0 > 0 && $0.isFinite ? $0 : nil }
        self.channelIndex = channelIndex
        self.scenario = scenario
        self.seed = seed
        self.pacing = pacing
        simulation = CellSimulation(
            preset: preset, seed: seed &+ UInt64(channelIndex), sampleIntervalSeconds: testSecondsPerSample)
        self.cell = cell ?? Self.defaultCell(of: preset, channelIndex: channelIndex, cellIDPrefix: cellIDPrefix)
        capabilities = Self.capabilities(of: preset)
    }

    /// Re-creates a channel where `token` left it.
    public init(
        resumingFrom token: ResumeToken, channelIndex: Int, testSecondsPerSample: Double, cell: CellMetadata, pacing: Pacing
    ) throws {
        try self.init(
            channelIndex: channelIndex, scenario: token.scenario, seed: token.seed, testSecondsPerSample: testSecondsPerSample,
            cellIDPrefix: "", cell: cell, pacing: pacing, durationSeconds: token.durationSeconds)
        skip(token.samplesTaken)
    }

    public var resumeToken: ResumeToken {
        ResumeToken(scenario: scenario, seed: seed, samplesTaken: samplesTaken, durationSeconds: durationSeconds)
    }

    /// The cell a preset simulates, as a channel of this agent carries it.
    public static func defaultCell(of preset: ScenarioPreset, channelIndex: Int, cellIDPrefix: String) -> CellMetadata {
        var cell = preset.cell
        cell.cellID = "\(cellIDPrefix)-ch\(channelIndex + 1)-\(preset.name)"
        cell.attributes["scenario"] = preset.name
        cell.attributes["source"] = "simulated"
        return cell
    }

    /// The window a preset's cell needs: a symmetric cell's programmed current either way and
    /// the cycler's voltage clamp either way; a full cell's fastest C-rate either way and 0 V up
    /// to its upper cut-off.
    public static func capabilities(of preset: ScenarioPreset) -> ChannelCapabilities {
        switch preset.model {
        case .symmetric(let parameters):
            let milliampsPerSquareCentimeter = parameters.protocolStages.map { abs($0.currentDensityMilliampsPerSquareCentimeter) }.max() ?? 0
            let amperes = milliampsPerSquareCentimeter * parameters.areaSquareCentimeters / 1000
            let clamp = preset.voltageClampVolts ?? 5
            return ChannelCapabilities(currentMinAmperes: -amperes, currentMaxAmperes: amperes, voltageMinVolts: -clamp, voltageMaxVolts: clamp)
        case .full(let parameters):
            let cRate = parameters.protocolStages.map { abs($0.cRate) }.max() ?? 0
            let amperes = cRate * parameters.nominalCapacityAmpHours
            return ChannelCapabilities(currentMinAmperes: -amperes, currentMaxAmperes: amperes, voltageMinVolts: 0, voltageMaxVolts: parameters.upperCutoffVolts)
        }
    }

    static func preset(named scenario: String) throws -> ScenarioPreset {
        guard let preset = ScenarioCatalog.preset(named: scenario) else {
            throw AgentConfiguration.Invalid(description: "unknown simulator scenario '\(scenario)' (see `cellfleet simulate --list`)")
        }
        return preset
    }

    public func samplesReady(at instant: ContinuousClock.Instant, limit: Int) -> Int {
        switch pacing {
        case .unpaced:
            return limit
        case .realTime(let rate, let origin):
            return min(Int(origin.duration(to: instant).inSeconds * rate) - samplesTakenSincePacingOrigin, limit)
        }
    }

    public mutating func takeSamples(_ count: Int, unixTimeSeconds: Double) -> ChannelReading {
        var columns = SampleColumns()
        while columns.count < count, var sample = simulation.next() {
            // A sample past the duration is not taken: a resumed channel skips to the same one
            // and ends there too.
            if let durationSeconds, sample.testTimeSeconds > durationSeconds { break }
            sample.unixTimeSeconds = unixTimeSeconds
            columns.append(sample)
        }
        guard !columns.isEmpty else { return count > 0 ? .testEnded : .nothingYet }
        samplesTaken += UInt64(columns.count)
        samplesTakenSincePacingOrigin += columns.count
        return .samples(columns)
    }

    public mutating func holdBack(for duration: Duration) {
        if case .realTime(let rate, let origin) = pacing {
            pacing = .realTime(sampleRateHertz: rate, origin: origin.advanced(by: duration))
        }
    }

    /// Skips samples an earlier run already produced.
    public mutating func skip(_ count: UInt64) {
        var remaining = count
        while remaining > 0, simulation.next() != nil {
            remaining -= 1
            samplesTaken += 1
        }
    }
}
