/// The kinds of Q1 note (docs/detectors.md §6.2). Each kind has at most one open episode per
/// test, so a file with a thousand gaps yields one note with a count, not a thousand alerts.
/// The raw values are a contract: `kind` in `detect`'s JSON and in stored alerts.
public enum DataQualityKind: String, Sendable, Hashable, Codable, CaseIterable {
    case invalidSample = "invalid_sample"
    case timeBackwards = "time_backwards"
    case loggingGap = "logging_gap"
    case frozenVoltage = "frozen_voltage"
    case outOfRange = "out_of_range"
    case thermalHot = "thermal_hot"
    case thermalRate = "thermal_rate"
    case capacityMismatch = "capacity_mismatch"

    var index: Int { Self.allCases.firstIndex(of: self)! }
}

/// One kind's open episode: the alert that opened it was emitted; later occurrences only count.
struct DataQualityEpisode: Codable, Sendable {
    var isOpen = false
    var startTime = 0.0
    var lastTime = 0.0
    var count = 0
}

/// Per-cell state of the data-quality and thermal notes (docs/detectors.md §6.2). All are `info`.
struct DataQualityState: Codable, Sendable {
    var invalidActive = false
    var frozenCount = 0
    var frozenActive = false
    var unfrozenCount = 0
    var lastRawVoltage = Double.nan
    var outOfRangeActive = false
    var firstTime = Double.nan
    var temperatureReferenceSum = 0.0
    var temperatureReferenceCount = 0
    var temperatureReference = Double.nan
    var hotActive = false
    /// The start of the span the temperature rate is measured over.
    var rateSpanTemperature = Double.nan
    var rateSpanTime = Double.nan
    var fastTemperatureCount = 0
    var fastTemperatureActive = false
    var episodes = [DataQualityEpisode](repeating: DataQualityEpisode(), count: DataQualityKind.allCases.count)
}

extension CellDetector {
    /// A Q1 note: opens its kind's episode (one alert), or counts into the open one. Out of line:
    /// it is rare, and inlined it kept the per-sample rules that call it from being inlined.
    @inline(never)
    mutating func note(_ kind: DataQualityKind, at time: Double, evidence: [String: Double], message: String, into alerts: inout [Alert]) {
        var episode = quality.episodes[kind.index]
        if episode.isOpen, time - episode.lastTime < thresholds.q1EpisodeQuietSeconds {
            episode.count += 1
            episode.lastTime = max(episode.lastTime, time)
            quality.episodes[kind.index] = episode
            return
        }
        if episode.isOpen { closeNoteEpisode(kind) }
        quality.episodes[kind.index] = DataQualityEpisode(isOpen: true, startTime: time, lastTime: time, count: 1)
        let alert = Alert(rule: .Q1, cellID: cell.cellID, testTimeSeconds: time, cycle: cycle,
                          evidence: evidence, message: message, kind: kind.rawValue)
        alerts.append(alert)
        record(.opened, of: alert, lastTime: time, count: 1)
    }

    mutating func closeNoteEpisode(_ kind: DataQualityKind) {
        let episode = quality.episodes[kind.index]
        guard episode.isOpen else { return }
        quality.episodes[kind.index].isOpen = false
        recordEpisode(AlertEpisode(phase: .closed, rule: .Q1, severity: .info, kind: kind.rawValue,
                                   startTestTimeSeconds: episode.startTime, lastTestTimeSeconds: episode.lastTime,
                                   count: episode.count))
    }

    /// Ends the notes whose kind has been quiet for `q1EpisodeQuietSeconds` (checked at step
    /// boundaries, off the per-sample path).
    mutating func closeQuietNoteEpisodes(now time: Double) {
        for kind in DataQualityKind.allCases {
            let episode = quality.episodes[kind.index]
            if episode.isOpen, time - episode.lastTime >= thresholds.q1EpisodeQuietSeconds { closeNoteEpisode(kind) }
        }
    }

    mutating func noteInvalid(_ point: RawPoint, into alerts: inout [Alert]) {
        guard !quality.invalidActive else { return }
        quality.invalidActive = true
        let time = point.time.isFinite ? point.time : (previousTime.isNaN ? 0 : previousTime)
        note(.invalidSample, at: time, evidence: ["previous_test_time_second": lastAcceptedTime.isFinite ? lastAcceptedTime : 0],
             message: "non-finite time, voltage or current; sample ignored", into: &alerts)
    }

