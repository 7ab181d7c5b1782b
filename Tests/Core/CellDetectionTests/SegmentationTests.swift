import CellModel
import Foundation
import Testing
import CellDetection

/// Step and cycle segmentation (docs/detectors.md §3.1–§3.2) and the per-step / per-cycle summaries (§3.3–§3.5).
@Suite struct SegmentationTests {
    private func summaries(_ samples: [Sample], cell: CellMetadata) -> (steps: [StepSummary], cycles: [CycleSummary]) {
        var detector = CellDetector(cell: cell)
        detector.collectsSummaries = true
        for sample in samples { _ = detector.ingest(sample) }
        _ = detector.finish()
        return detector.drainSummaries()
    }

    @Test func fullCellCyclesAreDerivedFromCurrentAlone() throws {
        var generator = FullCellGenerator()
        generator.cycles = 6
        generator.noiseVolts = 0
        let (steps, cycles) = summaries(generator.samples(), cell: Detection.fullCell)
        #expect(cycles.map(\.cycle) == [1, 2, 3, 4, 5, 6])
        #expect(steps.count == 24)  // charge, rest, discharge, rest
        #expect(steps.map(\.kind).prefix(4) == [.charge, .rest, .discharge, .rest])
        for cycle in cycles.dropFirst() {
            let efficiency = try #require(cycle.coulombicEfficiency)
            #expect(efficiency > 0.97 && efficiency < 1.03)
            let charge = try #require(cycle.meanChargeVoltageVolts)
            let discharge = try #require(cycle.meanDischargeVoltageVolts)
            #expect(charge > discharge && discharge > 3.0 && charge < 4.2)
            #expect(abs(cycle.restSeconds - 4 * 3600) < 300)
            // 130 mAh/g × 7 mg × 0.943 ≈ 0.86 mAh
            #expect(cycle.dischargeCapacityAmpHours > 0.7e-3 && cycle.dischargeCapacityAmpHours < 1.0e-3)
            #expect(cycle.directCurrentResistanceOhms != nil)
        }
        #expect(cycles.last?.stateOfHealth != nil)
    }

    /// R_DC at charge → rest is mainly ohmic only with fast logging (docs/detectors.md §3.5): at 5 s it
    /// recovers the model's series resistance.
    @Test func directCurrentResistanceAtTheEndOfCharge() throws {
        var generator = FullCellGenerator()
        generator.cycles = 3
        generator.noiseVolts = 0
        generator.intervalSeconds = 5
        let (_, cycles) = summaries(generator.samples(), cell: Detection.fullCell)
        for cycle in cycles {
            let resistance = try #require(cycle.directCurrentResistanceOhms)
            let expected = 40 + 5.7 * Double(cycle.cycle - 1)
            #expect(abs(resistance - expected) / expected < 0.1, "cycle \(cycle.cycle): \(resistance) Ω vs \(expected) Ω")
        }
    }

    @Test func cyclerCycleColumnIsUsedWhenPresent() {
        var generator = FullCellGenerator()
        generator.cycles = 3
        generator.writesCycleIndex = true
        var samples = generator.samples()
        for index in samples.indices { samples[index].cycleIndex = samples[index].cycleIndex.map { $0 + 100 } }
        let (_, cycles) = summaries(samples, cell: Detection.fullCell)
        #expect(cycles.map(\.cycle) == [101, 102, 103])
    }

    @Test func symmetricHalfCyclesCarryOverpotentialStatistics() throws {
        var generator = SymmetricCellGenerator()
        generator.durationHours = 10
        generator.noiseVolts = 0
        let (steps, cycles) = summaries(generator.samples(), cell: Detection.symmetricCell)
        #expect(steps.count == 10)
        #expect(steps.allSatisfy { $0.kind.isActive })
        #expect(cycles.map(\.cycle) == [1, 2, 3, 4, 5])
        for step in steps.dropLast() {
            let plateau = try #require(step.plateauMeanAbsVoltageVolts)
            #expect(abs(plateau - 0.2) < 0.004)  // j·ASR = 0.1 mA/cm² × 2 kΩ·cm²
            #expect(try #require(step.nucleationSpikeVolts) > 0.01)
            #expect(step.endAbsVoltageVolts > plateau)  // end-of-step rise
            #expect(abs(step.capacityAmpHours - 78.5e-6) < 3e-6)
        }
        let hysteresis = try #require(cycles[1].hysteresisVolts)
        #expect(abs(hysteresis - 0.4) < 0.01)
    }

    @Test func aCurrentLevelChangeWithoutReversalOpensANewStep() {
        var samples: [Sample] = []
        for index in 0..<240 {
            let time = Double(index) * 30
            let current = index < 120 ? 1e-4 : 2e-4
            samples.append(Sample(testTimeSeconds: time, voltageVolts: 3.8 + time * 1e-6, currentAmperes: current))
        }
        let (steps, _) = summaries(samples, cell: Detection.fullCell)
        #expect(steps.count == 2)
        #expect(steps.map(\.kind) == [.charge, .charge])
        #expect(abs(steps[1].levelAmperes - 2e-4) < 1e-9)
    }

    @Test func restIsCurrentWithinTwoPercentOfTheLastLevel() {
        var samples: [Sample] = []
        for index in 0..<60 {
            let current = index < 30 ? 1e-4 : 1e-6  // 1 % of the level: rest
            samples.append(Sample(testTimeSeconds: Double(index) * 60, voltageVolts: 3.9, currentAmperes: current))
        }
        let (steps, _) = summaries(samples, cell: Detection.fullCell)
        #expect(steps.map(\.kind) == [.charge, .rest])
    }
}
