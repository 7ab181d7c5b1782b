import CellModel
import CellStatistics
import Foundation

extension SurvivalReport {
    /// The `stats --json` object. Field names are the contract of the issue: `groups` → name →
    /// `n`, `events`, `censored`, `median`, `km` rows (`time`, `survival`, `lower`, `upper`),
    /// `weibull`; top-level `logrank` (`chi2`, `df`, `p`). Extra fields only add to that.
    public func json() -> String {
        jsonValue().render() + "\n"
    }

    /// The `stats --json` object as a value, for reports that add fields around it (the fleet's
    /// `stats --database` and `GET /stats` say which tests they left out).
    public func jsonValue() -> JSONText {
        var top: [(String, JSONText)] = []
        top.append(("groups", .object(groups.map { ($0.name, Self.groupJSON($0)) })))
        if let logRank {
            top.append(("logrank", .object([
                ("chi2", .finite(logRank.chiSquare)),
                ("df", .integer(logRank.degreesOfFreedom)),
                ("p", .finite(logRank.pValue)),
                ("test", .string(logRank.degreesOfFreedom == 1 ? "two-sample log-rank" : "k-group log-rank (omnibus)")),
            ])))
        }
        if let channels { top.append(("channels", Self.ratesJSON(channels))) }
        if let cyclers { top.append(("cyclers", Self.ratesJSON(cyclers))) }
        return JSONText.object(top)
    }

    private static func groupJSON(_ group: Group) -> JSONText {
        let curve = group.kaplanMeier
        var members: [(String, JSONText)] = [
            ("n", .integer(group.cells)),
            ("events", .integer(group.failures)),
            ("censored", .integer(group.censored)),
            ("median", .finite(curve.medianLife)),
            ("median_lower", .finite(curve.medianLower)),
            ("median_upper", .finite(curve.medianUpper)),
            ("km", .array(curve.rows.map { row in
                .object([
                    ("time", .finite(row.time)),
                    ("survival", .finite(row.survival)),
                    ("lower", .finite(row.lower)),
                    ("upper", .finite(row.upper)),
                    ("at_risk", .integer(row.atRisk)),
                    ("events", .integer(row.failed)),
                    ("censored", .integer(row.censored)),
                ])
            })),
        ]
        if let fit = group.weibull {
            members.append(("weibull", .object([
                ("shape", .finite(fit.shape)),
                ("shape_lower", .finite(fit.shapeInterval.lower)),
                ("shape_upper", .finite(fit.shapeInterval.upper)),
                ("scale", .finite(fit.scale)),
                ("scale_lower", .finite(fit.scaleInterval.lower)),
                ("scale_upper", .finite(fit.scaleInterval.upper)),
                ("b10", .finite(fit.b10)),
                ("b10_lower", .finite(fit.b10Interval.lower)),
                ("b10_upper", .finite(fit.b10Interval.upper)),
                ("indicative_only", .bool(fit.failures < 5)),
            ])))
        } else if let note = group.weibullNote {
            members.append(("weibull_note", .string(note)))
        }
        if let kinds = group.kinds {
            members.append(("kinds", .object(kinds.counts.map { ($0.kind, .integer($0.failures)) })))
        }
        return .object(members)
    }

    private static func ratesJSON(_ rates: ChannelFailureRates) -> JSONText {
        .object([
            ("test", .string(ChannelFailureRates.testName)),
            ("fleet_failure_rate", .finite(rates.fleetFailureRate)),
            ("entries", .array(rates.entries.map { entry in
                .object([
                    ("name", .string(entry.name)),
                    ("n", .integer(entry.cells)),
                    ("events", .integer(entry.failures)),
                    ("failure_rate", .finite(entry.failureRate)),
                    ("rest_failure_rate", .finite(entry.restFailureRate)),
                    ("p", .finite(entry.pValue)),
                    ("p_adjusted", .finite(entry.adjustedPValue)),
                    ("bad", .bool(entry.flagged)),
                ])
            })),
        ])
    }

    /// The `stats --csv` survival table: one row per group and distinct life.
    public func csv() -> String {
        var out = "group,time,at_risk,events,censored,survival,lower,upper\n"
        for group in groups {
            let name = Self.csvField(group.name)
            for row in group.kaplanMeier.rows {
                out += "\(name),\(row.time),\(row.atRisk),\(row.failed),\(row.censored),\(row.survival),\(row.lower),\(row.upper)\n"
            }
        }
        return out
    }

    public static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
