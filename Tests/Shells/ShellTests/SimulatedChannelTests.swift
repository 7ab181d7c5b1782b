@testable import CellfleetAgent
import Foundation
import Testing

/// The simulated channel as the agent's first `ChannelSource`: its window from its preset, its
/// pacing, and a resume token that carries the signal on exactly.
@Suite struct SimulatedChannelTests {
    func channel(_ scenario: String, pacing: SimulatedChannel.Pacing = .unpaced) throws -> SimulatedChannel {
        try SimulatedChannel(channelIndex: 2, scenario: scenario, seed: 7, testSecondsPerSample: 60, cellIDPrefix: "lab", pacing: pacing)
    }

    @Test func capabilitiesComeFromThePreset() throws {
        // Preset 1: 0.1 mA/cm² on a 0.785 cm² die, the cycler clamping at ±5 V.
        let symmetric = try channel("1").capabilities
        #expect(abs(symmetric.currentMaxAmperes - 7.85e-5) < 1e-12 && symmetric.currentMinAmperes == -symmetric.currentMaxAmperes)
        #expect(symmetric.voltageMinVolts == -5 && symmetric.voltageMaxVolts == 5)
        // A rate test reaches higher currents than preset 1.
        #expect(try channel("rate-test").capabilities.currentMaxAmperes > symmetric.currentMaxAmperes)
        // Preset 9: a full cell at 0.1 C of 0.91 mAh, charged to 4.2 V.
        let full = try channel("9").capabilities
        #expect(abs(full.currentMaxAmperes - 9.1e-5) < 1e-12 && full.currentMinAmperes == -full.currentMaxAmperes)
        #expect(full.voltageMinVolts == 0 && full.voltageMaxVolts == 4.2)
        #expect(try channel("1").cell.cellID == "lab-ch3-1")
    }

    @Test func aResumedChannelCarriesTheSignalOnExactly() throws {
        var uninterrupted = try channel("4")
        guard case .samples(let first) = uninterrupted.takeSamples(250, unixTimeSeconds: 1) else { Issue.record("no samples"); return }
        #expect(first.count == 250)
        let token = uninterrupted.resumeToken
        #expect(token == .init(scenario: "4", seed: 7, samplesTaken: 250))
        let stored = try ResumeTokenCoding.encode(token)
        var resumed = try SimulatedChannel(
            resumingFrom: try ResumeTokenCoding.decode(SimulatedChannel.ResumeToken.self, from: stored), channelIndex: 2,
            testSecondsPerSample: 60, cell: uninterrupted.cell, pacing: .unpaced)
        // The spool held 10 more than the token knew of (stored before them): skipped.
        uninterrupted.skip(10)
        resumed.skip(10)
        #expect(resumed.takeSamples(100, unixTimeSeconds: 2) == uninterrupted.takeSamples(100, unixTimeSeconds: 2))
        #expect(resumed.resumeToken == uninterrupted.resumeToken)
    }

    @Test func aPacedChannelHandsOutItsRateAndWaitsWhileHeldBack() throws {
        let origin = ContinuousClock.now
        var paced = try channel("1", pacing: .realTime(sampleRateHertz: 20, origin: origin))
        #expect(paced.samplesReady(at: origin, limit: 1000) == 0)
        #expect(paced.samplesReady(at: origin.advanced(by: .milliseconds(500)), limit: 1000) == 10)
        #expect(paced.samplesReady(at: origin.advanced(by: .seconds(1)), limit: 5) == 5)
        guard case .samples(let taken) = paced.takeSamples(20, unixTimeSeconds: 0) else { Issue.record("no samples"); return }
        #expect(taken.count == 20)
        #expect(paced.samplesReady(at: origin.advanced(by: .seconds(1)), limit: 1000) == 0)
        // Held back for a second (a full spool): it does not catch up in a burst.
        paced.holdBack(for: .seconds(1))
        #expect(paced.samplesReady(at: origin.advanced(by: .seconds(2)), limit: 1000) == 0)
        #expect(paced.samplesReady(at: origin.advanced(by: .seconds(3)), limit: 1000) == 20)
    }

    @Test func aSimulatedTestEndsWhenThePresetHasRunItsCourse() throws {
        // Preset 1 runs 3000 h; at 60 000 test seconds a sample it is done after 180 periods (and the step ends logged between them).
        var fast = try SimulatedChannel(channelIndex: 0, scenario: "1", seed: 1, testSecondsPerSample: 60_000, cellIDPrefix: "lab")
        var taken = 0
        while case .samples(let columns) = fast.takeSamples(50, unixTimeSeconds: 0) { taken += columns.count }
        #expect(taken >= 180, "\(taken)")
        #expect(fast.takeSamples(50, unixTimeSeconds: 0) == .testEnded)
    }
}
