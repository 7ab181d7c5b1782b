import Foundation

/// What the instrument and the lab add to the cell's true voltage (docs/detectors.md §7.4): the
/// false-alarm tests are only meaningful when detectors see these.
public struct InstrumentArtefacts: Sendable {
    /// Gaussian voltage noise σ.
    public var noiseSigmaVolts: Double
    /// Single-sample glitches of ±amplitude with this probability per sample.
    public var glitchAmplitudeVolts: Double
    public var glitchProbability: Double
    /// Ambient temperature and its diurnal swing (amplitude, so ±).
    public var ambientCelsius: Double
    public var temperatureSwingCelsius: Double
    public var temperaturePeriodSeconds: Double
    /// Thermocouple noise σ.
    public var temperatureNoiseCelsius: Double
    /// Intervals of test time with no logged samples (the cell keeps cycling).
    public var loggingGaps: [LoggingGap]
    /// A change of logging interval in the middle of a test.
    public var sampleIntervalChanges: [SampleIntervalChange]
    /// A re-started channel: the step index restarts and the cycle index jumps.
    public var channelRestart: ChannelRestart?
    /// Oven excursions: the chamber steps away from its set point for a while. Symmetric cells
    /// feel them through the interphase activation energy; full cells are not coupled (docs/detectors.md §7.3).
    public var temperatureExcursions: [TemperatureExcursion]

    public init(
        noiseSigmaVolts: Double = 0.0005,
        glitchAmplitudeVolts: Double = 0,
        glitchProbability: Double = 0,
        ambientCelsius: Double = 25,
        temperatureSwingCelsius: Double = 0,
        temperaturePeriodSeconds: Double = 86_400,
        temperatureNoiseCelsius: Double = 0.02,
        loggingGaps: [LoggingGap] = [],
        sampleIntervalChanges: [SampleIntervalChange] = [],
        channelRestart: ChannelRestart? = nil,
        temperatureExcursions: [TemperatureExcursion] = []
    ) {
        self.noiseSigmaVolts = noiseSigmaVolts
        self.glitchAmplitudeVolts = glitchAmplitudeVolts
        self.glitchProbability = glitchProbability
        self.ambientCelsius = ambientCelsius
        self.temperatureSwingCelsius = temperatureSwingCelsius
        self.temperaturePeriodSeconds = temperaturePeriodSeconds
        self.temperatureNoiseCelsius = temperatureNoiseCelsius
        self.loggingGaps = loggingGaps
        self.sampleIntervalChanges = sampleIntervalChanges
        self.channelRestart = channelRestart
        self.temperatureExcursions = temperatureExcursions
    }

    /// The cell's true temperature at a test time (no sensor noise).
    @inline(__always)
    func temperatureCelsius(atTestTime t: Double) -> Double {
        var celsius = ambientCelsius
        if temperatureSwingCelsius != 0 {
            celsius += temperatureSwingCelsius * sin(2 * Double.pi * t / temperaturePeriodSeconds)
        }
        for excursion in temperatureExcursions where t >= excursion.startSeconds && t < excursion.endSeconds {
            celsius += excursion.deltaCelsius
        }
        return celsius
    }

    /// Whether a sample at this test time falls inside a logging gap.
    @inline(__always)
    func isInGap(_ t: Double) -> Bool {
        for gap in loggingGaps where t > gap.startSeconds && t < gap.endSeconds { return true }
        return false
    }

    /// The logging interval in force at test time t.
    @inline(__always)
    func sampleInterval(at t: Double, base: Double) -> Double {
        var interval = base
        for change in sampleIntervalChanges where t >= change.fromTestTimeSeconds {
            interval = change.sampleIntervalSeconds
        }
        return interval
    }
}

/// A logging gap: no samples strictly between start and end.
public struct LoggingGap: Sendable, Hashable {
    public var startSeconds: Double
    public var endSeconds: Double

    public init(startSeconds: Double, endSeconds: Double) {
        self.startSeconds = startSeconds
        self.endSeconds = endSeconds
    }

    public static func hours(_ start: Double, _ end: Double) -> LoggingGap {
        LoggingGap(startSeconds: start * 3600, endSeconds: end * 3600)
    }
}

/// From this test time on, the cycler logs at a different interval.
public struct SampleIntervalChange: Sendable, Hashable {
    public var fromTestTimeSeconds: Double
    public var sampleIntervalSeconds: Double

    public init(fromTestTimeSeconds: Double, sampleIntervalSeconds: Double) {
        self.fromTestTimeSeconds = fromTestTimeSeconds
        self.sampleIntervalSeconds = sampleIntervalSeconds
    }
}

/// The cycler software was restarted at this test time: its step counter starts again from 1 and
/// its cycle counter jumps by `cycleIndexJump` (the cell itself is unaffected).
public struct ChannelRestart: Sendable, Hashable {
    public var atTestTimeSeconds: Double
    public var cycleIndexJump: Int32

    public init(atTestTimeSeconds: Double, cycleIndexJump: Int32) {
        self.atTestTimeSeconds = atTestTimeSeconds
        self.cycleIndexJump = cycleIndexJump
    }
}

/// The chamber runs `deltaCelsius` away from its set point between start and end.
public struct TemperatureExcursion: Sendable, Hashable {
    public var startSeconds: Double
    public var endSeconds: Double
    public var deltaCelsius: Double

    public init(startSeconds: Double, endSeconds: Double, deltaCelsius: Double) {
        self.startSeconds = startSeconds
        self.endSeconds = endSeconds
        self.deltaCelsius = deltaCelsius
    }
}
