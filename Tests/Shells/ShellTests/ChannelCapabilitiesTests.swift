import CellfleetAgent
import Foundation
import Testing

/// A channel's capabilities gained `auxTemperature`: JSON written before it reads as "no probe"
/// (the wire's default), and what is written now round-trips.
@Suite struct ChannelCapabilitiesTests {
    @Test func jsonWithoutTheProbeReadsAsNoProbeAndTheFieldRoundTrips() throws {
        let old = #"{"currentMinAmperes":-0.005,"currentMaxAmperes":0.005,"voltageMinVolts":-5,"voltageMaxVolts":5}"#
        let decoded = try JSONDecoder().decode(ChannelCapabilities.self, from: Data(old.utf8))
        #expect(decoded == ChannelCapabilities(currentMinAmperes: -0.005, currentMaxAmperes: 0.005, voltageMinVolts: -5, voltageMaxVolts: 5))
        #expect(decoded.auxTemperature == false)

        let probed = ChannelCapabilities(currentMinAmperes: -1, currentMaxAmperes: 1, voltageMinVolts: 0, voltageMaxVolts: 4.5, auxTemperature: true)
        let again = try JSONDecoder().decode(ChannelCapabilities.self, from: JSONEncoder().encode(probed))
        #expect(again == probed)
        #expect(again.auxTemperature)
    }
}
