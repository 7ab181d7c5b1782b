/// The voltage window a cell is cycled in: the protocol's limits when the lab gave them, else
/// learned from the ends of the active steps of its first cycles (a CC discharge ends at the
/// lower cut-off, a CC or CV charge at the upper). Rules written against "the window" (H2's
/// "far below it", S5's end-of-charge voltage) use it instead of constants for one chemistry;
/// until a learned bound has been seen it is unknown and those clauses wait (a fresh cell
/// resting at 0.1 V before its formation charge is not a short).
public struct OperatingWindow: Codable, Sendable, Hashable {
    public private(set) var minimumVolts: Double
    public private(set) var maximumVolts: Double
    /// Bounds that came from the cell's metadata are never changed by the data.
    public let isMinimumGiven: Bool
    public let isMaximumGiven: Bool
    /// Cycles closed while learning; the bounds are frozen after `learningCycles`.
    public private(set) var cyclesSeen = 0
    public var learningCycles = 2

    public init(minimumVolts: Double?, maximumVolts: Double?) {
        self.minimumVolts = minimumVolts ?? .nan
        self.maximumVolts = maximumVolts ?? .nan
        isMinimumGiven = minimumVolts != nil
        isMaximumGiven = maximumVolts != nil
    }

    public var isLearning: Bool { !(isMinimumGiven && isMaximumGiven) && cyclesSeen < learningCycles }

    /// An active step ended at `voltage` (the step's last raw sample).
    mutating func observeActiveStepEnd(voltage: Double) {
        guard isLearning, voltage.isFinite else { return }
        if !isMinimumGiven, minimumVolts.isNaN || voltage < minimumVolts { minimumVolts = voltage }
        if !isMaximumGiven, maximumVolts.isNaN || voltage > maximumVolts { maximumVolts = voltage }
    }

    mutating func observeCycleClosed() {
        if isLearning { cyclesSeen += 1 }
    }
}
