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
    var lastTemperature = Double.nan
    var lastTemperatureTime = Double.nan
    var fastTemperatureCount = 0
    var fastTemperatureActive = false
}

extension CellDetector {
    mutating func noteInvalid(_ point: RawPoint, reason: String, into alerts: inout [Alert]) {
        guard !quality.invalidActive else { return }
        quality.invalidActive = true
        let time = point.time.isFinite ? point.time : (previousTime.isNaN ? 0 : previousTime)
        alerts.append(Alert(rule: .Q1, cellID: cell.cellID, testTimeSeconds: time, cycle: cycle,
                            evidence: ["previous_test_time_second": lastAcceptedTime.isFinite ? lastAcceptedTime : 0],
                            message: reason))
    }

    /// Q1 per sample: frozen voltage while current flows, |V| beyond the instrument clamp, and the
    /// thermal notes (T above the test's first-day mean by 5 °C, |dT/dt| > 1 °C/min).
    @inline(__always)
    mutating func dataQualityRules(_ point: RawPoint, into alerts: inout [Alert]) {
        quality.invalidActive = false
        // A voltage pinned at the instrument clamp is P4's business, not a frozen channel.
        let atClamp = voltageClampVolts.map { abs(point.voltage) >= 0.999 * $0 } ?? false
        if hasOpenStep, step.kind.isActive, !atClamp, point.voltage == quality.lastRawVoltage {
            quality.frozenCount += 1
            quality.unfrozenCount = 0
            if quality.frozenCount >= thresholds.q1FrozenSamples, !quality.frozenActive {
                quality.frozenActive = true
                fire(.Q1, at: point, evidence: ["frozen_samples": Double(quality.frozenCount), "voltage_volts": point.voltage],
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
                    fire(.Q1, at: point, evidence: ["voltage_volts": point.voltage, "clamp_volts": clamp],
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
                fire(.Q1, at: point, evidence: ["temperature_celsius": temperature, "reference_celsius": quality.temperatureReference],
                     message: "thermal: temperature above the test's early level", into: &alerts)
            }
        } else if temperature < quality.temperatureReference + 0.5 * thresholds.q1TemperatureExcessCelsius {
            quality.hotActive = false
        }
        if !quality.lastTemperature.isNaN, point.time > quality.lastTemperatureTime {
            let rate = (temperature - quality.lastTemperature) / (point.time - quality.lastTemperatureTime) * 60
            if abs(rate) > thresholds.q1TemperatureRateCelsiusPerMinute {
                quality.fastTemperatureCount += 1
                if quality.fastTemperatureCount >= 2, !quality.fastTemperatureActive {
                    quality.fastTemperatureActive = true
                    fire(.Q1, at: point, evidence: ["temperature_rate_celsius_per_minute": rate],
                         message: "thermal: temperature changing fast", into: &alerts)
                }
            } else {
                quality.fastTemperatureCount = 0
                quality.fastTemperatureActive = false
            }
        }
        quality.lastTemperature = temperature
        quality.lastTemperatureTime = point.time
    }

    /// Q1: the coordinator's integrated capacity against the cycler's own, per step.
    mutating func crossCheckCapacity(_ closing: StepAccumulator, into alerts: inout [Alert]) {
        guard closing.kind.isActive, !closing.cyclerCapacityStart.isNaN, !closing.cyclerCapacityLast.isNaN,
              closing.capacityAmpHours > 0, closing.sampleCount >= 10 else { return }
        let cycler = abs(closing.cyclerCapacityLast - closing.cyclerCapacityStart)
        guard cycler > 0 else { return }
        let mismatch = abs(closing.capacityAmpHours - cycler) / cycler
        if mismatch > thresholds.q1CapacityMismatch {
            let at = RawPoint(time: closing.lastTime, voltage: closing.lastVoltage, current: closing.lastCurrent, temperature: .nan,
                              cyclerStep: RawPoint.absent, cyclerCycle: RawPoint.absent, cyclerCapacity: .nan)
            fire(.Q1, at: at, evidence: [
                "integrated_capacity_amp_hours": closing.capacityAmpHours, "cycler_capacity_amp_hours": cycler,
                "relative_difference": mismatch,
            ], message: "integrated capacity disagrees with the cycler's", into: &alerts)
        }
    }
}
