import Foundation

/// A profile drafted for a text export no profile recognises, from the roles inferred from its
/// column names and first rows: what the reader falls back on (and says so), and what
/// `cellfleet profile suggest` prints for a lab to check and save in `agents/profiles/`.
public struct InferredProfile: Sendable {
    public var profile: CyclerProfile
    public var layout: TextLayout
    public var inference: ColumnRoleInference

    /// State labels most vendors use, for a draft whose vendor we do not know: discharge before
    /// charge (`discharge` contains `charge`), exact single letters (Maccor's R/C/D) first.
    static let commonStateRules: [StateRule] = [
        StateRule(match: "exact", label: "R", step: .rest),
        StateRule(match: "exact", label: "C", step: .ccCharge),
        StateRule(match: "exact", label: "D", step: .ccDischarge),
        StateRule(match: "contains", label: "cv dchg", step: .cvDischarge),
        StateRule(match: "contains", label: "cv_dchg", step: .cvDischarge),
        StateRule(match: "contains", label: "dchg", step: .ccDischarge),
        StateRule(match: "contains", label: "discharge", step: .ccDischarge),
        StateRule(match: "contains", label: "放电", step: .ccDischarge),
        StateRule(match: "contains", label: "cv chg", step: .cvCharge),
        StateRule(match: "contains", label: "cv_chg", step: .cvCharge),
        StateRule(match: "contains", label: "chg", step: .ccCharge),
        StateRule(match: "contains", label: "charge", step: .ccCharge),
        StateRule(match: "contains", label: "充电", step: .ccCharge),
        StateRule(match: "contains", label: "rest", step: .rest),
        StateRule(match: "contains", label: "pause", step: .rest),
        StateRule(match: "contains", label: "ocv", step: .rest),
        StateRule(match: "contains", label: "搁置", step: .rest),
        StateRule(match: "contains", label: "静置", step: .rest),
    ]

    /// Finds the table in `head`, infers its roles and drafts the profile; refuses with what was
    /// found and what is missing when time, voltage or current cannot be found.
    public static func infer(path: String, head: [UInt8], name: String? = nil) throws -> InferredProfile {
        guard let table = UnprofiledTableSniffer.find(head: head) else {
            throw CyclerReadError(file: path, reason: "not a recognised cycler text export: no line of column names followed by rows of numbers in the first \(TextLayoutSniffer.maximumHeaderLine) lines")
        }
        let layered = table.layout.layered
        let names = layered.map { $0.recordColumns + $0.cycleColumns + $0.stepColumns } ?? table.layout.columnNames
        var inference = ColumnRoleInference(columnNames: names, inheritedFrom: layered?.recordColumns.count)
        inference.refine(withSampleRows: table.sampleRows)
        guard inference.readsRecords else {
            throw CyclerReadError(file: path, reason: "not a recognised cycler text export: " + inference.refusal)
        }
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let profile = draft(inference: inference, layout: table.layout, rows: table.sampleRows, name: name ?? "draft_" + identifier(stem))
        return InferredProfile(profile: profile, layout: table.layout, inference: inference)
    }

    /// `Cell 7 (run 2)` → `cell_7_run_2`: a profile name that is also a file name.
    static func identifier(_ text: String) -> String {
        var out = ""
        for c in text.lowercased() {
            if c.isASCII, c.isLetter || c.isNumber { out.append(c) } else if out.last != "_" { out.append("_") }
        }
        let trimmed = out.trimmingCharacters(in: CharacterSet(charactersIn: "_"))
        return trimmed.isEmpty ? "export" : trimmed
    }

