import CellModel

/// A simulated channel: the samples a cycler would log for a preset, generated lazily.
///
/// A value type with O(1) memory, cheap to create and deterministic per seed, so that it can
/// both feed offline tests and stand in for a live channel paced in wall-clock time.
public struct CellSimulation: Sequence, IteratorProtocol, Sendable {
    /// 2026-01-01T00:00:00Z: every simulated test starts at this Unix time unless set otherwise.
    public static let defaultStartUnixTimeSeconds: Double = 1_767_225_600

    public let preset: ScenarioPreset
    public let seed: UInt64
    public let sampleIntervalSeconds: Double
    public let durationSeconds: Double
    /// `unixTimeSeconds` of each sample is this plus its test time.
    public var startUnixTimeSeconds: Double = CellSimulation.defaultStartUnixTimeSeconds

    private var symmetric: SymmetricCellEngine?
    private var full: FullCellEngine?
    /// A sample read ahead by `fastForward`.
    private var pending: Sample?
    /// Step index of the last sample before a channel restart (nil until the restart happens).
    private var stepOffsetAfterRestart: Int32?
    private var lastStepBeforeRestart: Int32 = 0

    /// - Parameters:
    ///   - sampleIntervalSeconds: overrides the preset's logging interval (must be > 0).
    ///   - durationSeconds: overrides the preset's length (full-cell presets also end with their
    ///     last programmed cycle).
    public init(preset: ScenarioPreset, seed: UInt64, sampleIntervalSeconds: Double? = nil, durationSeconds: Double? = nil) {
        self.preset = preset
        self.seed = seed
        let interval = sampleIntervalSeconds ?? preset.sampleIntervalSeconds
        self.sampleIntervalSeconds = interval.isFinite && interval > 0 ? interval : preset.sampleIntervalSeconds
        let duration = durationSeconds ?? preset.durationSeconds
        self.durationSeconds = duration.isNaN ? 0 : Swift.max(duration, 0)
        switch preset.model {
        case let .symmetric(parameters):
            symmetric = SymmetricCellEngine(
                parameters: parameters, artefacts: preset.artefacts, clampVolts: preset.voltageClampVolts,
                seed: seed, sampleIntervalSeconds: self.sampleIntervalSeconds, durationSeconds: self.durationSeconds
            )
        case let .full(parameters):
            full = FullCellEngine(
                parameters: parameters, artefacts: preset.artefacts,
                seed: seed, sampleIntervalSeconds: self.sampleIntervalSeconds, durationSeconds: self.durationSeconds
            )
        }
    }

    public mutating func next() -> Sample? {
        if let sample = pending {
            pending = nil
            return sample
        }
        let sample: Sample?
        if symmetric != nil {
            sample = symmetric!.next(startUnixTimeSeconds: startUnixTimeSeconds)
        } else if full != nil {
            sample = full!.next(startUnixTimeSeconds: startUnixTimeSeconds)
        } else {
            sample = nil
        }
        guard var sample, let restart = preset.artefacts.channelRestart else { return sample }
        if sample.testTimeSeconds < restart.atTestTimeSeconds {
            lastStepBeforeRestart = sample.stepIndex ?? 0
            return sample
        }
        // The step in progress at the restart counts as the new step 1.
        let offset = stepOffsetAfterRestart ?? {
            let value = (sample.stepIndex ?? 0) == lastStepBeforeRestart ? lastStepBeforeRestart - 1 : lastStepBeforeRestart
            stepOffsetAfterRestart = value
            return value
        }()
        sample.stepIndex = sample.stepIndex.map { $0 - offset }
        sample.cycleIndex = sample.cycleIndex.map { $0 + restart.cycleIndexJump }
        return sample
    }

    /// Skips ahead so that the next sample is the first at or after `testTimeSeconds`: a live
    /// channel can join a test in progress. Returns the number of samples skipped.
    @discardableResult
    public mutating func fastForward(toTestTimeSeconds testTimeSeconds: Double) -> Int {
        var skipped = 0
        while let sample = next() {
            if sample.testTimeSeconds >= testTimeSeconds {
                pending = sample
                break
            }
            skipped += 1
        }
        return skipped
    }
}
