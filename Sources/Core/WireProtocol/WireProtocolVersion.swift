import CellModel
import Foundation

public typealias WireEnvelope = Cellfleet_Wire_V1_Envelope

/// The protocol version this build speaks; `schemas/wire/cellfleet.proto` defines it.
public enum WireProtocol {
    public static let version: UInt32 = 1
    /// The oldest and newest versions this build accepts from a peer.
    public static let supportedVersions: ClosedRange<UInt32> = 1...1
}

extension Cellfleet_Wire_V1_Envelope {
    /// An envelope of the current protocol version around `body`.
    public init(_ body: Cellfleet_Wire_V1_Envelope.OneOf_Body) {
        self.init()
        protocolVersion = WireProtocol.version
        self.body = body
    }
}

extension Cellfleet_Wire_V1_StepType {
    public init(_ stepType: StepType) {
        self = Cellfleet_Wire_V1_StepType(rawValue: Int(stepType.rawValue)) ?? .unknown
    }
}

extension StepType {
    /// Unknown wire values (a newer agent) read as `.other`, never as a crash.
    public init(_ wire: Cellfleet_Wire_V1_StepType) {
        self = StepType(rawValue: Int32(clamping: wire.rawValue)) ?? .other
    }
}

extension Cellfleet_Wire_V1_SampleBatch {
    /// A batch of consecutive samples of one test, starting at `firstSeq`.
    public init(deliveryID: UInt64, testID: String, firstSeq: UInt64, columns: SampleColumns) {
        self.init()
        self.deliveryID = deliveryID
        self.testID = testID
        self.firstSeq = firstSeq
        unixTimeS = columns.unixTimeSeconds
        testTimeS = columns.testTimeSeconds
        voltageV = columns.voltageVolts
        currentA = columns.currentAmperes
        capacityAh = columns.capacityAmpHours
        energyWh = columns.energyWattHours
        temperatureC = columns.temperatureCelsius
        stepIndex = columns.stepIndex
        stepType = columns.stepType.allSatisfy { $0 == .unknown } ? [] : columns.stepType.map(Cellfleet_Wire_V1_StepType.init)
        cycleIndex = columns.cycleIndex
    }

    public var sampleCount: Int { testTimeS.count }
}
