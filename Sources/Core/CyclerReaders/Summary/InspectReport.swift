import CellModel
import Foundation

/// What `cellfleet inspect` reports about a file: counts straight from the instrument's own
/// columns, so they can be checked against the vendor software and the fixture provenance.
public struct InspectReport: Sendable {
    public var file: String
    public var format: String
    public var vendor: String
    public var container: String
    public var rows = 0
    public var cycles: [Int] = []
    public var firstTestTimeSeconds: Double?
    public var lastTestTimeSeconds: Double?
    public var firstUnixTimeSeconds: Double?
    public var lastUnixTimeSeconds: Double?
    public var voltageMaxVolts: Double?
    public var voltageMinVolts: Double?
    public var perCycle: [Int: (charge: Double, discharge: Double)] = [:]
    public var warnings: [String] = []
    /// Set when no profile recognised the file and it was read through one inferred from its
    /// column names: which columns were taken, for the user to check (printed on stderr).
    public var inferredProfileNotice: String?

    /// Reads the whole file (streaming) and summarises it.
    public static func inspect(path: String, library: ProfileLibrary, options: CyclerFile.Options = .init()) throws -> InspectReport {
        var reader = try CyclerFile.open(path: path, library: library, options: options)
        let report = try inspect(reader: &reader, path: path)
        guard let summary = reader.instrumentCycleSummary else { return report }
        if let mismatch = disagreement(report.perCycle, summary) {
            // The instrument's own summary decides how its records group into cycles.
            if options.cycleNumberingOverride == nil, reader.profile.cycleNumbering == .firstDirectionRepeats {
                var retry = options
                retry.cycleNumberingOverride = .chargeAfterDischarge
                if let second = try? inspect(path: path, library: library, options: retry) { return second }
            }
            throw CyclerReadError(file: path, reason: "per-cycle capacities from the records disagree with the instrument's own cycle summary: \(mismatch)")
        }
        // They agree to its printed precision: report the instrument's own figures.
        var agreed = report
        for (cycle, values) in summary where agreed.perCycle[cycle] != nil { agreed.perCycle[cycle] = values }
        return agreed
    }

    /// First cycle where our figures and the instrument's differ beyond its printed precision.
    static func disagreement(_ ours: [Int: (charge: Double, discharge: Double)], _ theirs: [Int: (charge: Double, discharge: Double)]) -> String? {
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-6 + 1e-3 * abs(b) }
        let cycles = Set(theirs.keys).union(ours.keys.filter { k in (ours[k]!.charge > 0 || ours[k]!.discharge > 0) })
        for c in cycles.sorted() {
            let o = ours[c] ?? (0, 0)
            let t = theirs[c] ?? (0, 0)
            if !close(o.charge, t.charge) || !close(o.discharge, t.discharge) {
                return "cycle \(c): records give \(o.charge * 1000)/\(o.discharge * 1000) mAh, the summary \(t.charge * 1000)/\(t.discharge * 1000) mAh"
            }
        }
        return nil
    }

    public static func inspect(reader: inout CyclerRecordReader, path: String) throws -> InspectReport {
        var report = InspectReport(file: path, format: reader.profile.name, vendor: reader.profile.vendor, container: reader.sourceFormat)
        var tally = InstrumentCycleCapacityTally(rule: reader.profile.capacityCounter)
        var cycles = Set<Int>()
        var vmin = Double.infinity
        var vmax = -Double.infinity
        while let record = try reader.next() {
            report.rows += 1
            if let c = record.instrumentCycle { cycles.insert(c) }
            if let t = record.testTimeAsWrittenSeconds {
                if report.firstTestTimeSeconds == nil { report.firstTestTimeSeconds = t }
                report.lastTestTimeSeconds = t
            }
            let u = record.sample.unixTimeSeconds
            if u.isFinite {
                if report.firstUnixTimeSeconds == nil { report.firstUnixTimeSeconds = u }
                report.lastUnixTimeSeconds = u
            }
            let v = record.sample.voltageVolts
            if v.isFinite {
                if v < vmin { vmin = v }
                if v > vmax { vmax = v }
            }
            tally.add(record)
        }
        tally.finish()
        if report.rows == 0 { throw CyclerReadError(file: path, reason: "the file has a header but no records") }
        report.cycles = cycles.sorted()
        report.voltageMinVolts = vmin.isFinite ? vmin : nil
        report.voltageMaxVolts = vmax.isFinite ? vmax : nil
        report.perCycle = tally.perCycle
        report.warnings = reader.warnings
        if let inference = reader.inference {
            report.inferredProfileNotice = inference.inferredProfileNotice
        }
        if tally.unexpectedResets > 0 {
            report.warnings.append("capacity counters that should run through a cycle reset \(tally.unexpectedResets) time(s) within a cycle (schedule resets?); per-cycle figures add the counts on both sides of each reset")
        }
        return report
    }
}
