import CellModel
import Foundation
import Testing
import CellDetection

@Test func scratchPrint() {
    var healthy = SymmetricCellGenerator()
    healthy.durationHours = 100
    healthy.areaSpecificResistance = { t in 2000 - 500 * exp(-t / 50) + 0.1 * t }
    for a in Detection.run(healthy.samples(), cell: Detection.symmetricCell) { print("healthy", a.rule, a.severity, a.testTimeSeconds / 3600, a.evidence) }
    var bare = SymmetricCellGenerator()
    bare.durationHours = 300
    bare.areaSpecificResistance = { t in 1000 * exp(t / 60) }
    for a in Detection.run(bare.samples(), cell: Detection.symmetricCell) { print("bare", a.rule, a.severity, a.testTimeSeconds / 3600, a.evidence) }
    var short = SymmetricCellGenerator()
    short.intervalSeconds = 10
    short.durationHours = 30
    short.shortResistance = { t in t >= 20.283 ? 5 : nil }
    for a in Detection.run(short.samples(), cell: Detection.symmetricCell) { print("short", a.rule, a.severity, a.testTimeSeconds / 3600, a.evidence) }
    var full = FullCellGenerator()
    full.cycles = 12
    let fs = full.samples()
    print("full samples", fs.count, fs.last!.testTimeSeconds / 3600)
    for a in Detection.run(fs, cell: Detection.fullCell) { print("full", a.rule, a.severity, a.testTimeSeconds / 3600, a.cycle, a.evidence) }
    var leak = FullCellGenerator()
    leak.cycles = 12
    leak.shortOhms = { c, _, _ in c >= 9 ? 300_000 : nil }
    for a in Detection.run(leak.samples(), cell: Detection.fullCell) { print("leak", a.rule, a.severity, a.testTimeSeconds / 3600, a.cycle, a.evidence) }
}