    /// Q1 per sample: frozen voltage while current flows, |V| beyond the instrument clamp, and the
    /// thermal notes (T above the test's first-day mean by 5 °C, |dT/dt| > 1 °C/min).
    @inline(__always)
    mutating func dataQualityRules(_ point: RawPoint, into alerts: inout [Alert]) {
        quality.invalidActive = false
        // A voltage pinned at the instrument clamp is P4's business, not a frozen channel.
        let atClamp = voltageClampVolts.map { abs(point.voltage) >= 0.999 * $0 } ?? false
        // A CV hold regulates the voltage to one reading by design while its current tapers:
        // frozen means the voltage repeats at the step's set current.
        let atSetCurrent = hasOpenStep && abs(abs(point.current) - step.levelAmperes) <= 0.01 * step.levelAmperes
        if hasOpenStep, step.kind.isActive, atSetCurrent, !atClamp, point.voltage == quality.lastRawVoltage {
            quality.frozenCount += 1
            quality.unfrozenCount = 0
            if quality.frozenCount >= thresholds.q1FrozenSamples, !quality.frozenActive {
                quality.frozenActive = true
                note(.frozenVoltage, at: point.time, evidence: ["frozen_samples": Double(quality.frozenCount), "voltage_volts": point.voltage],
                     message: "voltage frozen while current flows", into: &alerts)
            }
        } else {
            quality.frozenCount = 0
            // Re-armed only after as many live samples as it took to fire.
            quality.unfrozenCount += 1
            if quality.unfrozenCount >= thresholds.q1FrozenSamples { quality.frozenActive = false }
        }
        quality.lastRawVoltage = point.voltage
        if let clamp = voltageClampVolts {
            if abs(point.voltage) > clamp * 1.001 {
                if !quality.outOfRangeActive {
                    quality.outOfRangeActive = true
                    note(.outOfRange, at: point.time, evidence: ["voltage_volts": point.voltage, "clamp_volts": clamp],
                         message: "voltage outside the instrument range", into: &alerts)
                }
            } else {
                quality.outOfRangeActive = false
            }
        }
        if !point.temperature.isNaN { temperatureNotes(point, into: &alerts) }
    }

    mutating func temperatureNotes(_ point: RawPoint, into alerts: inout [Alert]) {
        let temperature = point.temperature
        if quality.firstTime.isNaN { quality.firstTime = point.time }
        if quality.temperatureReference.isNaN {
            quality.temperatureReferenceSum += temperature
            quality.temperatureReferenceCount += 1
            // A day, so that a diurnal swing averages out of the set-point estimate.
            if point.time - quality.firstTime >= 86_400 {
                quality.temperatureReference = quality.temperatureReferenceSum / Double(quality.temperatureReferenceCount)
            }
        } else if temperature > quality.temperatureReference + thresholds.q1TemperatureExcessCelsius {
            if !quality.hotActive {
                quality.hotActive = true
                note(.thermalHot, at: point.time, evidence: ["temperature_celsius": temperature, "reference_celsius": quality.temperatureReference],
                     message: "thermal: temperature above the test's early level", into: &alerts)
            }
        } else if temperature < quality.temperatureReference + 0.5 * thresholds.q1TemperatureExcessCelsius {
            quality.hotActive = false
        }
        // The rate over a span of at least q1TemperatureRateSpanSeconds; a restart begins a new span.
        if quality.rateSpanTime.isNaN || point.time < quality.rateSpanTime {
            quality.rateSpanTime = point.time
            quality.rateSpanTemperature = temperature
            return
        }
        let span = point.time - quality.rateSpanTime
        guard span >= thresholds.q1TemperatureRateSpanSeconds else { return }
        let rate = (temperature - quality.rateSpanTemperature) / span * 60
        quality.rateSpanTime = point.time
        quality.rateSpanTemperature = temperature
        if abs(rate) > thresholds.q1TemperatureRateCelsiusPerMinute {
            quality.fastTemperatureCount += 1
            if quality.fastTemperatureCount >= 2, !quality.fastTemperatureActive {
                quality.fastTemperatureActive = true
                note(.thermalRate, at: point.time, evidence: ["temperature_rate_celsius_per_minute": rate, "span_seconds": span],
                     message: "thermal: temperature changing fast", into: &alerts)
            }
        } else {
            quality.fastTemperatureCount = 0
            quality.fastTemperatureActive = false
        }
    }

    /// Q1: the coordinator's integrated capacity against the cycler's own, per step.
    mutating func crossCheckCapacity(_ closing: StepAccumulator, into alerts: inout [Alert]) {
        guard closing.kind.isActive, !closing.cyclerCapacityStart.isNaN, !closing.cyclerCapacityLast.isNaN,
              closing.capacityAmpHours > 0, closing.sampleCount >= 10 else { return }
        let cycler = abs(closing.cyclerCapacityLast - closing.cyclerCapacityStart)
        guard cycler > 0 else { return }
        let mismatch = abs(closing.capacityAmpHours - cycler) / cycler
        if mismatch > thresholds.q1CapacityMismatch {
            note(.capacityMismatch, at: closing.lastTime, evidence: [
                "integrated_capacity_amp_hours": closing.capacityAmpHours, "cycler_capacity_amp_hours": cycler,
                "relative_difference": mismatch,
            ], message: "integrated capacity disagrees with the cycler's", into: &alerts)
        }
    }
}
