import CellModel

/// What the voltage says about a cell whose type nobody gave: a guess with how sure it is, so
/// that `detect --explain` and a coordinator can show it, and a person can correct it.
public struct CellTypeGuess: Sendable, Hashable, Codable {
    public var cellType: CellType
    /// Only for half cells.
    public var workingElectrode: WorkingElectrode?
    /// 0…1: how far the evidence is from the nearest other answer.
    public var confidence: Double
    /// One sentence a person can check against the data.
    public var reason: String
}

/// Streaming cell-type inference over a cell's first cycles, the same for `detect` (a whole file)
/// and for a live test without metadata (sample by sample), so that both reach the same verdict.
///
/// The signs and the range of the voltage decide it:
/// * a symmetric cell (Li | SE | Li) swings around 0 V and its voltage takes the current's sign;
///   a cell whose voltage never goes negative is never taken for one;
/// * an anode half cell (graphite, silicon, hard carbon against Li) cycles between a few mV and
///   1.5–3 V, starting with a discharge (lithiation);
/// * a full cell and a cathode half cell both cycle at 2.5–4.5 V; their rules are the same but
///   for the few docs/detectors.md §5.9 names, so an unsure guess between them is `full`.
///
/// Observation stops after `reversalLimit` changes of the current's direction (two cycles) or
/// `sampleLimit` samples, whichever comes first: later behaviour (a short, a blow-up) must not
/// change what kind of cell the test is.
public struct CellTypeInference: Sendable, Hashable, Codable {
    public var sampleLimit = 200_000
    public var reversalLimit = 4

    private(set) public var samples = 0
    private var activeSamples = 0
    private var negativeSamples = 0
    private var signAgreements = 0
    private var signedActiveSamples = 0
    private var reversals = 0
    private var lastDirection = 0
    private var firstDirection = 0
    private var firstVoltage = Double.nan
    private var minimumActiveVoltage = Double.infinity
    private var maximumActiveVoltage = -Double.infinity
    private var maximumAbsCurrent = 0.0

    public init() {}

    /// True once the first cycles have been seen: later samples are ignored.
    public var isSettled: Bool { samples >= sampleLimit || reversals >= reversalLimit }

    public mutating func observe(voltageVolts voltage: Double, currentAmperes current: Double) {
        guard !isSettled, voltage.isFinite, current.isFinite else { return }
        samples += 1
        if firstVoltage.isNaN { firstVoltage = voltage }
        if voltage < -0.001 { negativeSamples += 1 }
        maximumAbsCurrent = max(maximumAbsCurrent, abs(current))
        // Active: above 2 % of the largest current so far, so a cycler's offset in rest is not a direction.
        guard abs(current) > max(1e-9, 0.02 * maximumAbsCurrent) else { return }
        activeSamples += 1
        minimumActiveVoltage = min(minimumActiveVoltage, voltage)
        maximumActiveVoltage = max(maximumActiveVoltage, voltage)
        let direction = current > 0 ? 1 : -1
        if firstDirection == 0 { firstDirection = direction }
        if lastDirection != 0, direction != lastDirection { reversals += 1 }
        lastDirection = direction
        if abs(voltage) > 0.001 {
            signedActiveSamples += 1
            if (voltage > 0) == (direction > 0) { signAgreements += 1 }
        }
    }

    public mutating func observe(_ columns: SampleColumns) {
        for index in 0..<columns.count where !isSettled {
            observe(voltageVolts: columns.voltageVolts[index], currentAmperes: columns.currentAmperes[index])
        }
    }

    public var guess: CellTypeGuess {
        guard samples > 0 else {
            return CellTypeGuess(cellType: .full, confidence: 0, reason: "no samples yet: taken for a full cell")
        }
        let negativeFraction = Double(negativeSamples) / Double(samples)
        let agreement = signedActiveSamples > 0 ? Double(signAgreements) / Double(signedActiveSamples) : 0
        if negativeFraction >= 0.01, agreement >= 0.5 {
            let confidence = agreement >= 0.9 && negativeFraction >= 0.2 ? 0.95 : 0.7
            return CellTypeGuess(
                cellType: .symmetric, confidence: confidence,
                reason: "voltage negative in \(percent(negativeFraction)) of samples and of the current's sign in \(percent(agreement)): a symmetric cell")
        }
        guard activeSamples > 0 else {
            return CellTypeGuess(cellType: .full, confidence: 0.2, reason: "no current has flowed yet: taken for a full cell")
        }
        let low = minimumActiveVoltage, high = maximumActiveVoltage
        let range = "\(volts(low))–\(volts(high)) under current"
        if high <= Self.anodeHalfCellMaximumVolts, low < 0.8 {
            let confidence = low < 0.1 ? (firstDirection < 0 ? 0.9 : 0.8) : 0.6
            return CellTypeGuess(
                cellType: .half, workingElectrode: .anode, confidence: confidence,
                reason: "\(range), never negative: an anode half cell (graphite, silicon or hard carbon against lithium)")
        }
        if low >= 2.0, firstVoltage < 1.5 {
            return CellTypeGuess(
                cellType: .full, confidence: 0.85,
                reason: "\(range) from a rest at \(volts(firstVoltage)): a fresh full cell in formation")
        }
        if low >= 2.0, high >= 3.5 {
            return CellTypeGuess(
                cellType: .full, confidence: 0.5,
                reason: "\(range): a full cell or a cathode half cell, which the detector treats alike (give --cell half --working-electrode cathode to say which)")
        }
        return CellTypeGuess(cellType: .full, confidence: 0.4, reason: "\(range), never negative: taken for a full cell")
    }

    /// The highest voltage under current of an anode half cell (graphite, silicon or hard carbon
    /// against Li, cut-offs up to ~3.1 V): a half cell limited above it has a cathode.
    public static let anodeHalfCellMaximumVolts = 3.3

    /// The guess over a whole recorded test (its first cycles).
    public static func infer(from columns: SampleColumns) -> CellTypeGuess {
        var inference = CellTypeInference()
        inference.observe(columns)
        return inference.guess
    }

    /// Whether `cell` still needs this inference: its type not given, or a half cell whose working
    /// electrode neither it nor its voltage limits tell.
    public static func isNeeded(for cell: CellMetadata, cellTypeKnown: Bool) -> Bool {
        !cellTypeKnown || (cell.cellType == .half && cell.workingElectrode == nil && cell.voltageMaxVolts == nil)
    }

    /// `cell` as detection judges it after `guess`, for `detect` and live detection alike: the
    /// guessed type unless one was given, and a half cell's working electrode from the guess
    /// (cathode when it has none) unless the metadata or its voltage limits tell.
    public static func resolve(_ cell: CellMetadata, cellTypeKnown: Bool, by guess: CellTypeGuess) -> CellMetadata {
        var resolved = cell
        if !cellTypeKnown { resolved.cellType = guess.cellType }
        if resolved.cellType == .half, resolved.workingElectrode == nil, resolved.voltageMaxVolts == nil {
            resolved.workingElectrode = guess.workingElectrode ?? .cathode
        }
        return resolved
    }

    private func percent(_ fraction: Double) -> String { "\(Int((fraction * 100).rounded())) %" }
    private func volts(_ value: Double) -> String { "\((value * 1000).rounded() / 1000) V" }
}
