import Testing
@testable import CellStatistics

@Suite struct ChannelFailureRatesTests {
    @Test func fisherTailMatchesScipyHypergeom() {
        let cases = ReferenceData.special["fisher_upper_tail"] as! [[String: Any]]
        for entry in cases {
            let got = ChannelFailureRates.fisherUpperTail(
                failures: entry["failures"] as! Int, cells: entry["cells"] as! Int,
                totalFailures: entry["total_failures"] as! Int, totalCells: entry["total_cells"] as! Int)
            let want = double(entry["p"])!
            #expect(abs(got - want) <= 1e-12 + 1e-9 * want, "\(entry): \(got)")
        }
    }

    @Test func flagsTheChannelThatKillsCells() {
        var cells: [CellLife] = []
        for channel in 1...8 {
            for i in 0..<10 {
                // ch5 fails every cell; the others fail 2 of 10.
                let failed = channel == 5 || i < 2
                cells.append(CellLife(cell: "c\(channel)-\(i)", group: "g\(i % 2)", life: 100, failed: failed,
                                      channel: "ch\(channel)", cycler: channel <= 4 ? "cyclerA" : "cyclerB"))
            }
        }
        let channels = ChannelFailureRates(cells: cells, location: \.channel)
        #expect(channels.entries.count == 8)
        #expect(channels.entries.filter(\.flagged).map(\.name) == ["ch5"])
        let bad = channels.entries.first { $0.name == "ch5" }!
        #expect(bad.failureRate == 1 && abs(bad.restFailureRate - 14.0 / 70) < 1e-12)
        #expect(bad.adjustedPValue == min(1, bad.pValue * 8))
        #expect(abs(channels.fleetFailureRate - 24.0 / 80) < 1e-12)

        // Per cycler the bad channel is diluted by three good ones: rate 40 % vs 20 %, not flagged.
        let cyclers = ChannelFailureRates(cells: cells, location: \.cycler)
        #expect(cyclers.entries.map(\.name) == ["cyclerA", "cyclerB"])
        #expect(cyclers.entries.allSatisfy { !$0.flagged })
    }

    @Test func aChannelBetterThanTheFleetIsNeverFlagged() {
        var cells: [CellLife] = []
        for i in 0..<60 { cells.append(CellLife(cell: "x\(i)", group: "g", life: 1, failed: true, channel: "chA")) }
        for i in 0..<60 { cells.append(CellLife(cell: "y\(i)", group: "g", life: 1, failed: false, channel: "chB")) }
        let rates = ChannelFailureRates(cells: cells, location: \.channel)
        #expect(rates.entries.first { $0.name == "chA" }!.flagged)
        #expect(!rates.entries.first { $0.name == "chB" }!.flagged)
    }
}
