import CellModel
import Testing
@testable import CellSimulator

struct ScenarioCatalogTests {
    @Test func theTwelveScenariosAndTheirVariantsExist() {
        let names = ScenarioCatalog.scenarios.map(\.name)
        #expect(names == ["1", "2", "2b", "3", "4", "5", "6", "6b", "7", "8", "9", "10", "11", "12"])
    }

    @Test func namesAndAliasesAreUniqueAndResolve() {
        var seen = Set<String>()
        for preset in ScenarioCatalog.all {
            for key in [preset.name] + preset.aliases {
                #expect(!seen.contains(key.lowercased()), "duplicate name \(key)")
                seen.insert(key.lowercased())
                #expect(ScenarioCatalog.preset(named: key)?.name == preset.name)
            }
        }
        #expect(ScenarioCatalog.preset(named: "coated-long-run")?.name == "1")
        #expect(ScenarioCatalog.preset(named: "COATED-LONG-RUN")?.name == "1")
        #expect(ScenarioCatalog.preset(named: "no-such-scenario") == nil)
    }

    @Test func paperGroupListsThePaperStudy() {
        let paper = ScenarioCatalog.presets(named: "paper")!.map(\.name)
        for name in [
            "paper-sym-bare-0.1", "paper-sym-bare-0.5", "paper-sym-bare-1.0",
            "paper-sym-coated-0.1", "paper-sym-coated-0.5", "paper-sym-coated-1.0",
            "paper-sym-rate", "paper-full-coated", "paper-full-bare", "paper-rate-capability",
        ] {
            #expect(paper.contains(name))
        }
        #expect(paper.allSatisfy { $0.hasPrefix("paper-") })
        #expect(ScenarioCatalog.presets(named: "4")?.map(\.name) == ["4"])
        #expect(ScenarioCatalog.presets(named: "all")?.count == ScenarioCatalog.all.count)
    }

    @Test func cellMetadataIsSI() {
        for preset in ScenarioCatalog.all {
            #expect(abs(preset.cell.electrodeAreaSquareMeters! - 0.785e-4) < 1e-12)
            switch preset.model {
            case .symmetric:
                #expect(preset.cell.cellType == .symmetric)
                #expect(preset.voltageClampVolts == 5)
            case .full:
                #expect(preset.cell.cellType == .full)
                #expect(preset.cell.activeMassKilograms == 7e-6)
                #expect(preset.cell.nominalCapacityAmpHours == 0.91e-3)
            }
        }
    }

    /// The docs/detectors.md §8.2 windows, spot-checked against the table.
    @Test func expectationsFollowTheDesignTable() {
        let hour = 3600.0
        #expect(preset("1").expectation.healthy && preset("2").expectation.healthy && preset("2b").expectation.healthy)
        #expect(preset("3").expectation.forbiddenRules == ["P1", "P2", "P3"])
        let four = preset("4").expectation
        #expect(!four.healthy)
        #expect(four.expectedAlerts.map(\.rules) == [["P1"], ["P2"], ["P4"]])
        #expect(four.expectedAlerts[1].earliestTestTimeSeconds == 100 * hour && four.expectedAlerts[1].latestTestTimeSeconds == 112 * hour)
        let five = preset("5").expectation.expectedAlerts[0]
        #expect(five.rules == ["H1"])
        #expect(abs(five.earliestTestTimeSeconds! / hour - 400.283) < 0.001)
        #expect(abs(five.latestTestTimeSeconds! / hour - 400.295) < 0.001)
        #expect(preset("6").expectation.expectedAlerts[0].rules == ["S1", "S2"])
        #expect(preset("6").expectation.expectedAlerts[1].latestTestTimeSeconds == 450.02 * hour)
        #expect(preset("6b").expectation.expectedAlerts[1].latestTestTimeSeconds == 450.05 * hour)
        #expect(preset("6").expectation.quietBeforeTestTimeSeconds == 300 * hour)
        #expect(preset("7").expectation.expectedAlerts[0].earliestTestTimeSeconds == 565 * hour)
        #expect(preset("7").expectation.forbiddenRules.isSuperset(of: ["P1", "P2", "P3"]))
        #expect(preset("8").expectation.forbiddenRules == ["P1", "P2", "P3"])
        #expect(preset("9").expectation.healthy && preset("9").expectation.allowedOnHealthy == ["R1"])
        let ten = preset("10").expectation
        #expect(ten.expectedAlerts.map(\.rules) == [["E2"], ["E1"]])
        #expect(ten.expectedAlerts[0].earliestCycle == 6 && ten.expectedAlerts[0].latestCycle == 8)
        #expect(ten.expectedAlerts[1].earliestCycle == 10)
        #expect(preset("11").expectation.quietBeforeCycle == 30)
        #expect(preset("11").expectation.expectedAlerts[0].latestSecondsIntoCycle == hour)
        #expect(preset("12").expectation.forbiddenRules == ["S5"])
        #expect(preset("12").expectation.expectedAlerts[0].rules == ["S7"] && preset("12").expectation.expectedAlerts[0].earliestCycle == 20)
    }

    /// Every preset streams well-formed samples: times strictly increase, values are finite,
    /// the clamp holds, and a full-cell run ends with its last programmed cycle.
    @Test(arguments: ScenarioCatalog.all.map(\.name))
    func everyPresetStreamsWellFormedSamples(name: String) {
        let preset = preset(name)
        var simulation = CellSimulation(preset: preset, seed: 9, sampleIntervalSeconds: max(preset.sampleIntervalSeconds, 120))
        var previous = -Double.infinity
        var count = 0
        var lastCycle: Int32 = 0
        while let sample = simulation.next() {
            #expect(sample.testTimeSeconds > previous)
            #expect(sample.voltageVolts.isFinite && sample.currentAmperes.isFinite)
            if let clamp = preset.voltageClampVolts { #expect(abs(sample.voltageVolts) <= clamp) }
            #expect(sample.cycleIndex! >= lastCycle)
            previous = sample.testTimeSeconds
            lastCycle = sample.cycleIndex!
            count += 1
        }
        #expect(count > 100)
        #expect(previous <= preset.durationSeconds)
        if case let .full(parameters) = preset.model {
            #expect(Int(lastCycle) == parameters.protocolStages.reduce(0) { $0 + ($1.cycles ?? 0) })
        }
    }

    @Test func optionsApplyToTheSimulation() {
        let simulation = SimulationOptions(seed: 5, sampleIntervalSeconds: 30, durationHours: 2).simulation(of: preset("1"))
        #expect(simulation.seed == 5 && simulation.sampleIntervalSeconds == 30 && simulation.durationSeconds == 7200)
        #expect(Array(simulation).count == 241)
    }
}
