import CellStatistics
import Foundation

extension SurvivalReport {
    /// The report as plain text for a lab engineer: the summary first (n and failures beside
    /// every statistic, as docs/statistics.md §6 asks), then the group comparison, failure kinds, suspicious
    /// channels, and the Kaplan–Meier steps.
    public func table(lifeUnit: String = "life") -> String {
        var out = ""
        let totalCells = groups.reduce(0) { $0 + $1.cells }
        let totalFailures = groups.reduce(0) { $0 + $1.failures }
        out += "Cycle-life statistics: \(groups.count) group\(groups.count == 1 ? "" : "s"), \(totalCells) cells, "
        out += "\(totalFailures) failed, \(totalCells - totalFailures) censored (still running or stopped). 95 % intervals.\n\n"

        var summary: [[String]] = [["group", "cells", "failed", "censored", "median \(lifeUnit) (95 % CI)",
                                    "Weibull shape (95 % CI)", "scale (95 % CI)", "B10 (95 % CI)"]]
        for group in groups {
            let curve = group.kaplanMeier
            let median = curve.medianLife.map(Self.number) ?? "not reached"
            let interval = curve.medianLower == nil && curve.medianUpper == nil ? ""
                : " (\(curve.medianLower.map(Self.number) ?? "nr")–\(curve.medianUpper.map(Self.number) ?? "nr"))"
            var row = [group.name, "\(group.cells)", "\(group.failures)", "\(group.censored)", median + interval]
            if let fit = group.weibull {
                let mark = fit.failures < 5 ? "*" : ""
                row += ["\(Self.number(fit.shape))\(mark) (\(Self.number(fit.shapeInterval.lower))–\(Self.number(fit.shapeInterval.upper)))",
                        "\(Self.number(fit.scale)) (\(Self.number(fit.scaleInterval.lower))–\(Self.number(fit.scaleInterval.upper)))",
                        "\(Self.number(fit.b10)) (\(Self.number(fit.b10Interval.lower))–\(Self.number(fit.b10Interval.upper)))"]
            } else {
                row += [group.weibullNote == nil ? "< \(Self.minimumFailuresForWeibull) failures" : "no fit", "", ""]
            }
            summary.append(row)
        }
        out += Self.align(summary, rightAligned: [1, 2, 3])
        if groups.contains(where: { ($0.weibull?.failures ?? 5) < 5 }) {
            out += "* fitted on fewer than 5 failures: indicative only.\n"
        }
        for group in groups { if let note = group.weibullNote { out += "\(group.name): \(note).\n" } }
        out += "nr = the curve does not reach 50 % survival within the data.\n"

        if let logRank {
            let kind = logRank.degreesOfFreedom == 1 ? "two-sample" : "\(logRank.groups.count)-group omnibus"
            let verdict = logRank.pValue < 0.05
                ? "the groups' survival differs (p < 0.05)"
                : "no evidence that the groups' survival differs (p ≥ 0.05)"
            out += "\nLog-rank test (\(kind)): chi2 = \(Self.number(logRank.chiSquare)), df = \(logRank.degreesOfFreedom), "
            out += "p = \(Self.pValue(logRank.pValue)): \(verdict).\n"
            if groups.contains(where: { $0.cells < 4 }) {
                out += "Some groups have fewer than 4 cells: the test has little power; compare medians too.\n"
            }
        }

        if groups.contains(where: { $0.kinds != nil }) {
            let kinds = Array(Set(groups.flatMap { $0.kinds?.counts.map(\.kind) ?? [] })).sorted()
            out += "\nFailures by kind (competing causes, counted per group):\n"
            var rows: [[String]] = [["group"] + kinds]
            for group in groups {
                let counts = Dictionary(uniqueKeysWithValues: (group.kinds?.counts ?? []).map { ($0.kind, $0.failures) })
                rows.append([group.name] + kinds.map { "\(counts[$0] ?? 0)" })
            }
            out += Self.align(rows, rightAligned: Set(1...max(1, kinds.count)))
        }

        for (title, rates) in [("channel", channels), ("cycler", cyclers)] {
            guard let rates else { continue }
            out += "\nFailure rate per \(title) (fleet: \(Self.percent(rates.fleetFailureRate))). Test: \(ChannelFailureRates.testName).\n"
            var rows: [[String]] = [[title, "cells", "failed", "rate", "rest of fleet", "p (adjusted)", ""]]
            for entry in rates.entries {
                rows.append([entry.name, "\(entry.cells)", "\(entry.failures)", Self.percent(entry.failureRate),
                             Self.percent(entry.restFailureRate), Self.pValue(entry.adjustedPValue),
                             entry.flagged ? "BAD \(title.uppercased())" : ""])
            }
            out += Self.align(rows, rightAligned: [1, 2, 3, 4, 5])
        }

        for group in groups {
            out += "\nKaplan–Meier, \(group.name) (rows with failures; survival with 95 % CI):\n"
            var rows: [[String]] = [[lifeUnit, "at risk", "failed", "censored", "survival", "lower", "upper"]]
            for row in group.kaplanMeier.rows where row.failed > 0 || row.time == 0 {
                rows.append([Self.number(row.time), "\(row.atRisk)", "\(row.failed)", "\(row.censored)",
                             String(format: "%.4f", row.survival), String(format: "%.4f", row.lower),
                             String(format: "%.4f", row.upper)])
            }
            if rows.count == 2, group.failures == 0 { rows.append(["(no failures: every cell censored)", "", "", "", "", "", ""]) }
            out += Self.align(rows, rightAligned: [0, 1, 2, 3, 4, 5, 6])
        }
        return out
    }

    static func number(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "n/a" : (value > 0 ? "∞" : "−∞") }
        if value == value.rounded(), abs(value) < 1e9 { return String(Int64(value)) }
        let magnitude = abs(value)
        if magnitude >= 1000 { return String(format: "%.0f", value) }
        if magnitude >= 1 { return String(format: "%.4g", value) }
        return String(format: "%.3g", value)
    }

    static func pValue(_ value: Double) -> String {
        value < 1e-4 ? String(format: "%.1e", value) : String(format: "%.4f", value)
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f %%", value * 100) }

    /// A person's table: columns padded to their widest cell, two spaces apart, the given columns
    /// on the right.
    public static func align(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for row in rows {
            var line = ""
            for (i, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[i] - cell.count)
                line += (i == 0 ? "" : "  ") + (rightAligned.contains(i) ? padding + cell : cell + padding)
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}
