import CellModel
import Foundation

/// A simulated cycler channel: a Li | LGPS | Li symmetric cell cycled galvanostatically
/// (±0.1 mA cm⁻² on 0.785 cm², 1-h half-cycles, η ≈ 150 → 200 mV), so that the backbone can be
/// exercised without a cycler. Each sample is a pure function of (seed, channel, sequence number):
/// an agent restarted on its spool carries on the same signal from the next sequence number.
public struct SimulatedChannel: Sendable {
    public var channelIndex: Int
    public var seed: UInt64
    /// Simulated test seconds per sample (1 / rate × speed factor).
    public var testSecondsPerSample: Double

    public static let areaSquareMeters = 0.785e-4
    public static let currentAmperes = 0.1e-3 * 0.785  // 0.1 mA cm⁻² on 0.785 cm²
    public static let halfCycleSeconds = 3600.0

    public init(channelIndex: Int, seed: UInt64, testSecondsPerSample: Double) {
        self.channelIndex = channelIndex
        self.seed = seed
        self.testSecondsPerSample = testSecondsPerSample
    }

    public var cell: CellMetadata {
        CellMetadata(
            cellID: "sim-\(seed)-ch\(channelIndex + 1)", cellType: .symmetric,
            electrodeAreaSquareMeters: Self.areaSquareMeters,
            attributes: ["coating": channelIndex % 2 == 0 ? "LiAlO2" : "bare", "source": "simulated"])
    }

    /// The sample with sequence number `sequence` (1-based).
    public func sample(sequence: UInt64, unixTimeSeconds: Double) -> Sample {
        let testTime = Double(sequence - 1) * testSecondsPerSample
        let halfCycle = Int(testTime / Self.halfCycleSeconds)
        let timeInStep = testTime - Double(halfCycle) * Self.halfCycleSeconds
        let charging = halfCycle % 2 == 0
        let current = charging ? Self.currentAmperes : -Self.currentAmperes
        let overpotential = 0.2 - 0.05 * exp(-testTime / (50 * 3600))
        let noise = (Self.unitNoise(seed: seed, channel: channelIndex, sequence: sequence) - 0.5) * 0.001
        let voltage = (charging ? overpotential : -overpotential) + noise
        let capacity = abs(current) * timeInStep / 3600
        return Sample(
            unixTimeSeconds: unixTimeSeconds, testTimeSeconds: testTime, voltageVolts: voltage,
            currentAmperes: current, capacityAmpHours: capacity, energyWattHours: capacity * overpotential,
            temperatureCelsius: 25 + 0.5 * sin(testTime / 43_200 * .pi),
            stepIndex: Int32(halfCycle + 1),
            stepType: charging ? .constantCurrentCharge : .constantCurrentDischarge,
            cycleIndex: Int32(halfCycle / 2 + 1))
    }

    /// SplitMix64 of the sample's coordinates, in [0, 1).
    static func unitNoise(seed: UInt64, channel: Int, sequence: UInt64) -> Double {
        var z = seed &+ UInt64(channel) &* 0x9E37_79B9_7F4A_7C15 &+ sequence &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}