    static func draft(inference: ColumnRoleInference, layout: TextLayout, rows: [[RawValue]], name: String) -> CyclerProfile {
        let found = inference.assignments
        var columns: [ColumnRole: [ColumnCandidate]] = [:]
        for (role, a) in found {
            columns[role] = [ColumnCandidate(name: a.column, unit: a.unit)]
        }
        let currentSign = signConvention(inference, rows)
        let counter = counterScope(inference, rows)
        let numbering: CycleNumbering = found[.cycle] != nil ? .column : found[.state] != nil ? .chargeAfterDischarge : .firstDirectionRepeats
        var profile = CyclerProfile(name: name, vendor: "unknown", containers: ["text"], columns: columns, currentSign: currentSign, capacityCounter: counter, cycleNumbering: numbering)
        profile.priority = 5
        // Names of the header line the sniffer will see: a layered export's record line.
        let headerWidth = layout.columnNames.count
        var headerSet = [ColumnRole.testTime, .timestamp, .voltage, .current, .cycle].compactMap { found[$0] }.filter { $0.index < headerWidth }.map(\.column)
        if headerSet.count < 2 { headerSet = layout.columnNames.filter { !$0.isEmpty } }
        profile.detect = .init(markers: nil, headerColumns: [headerSet], extensions: nil)
        let delimiter = switch layout.delimiter {
        case 0x09: "tab"
        case UInt8(ascii: ";"): "semicolon"
        default: "comma"
        }
        profile.text = .init(
            delimiters: [delimiter], decimal: layout.decimalSeparator == UInt8(ascii: ",") ? "comma" : "point",
            thousandsSeparators: layout.groupingSeparator == nil ? nil : true, headerPrefix: nil, layered: layout.layered == nil ? nil : true)
        if found[.state] != nil { profile.states = commonStateRules }
        if let time = found[.testTime], time.unitIsAssumed, found[.timestamp] != nil {
            // The instrument's clock decides which unit a unit-less test time is in.
            profile.alternativeTestTimeUnits = ["s", "min", "h"]
        }
        if found[.timestamp] == nil {
            let keys = layout.metadata.keys.filter { key in
                let k = key.lowercased()
                return (k.contains("start") || k.contains("date of test")) && TimeParsing.naiveEpochSeconds(layout.metadata[key]!, order: nil) != nil
            }.sorted()
            if !keys.isEmpty { profile.startTimeKeys = keys }
        }
        profile.description = "Drafted from the column names by role inference; check the units, the sign and the counter rule, then rename it. " + inference.foundDescription
        var notes = ColumnRoleInference.displayOrder.compactMap { role -> String? in
            guard let a = found[role] else { return nil }
            let unit = a.unit.map { ", unit \($0)" + (a.unitIsAssumed ? " (assumed: the name carries none)" : "") } ?? ""
            return "\(ColumnRoleInference.displayName(role)): \"\(a.column)\" (confidence \(ColumnRoleInference.format(a.confidence))\(unit))"
        }
        notes += inference.notes
        notes.append("currentSign \(currentSign.rawValue), capacityCounter \(counter.rawValue), cycleNumbering \(numbering.rawValue): \(ruleReasons(inference, rows, currentSign, counter))")
        let unrecognised = unrecognisedLabels(inference, rows)
        if !unrecognised.isEmpty {
            notes.append("state labels no rule maps (add them to states): " + unrecognised.joined(separator: ", "))
        }
        profile.notes = notes
        return profile
    }

    private static func labels(_ inference: ColumnRoleInference, _ rows: [[RawValue]]) -> [(label: String, current: Double?)] {
        guard let state = inference.assignments[.state] else { return [] }
        let current = inference.assignments[.current]
        return rows.compactMap { row in
            guard state.index < row.count else { return nil }
            let label: String
            switch row[state.index] {
            case .text(let t): label = t
            case .number(let v): label = v == v.rounded() ? String(Int(v)) : "\(v)"
            case .missing: return nil
            }
            var i: Double? = nil
            if let current, current.index < row.count, case .number(let v) = row[current.index] { i = v }
            return (label, i)
        }
    }

    static func stepType(ofLabel label: String) -> StepTypeName? {
        let lower = label.lowercased()
        for rule in commonStateRules {
            let l = rule.label.lowercased()
            let hit = switch rule.match ?? "exact" {
            case "contains": lower.contains(l)
            case "prefix": lower.hasPrefix(l)
            default: lower == l
            }
            if hit { return rule.step }
        }
        return nil
    }

