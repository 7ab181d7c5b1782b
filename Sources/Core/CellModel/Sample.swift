/// One measurement of one channel, in SI units with positive current = charge (Battery Data Format).
///
/// Optional instrument columns are `nil` when the cycler does not record them, rather than NaN,
/// so that "not measured" and "measured garbage" stay distinguishable downstream.
public struct Sample: Sendable, Hashable, Codable {
    public var unixTimeSeconds: Double
    public var testTimeSeconds: Double
    public var voltageVolts: Double
    public var currentAmperes: Double
    public var capacityAmpHours: Double?
    public var energyWattHours: Double?
    public var temperatureCelsius: Double?
    public var stepIndex: Int32?
    public var stepType: StepType
    public var cycleIndex: Int32?

    public init(
        unixTimeSeconds: Double = .nan,
        testTimeSeconds: Double,
        voltageVolts: Double,
        currentAmperes: Double,
        capacityAmpHours: Double? = nil,
        energyWattHours: Double? = nil,
        temperatureCelsius: Double? = nil,
        stepIndex: Int32? = nil,
        stepType: StepType = .unknown,
        cycleIndex: Int32? = nil
    ) {
        self.unixTimeSeconds = unixTimeSeconds
        self.testTimeSeconds = testTimeSeconds
        self.voltageVolts = voltageVolts
        self.currentAmperes = currentAmperes
        self.capacityAmpHours = capacityAmpHours
        self.energyWattHours = energyWattHours
        self.temperatureCelsius = temperatureCelsius
        self.stepIndex = stepIndex
        self.stepType = stepType
        self.cycleIndex = cycleIndex
    }
}
