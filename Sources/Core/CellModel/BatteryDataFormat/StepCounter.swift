extension BatteryDataFormat {
    /// The BDF `step_count` of a stream of samples: 1 for the first, one more each time a new
    /// step begins. A step begins where the instrument's step or cycle changes (a one-step loop
    /// repeats its step number with a new cycle; a restarted channel starts its steps again) or,
    /// when the instrument reports no step at all, where the direction of the current changes
    /// (charge, discharge, rest), the only boundary such a file shows. It counts the steps the
    /// samples show: a step that fell entirely into a logging gap is not counted.
    public struct StepCounter: Sendable, Hashable, Codable {
        public private(set) var count = 0
        private var lastStep: Int32?
        private var lastCycle: Int32?
        private var lastDirection: Int8 = 0

        public init() {}

        /// The count for `sample`, advanced if it begins a step.
        @inline(__always)
        public mutating func advance(for sample: Sample) -> Int {
            let direction = Self.direction(sample.stepType)
            if count == 0 || sample.stepIndex != lastStep || sample.cycleIndex != lastCycle
                || (sample.stepIndex == nil && direction != lastDirection) {
                count += 1
            }
            lastStep = sample.stepIndex
            lastCycle = sample.cycleIndex
            lastDirection = direction
            return count
        }

        @inline(__always)
        static func direction(_ type: StepType) -> Int8 {
            if type.isCharge { return 1 }
            if type.isDischarge { return 2 }
            return type == .rest ? 3 : 0
        }
    }
}
