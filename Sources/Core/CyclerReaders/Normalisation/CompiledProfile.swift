import CellModel
import Foundation

/// What a `CyclerProfile` resolves to against one file's header: which column holds each role
/// and in which unit, the sign convention, the cycle-numbering and capacity-counter rules, the
/// instrument's clock and the acquisition start. Worked out once per file, so that the
/// per-record path reads plain values instead of asking the profile (dictionaries of strings)
/// for every field. Throws when the profile cannot read the file at all (a missing column, an
/// unknown time zone), before any record is read.
struct CompiledProfile {
    let profile: CyclerProfile
    /// The file, as it is named in refusals.
    let file: String
    let columns: [ColumnRole: ResolvedColumn]
    /// `columns` by role ordinal: the per-record path must not hash enum strings.
    let slots: [ResolvedColumn?]
    /// Index and scale by role ordinal, without the names: copying these costs no reference counting.
    let fastSlots: [ColumnSlot]
    let timestampUnit: TimestampUnit
    let temperatureInKelvin: Bool
    let zone: TimeZone
    let dateOrder: TimeParsing.DateOrder?
    /// Acquisition start from the header, for files whose records carry only elapsed time.
    let startUnixSeconds: Double?
    let stateRules: [CompiledStateRule]
    /// Seconds per test-time number as the profile declares it, and the other scales the
    /// instrument's clock may show it to be in (declared first).
    let declaredTestTimeScale: Double
    let candidateTestTimeScales: [Double]
    /// Nothing to decide when there is no clock to check the test-time unit against.
    let decidesTestTimeScale: Bool
    // Copied out of `profile` and `columns` for the per-record path.
    let currentSign: CurrentSignConvention
    let cycleNumbering: CycleNumbering
    let hasTestTime: Bool
    let hasTimestamp: Bool
    let hasState: Bool
    let hasCycle: Bool

    enum TimestampUnit { case unixSeconds, unixMilliseconds, days }

    /// A profile's state rule, lower-cased once.
    struct CompiledStateRule {
        enum Kind { case exact, prefix, contains }
        var kind: Kind
        var label: String
        var step: StepType
    }

    init(profile: CyclerProfile, columnNames: [String], metadata: [String: String], file: String, timeZoneOverride: String? = nil, inheritedColumnsStart: Int? = nil) throws {
        self.profile = profile
        self.file = file
        let zoneName = timeZoneOverride ?? profile.timeZone ?? "UTC"
        guard let zone = TimeZone(identifier: zoneName) else {
            throw CyclerReadError(file: file, reason: "unknown time zone '\(zoneName)' in profile \(profile.name)")
        }
        self.zone = zone
        let dateOrder = profile.dateOrder.flatMap { TimeParsing.DateOrder(rawValue: $0) }
        self.dateOrder = dateOrder
        stateRules = (profile.states ?? []).map { rule in
            let kind: CompiledStateRule.Kind = switch rule.match ?? "exact" {
            case "prefix": .prefix
            case "contains": .contains
            default: .exact
            }
            return CompiledStateRule(kind: kind, label: rule.label.lowercased(), step: rule.step.stepType)
        }
        let resolved = try ColumnResolution.resolve(names: columnNames, profile: profile, file: file, inheritedFrom: inheritedColumnsStart)
        columns = resolved
        slots = ColumnRole.allCases.map { resolved[$0] }
        fastSlots = ColumnRole.allCases.map { role in
            resolved[role].map { ColumnSlot(index: $0.index, scale: $0.scale) } ?? ColumnSlot(index: -1, scale: 1)
        }
        timestampUnit = switch resolved[.timestamp]?.unit ?? "unix_s" {
        case "unix_ms": .unixMilliseconds
        case "excel_days", "ole_days": .days
        default: .unixSeconds
        }
        temperatureInKelvin = resolved[.temperature]?.unit == "K"
        let declared = resolved[.testTime]?.unit.flatMap(ColumnResolution.timeScale) ?? 1
        declaredTestTimeScale = declared
        var candidates = [declared]
        for unit in profile.alternativeTestTimeUnits ?? [] {
            if let s = ColumnResolution.timeScale(unit), !candidates.contains(s) { candidates.append(s) }
        }
        candidateTestTimeScales = candidates
        var start: Double? = nil
        if resolved[.timestamp] == nil {
            for key in profile.startTimeKeys ?? [] {
                if let text = Self.lookup(metadata: metadata, key: key),
                   let naive = TimeParsing.naiveEpochSeconds(Substring(text).utf8, order: dateOrder) {
                    var clock = WallClock(zone: zone)
                    start = clock.unixSeconds(naive: naive)
                    break
                }
            }
        }
        startUnixSeconds = start
        decidesTestTimeScale = resolved[.timestamp] != nil && resolved[.testTime] != nil
        currentSign = profile.currentSign
        cycleNumbering = profile.cycleNumbering
        hasTestTime = resolved[.testTime] != nil
        hasTimestamp = resolved[.timestamp] != nil
        hasState = resolved[.state] != nil
        hasCycle = resolved[.cycle] != nil
    }

    /// A header fact by key, as written or loosely (case, surrounding spaces).
    static func lookup(metadata: [String: String], key: String) -> String? {
        if let v = metadata[key] { return v }
        let wanted = key.lowercased().trimmingCharacters(in: .whitespaces)
        for (k, v) in metadata where k.lowercased().trimmingCharacters(in: .whitespaces) == wanted { return v }
        return nil
    }

    /// The names of the file's columns for `roles`, for refusals.
    func columnNames(_ roles: [ColumnRole]) -> [String] {
        roles.compactMap { slots[$0.ordinal]?.name }
    }
}

/// A resolved column reduced to what each record needs; `index` is -1 when the file lacks it.
struct ColumnSlot {
    var index: Int
    var scale: Double
    /// Offset of the column's values in a block row (`ColumnBlocks`), when read through blocks.
    var block: Int = 0
}