    /// With state labels that say charge or discharge, the label decides the sign (instruments
    /// that write magnitudes and those that write signs read alike); without, positive is charge.
    private static func signConvention(_ inference: ColumnRoleInference, _ rows: [[RawValue]]) -> CurrentSignConvention {
        let directed = labels(inference, rows).contains { entry in
            guard let type = stepType(ofLabel: entry.label) else { return false }
            return type != .rest && type != .other
        }
        return directed ? .fromState : .positiveIsCharge
    }

    /// Counters that fall back at a change of step restart per step; counters that carry on
    /// across steps run through the cycle.
    private static func counterScope(_ inference: ColumnRoleInference, _ rows: [[RawValue]]) -> CapacityCounterRule {
        guard let step = inference.assignments[.step] else { return .perStep }
        let counters = [ColumnRole.capacity, .chargeCapacity, .dischargeCapacity].compactMap { inference.assignments[$0] }
        guard !counters.isEmpty else { return .perStep }
        var resets = 0
        var carries = 0
        for k in 1..<max(1, rows.count) {
            let a = rows[k - 1], b = rows[k]
            guard step.index < a.count, step.index < b.count, a[step.index] != b[step.index] else { continue }
            for c in counters where c.index < a.count && c.index < b.count {
                guard case .number(let before) = a[c.index], case .number(let after) = b[c.index], abs(before) > 1e-12 else { continue }
                if abs(after) < abs(before) * 0.5 { resets += 1 } else { carries += 1 }
            }
        }
        return carries > 0 && resets == 0 ? .cumulativeInCycle : .perStep
    }

    private static func ruleReasons(_ inference: ColumnRoleInference, _ rows: [[RawValue]], _ sign: CurrentSignConvention, _ counter: CapacityCounterRule) -> String {
        var reasons: [String] = []
        reasons.append(sign == .fromState ? "the state labels say charge or discharge" : "no state labels that say the direction: positive current is taken as charge")
        if inference.assignments[.step] == nil {
            reasons.append("no step column to tell the counter's scope (perStep assumed)")
        } else {
            reasons.append(counter == .cumulativeInCycle ? "the counters carry on across steps" : "the counters restart at a step (or the first rows do not tell)")
        }
        return reasons.joined(separator: "; ")
    }

    private static func unrecognisedLabels(_ inference: ColumnRoleInference, _ rows: [[RawValue]]) -> [String] {
        var seen: [String] = []
        for entry in labels(inference, rows) where stepType(ofLabel: entry.label) == nil && !seen.contains(entry.label) {
            seen.append(entry.label)
            if seen.count == 8 { break }
        }
        return seen
    }
}

extension InferredProfile {
    /// What `cellfleet profile suggest` prints: the draft for a text export, and the name of the
    /// profile that already recognises the file, if one does (the draft is then for comparison).
    public static func suggest(path: String, library: ProfileLibrary, name: String? = nil) throws -> (draft: InferredProfile, recognisedBy: String?) {
        guard FileManager.default.fileExists(atPath: path) else { throw CyclerReadError(file: path, reason: "no such file") }
        let head = try TextLayoutSniffer.readHead(path: path)
        if head.isEmpty { throw CyclerReadError(file: path, reason: "the file is empty") }
        if let container = ContainerRegistry.builtIn.classify(path: path, head: head) {
            throw CyclerReadError(file: path, reason: "profile suggest drafts profiles for text exports; this is a \(container) file, whose decoder names its columns itself")
        }
        let recognisedBy = TextLayoutSniffer.detect(path: path, head: head, profiles: library.profiles)?.profile.name
        return (try infer(path: path, head: head, name: name), recognisedBy)
    }

    /// The draft as a profile file (`agents/profiles/*.json`), keys sorted so drafts diff well.
    public var profileJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(profile)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
