import Foundation

/// Which column of an export no profile describes holds each role, worked out from the column
/// names and units and checked against the first rows' numbers. Vendor software renames columns
/// without notice; rather than refuse the file with "not recognised", the reader either reads it
/// through a profile built from this (when time, voltage and current are all found with enough
/// confidence) or says exactly what it found and what is missing.
public struct ColumnRoleInference: Sendable {
    /// One role settled on one column.
    public struct Assignment: Sendable, Hashable {
        public var role: ColumnRole
        /// The column's name as the file writes it, and its position in the header.
        public var column: String
        public var index: Int
        /// Profile unit (`mA`, `s`, `text`), nil for cycle, step, state and record index.
        public var unit: String?
        /// 0…1: how sure the name (and, where it was checked, the numbers) make us.
        public var confidence: Double
        /// The name carries no unit; `unit` was assumed or decided from the numbers.
        public var unitIsAssumed: Bool
    }

    /// The roles a record cannot do without.
    public static let requiredRoles: [ColumnRole] = [.testTime, .voltage, .current]
    /// A claim below this is a candidate, not an assignment.
    public static let acceptedConfidence = 0.5

    public let columnNames: [String]
    /// The winning claim for each role found.
    public private(set) var assignments: [ColumnRole: Assignment]
    /// Claims that lost or fell below `acceptedConfidence`, by role: what to name when a role is missing.
    public private(set) var candidates: [ColumnRole: [Assignment]]
    /// How units were decided from the numbers, for the people who check a draft profile.
    public private(set) var notes: [String] = []

    /// Infers roles from `columnNames` alone; `refine(withSampleRows:)` then checks units against numbers.
    /// - Parameter inheritedFrom: in a layered export, the first column that comes from the parent
    ///   (cycle, step) rows: those may only say which cycle and step a record is in.
    public init(columnNames: [String], inheritedFrom: Int? = nil) {
        self.columnNames = columnNames
        var claims: [(index: Int, claim: RoleVocabulary.Claim)] = []
        for (index, name) in columnNames.enumerated() where !name.isEmpty {
            for claim in RoleVocabulary.claims(ColumnNameAnatomy(name))
            where index < (inheritedFrom ?? columnNames.count) || ColumnResolution.inheritableRoles.contains(claim.role) {
                claims.append((index, claim))
            }
        }
        // Strongest claims first; each column takes one role and each role one column.
        claims.sort { $0.claim.confidence != $1.claim.confidence ? $0.claim.confidence > $1.claim.confidence : $0.index < $1.index }
        var assignments: [ColumnRole: Assignment] = [:]
        var usedColumns = Set<Int>()
        var losing: [Assignment] = []
        for (index, claim) in claims {
            let assignment = Assignment(
                role: claim.role, column: columnNames[index], index: index, unit: claim.unit,
                confidence: claim.confidence, unitIsAssumed: claim.unitIsAssumed)
            if claim.confidence >= Self.acceptedConfidence, assignments[claim.role] == nil, !usedColumns.contains(index) {
                assignments[claim.role] = assignment
                usedColumns.insert(index)
            } else {
                losing.append(assignment)
            }
        }
        // A column that won a role is no candidate for another.
        var candidates: [ColumnRole: [Assignment]] = [:]
        for a in losing where !usedColumns.contains(a.index) { candidates[a.role, default: []].append(a) }
        self.assignments = assignments
        self.candidates = candidates
    }

    /// The roles of `requiredRoles` not found; a timestamp stands in for the test time.
    public var missingRoles: [ColumnRole] {
        Self.requiredRoles.filter { role in
            if role == .testTime { return assignments[.testTime] == nil && assignments[.timestamp] == nil }
            return assignments[role] == nil
        }
    }

    /// Whether the records can be read through a profile built from this.
    public var readsRecords: Bool { missingRoles.isEmpty }

    /// `time = "Test Time (sec)" (s, 0.9), voltage = "Voltage" (V, 0.7)`: what was found, in a
    /// fixed order (time, voltage, current, then the others).
    /// What `inspect` and `detect` tell the user (stderr) when a file was read this way.
    public var inferredProfileNotice: String {
        "no profile recognised the header; read through a profile inferred from the column names (`cellfleet profile suggest` drafts it): " + foundDescription
    }

    public var foundDescription: String {
        Self.displayOrder.compactMap { role in assignments[role].map(Self.describe) }.joined(separator: ", ")
    }

    /// `current (candidates: none)`, `voltage (candidates: "Ucell [V]" (0.45))`.
    public var missingDescription: String {
        missingRoles.map { role in
            var pool = candidates[role] ?? []
            if role == .testTime { pool += candidates[.timestamp] ?? [] }
            let names = pool.map { "\"\($0.column)\" (\(Self.format($0.confidence)))" }
            return "\(Self.displayName(role)) (candidates: \(names.isEmpty ? "none" : names.joined(separator: ", ")))"
        }.joined(separator: ", ")
    }

    /// The refusal's reason: what was found and what is missing.
    public var refusal: String {
        "found " + (foundDescription.isEmpty ? "nothing we know" : foundDescription) + "; missing: " + missingDescription
    }

    static let displayOrder: [ColumnRole] = [
        .testTime, .timestamp, .voltage, .current, .capacity, .signedCapacity, .chargeCapacity, .dischargeCapacity,
        .energy, .chargeEnergy, .dischargeEnergy, .cycle, .halfCycle, .step, .stepTime, .state, .temperature, .recordIndex, .chargeIncrement,
    ]

    static func displayName(_ role: ColumnRole) -> String {
        switch role {
        case .testTime: "time"
        case .stepTime: "step time"
        case .recordIndex: "record index"
        case .signedCapacity: "signed capacity"
        case .chargeCapacity: "charge capacity"
        case .dischargeCapacity: "discharge capacity"
        case .chargeEnergy: "charge energy"
        case .dischargeEnergy: "discharge energy"
        case .halfCycle: "half cycle"
        case .chargeIncrement: "charge increment"
        default: role.rawValue
        }
    }

    static func format(_ confidence: Double) -> String {
        let rounded = (confidence * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : "\(rounded)"
    }

    static func describe(_ a: Assignment) -> String {
        let unit = a.unit.map { $0 + ", " } ?? ""
        return "\(displayName(a.role)) = \"\(a.column)\" (\(unit)\(format(a.confidence)))"
    }

    // MARK: checking units against the numbers

    /// Checks assumed units against the first rows: a unit-less voltage in the thousands is mV; a
    /// unit-less current or capacity is taken in the unit that makes the capacity counter rise as
    /// the current integrated over time does; a numeric timestamp is told apart by its magnitude.
    /// Each decision is written to `notes`.
    public mutating func refine(withSampleRows rows: [[RawValue]]) {
        guard !rows.isEmpty else { return }
        func numbers(_ role: ColumnRole) -> [Double] {
            guard let a = assignments[role] else { return [] }
            return rows.compactMap { row in
                guard a.index < row.count, case .number(let v) = row[a.index], v.isFinite else { return nil }
                return v
            }
        }
        if let v = assignments[.voltage], v.unitIsAssumed {
            let values = numbers(.voltage).map(abs).sorted()
            if let median = values.isEmpty ? nil : values[values.count / 2], median > 50 {
                assignments[.voltage]!.unit = "mV"
                notes.append("\"\(v.column)\" has no unit; its values (median \(median)) are taken as mV")
            } else {
                notes.append("\"\(v.column)\" has no unit; taken as V")
            }
        }
        if let t = assignments[.timestamp] {
            let values = numbers(.timestamp)
            if values.count >= max(1, rows.count / 2), let first = values.first {
                let unit = first > 1e11 ? "unix_ms" : first > 1e8 ? "unix_s" : (first > 10_000 && first < 100_000) ? "excel_days" : nil
                if let unit {
                    assignments[.timestamp]!.unit = unit
                    notes.append("\"\(t.column)\" holds numbers (\(first)): read as \(unit)")
                } else {
                    assignments.removeValue(forKey: .timestamp)
                    candidates[.timestamp, default: []].append(t)
                    notes.append("\"\(t.column)\" holds numbers (\(first)) that are no clock we know: not used as a timestamp")
                }
            }
        }
        decideChargeUnits(rows: rows)
    }

    /// The coulomb-counting check: over consecutive rows where a capacity counter rises and
    /// current flows, the counter's rise over ∫|I| dt is 1 when both are in the same family
    /// (A with Ah, mA with mAh) and 1000 or 1/1000 when one is milli.
    private mutating func decideChargeUnits(rows: [[RawValue]]) {
        guard let current = assignments[.current] else { return }
        let counterRole: ColumnRole? = [.capacity, .chargeCapacity, .dischargeCapacity].first { assignments[$0] != nil }
        let counter = counterRole.flatMap { assignments[$0] }
        let currentAssumed = current.unitIsAssumed
        let counterAssumed = counter?.unitIsAssumed ?? false
        guard currentAssumed || counterAssumed else { return }
        let ratio = counter.flatMap { coulombRatio(rows: rows, current: current, counter: $0) }
        func family(_ unit: String?) -> Double { unit.map { ColumnResolution.scale(unit: $0, role: .current) } ?? 1 }
        if let ratio, let counter, let counterRole {
            // ratio = counter rise (in its unit) / ∫|I| dt (current in its unit, per hour)
            let decade = (log10(ratio) / 3).rounded() * 3
            let close = abs(log10(ratio) - decade) < 0.5
            if currentAssumed, !counterAssumed, close {
                // counter (declared) in Ah-scale s_c; current scale s_i: ratio ≈ s_i / s_c
                let currentScale = family(counter.unit) * pow(10, decade)
                let unit = currentScale >= 0.5 ? "A" : currentScale >= 5e-4 ? "mA" : "uA"
                assignments[.current]!.unit = unit
                assignments[.current]!.confidence = max(current.confidence, 0.8)
                notes.append("\"\(current.column)\" has no unit; the rise of \"\(counter.column)\" (\(counter.unit ?? "?")) over the current integrated in time says \(unit)")
                return
            }
            if counterAssumed, !currentAssumed, close {
                let counterScale = family(current.unit) / pow(10, decade)
                let unit = counterScale >= 0.5 ? "Ah" : counterScale >= 5e-4 ? "mAh" : "uAh"
                assignments[counterRole]!.unit = unit
                notes.append("\"\(counter.column)\" has no unit; its rise against the current integrated in time (\(current.unit ?? "?")) says \(unit)")
                alignEnergy(toChargeUnit: unit)
                return
            }
            if currentAssumed, counterAssumed, close, decade == 0 {
                notes.append("\"\(current.column)\" and \"\(counter.column)\" have no units; the counter rises as the current integrates, so they are one family")
            }
        }
        if currentAssumed {
            let peak = rows.compactMap { row -> Double? in
                guard current.index < row.count, case .number(let v) = row[current.index] else { return nil }
                return abs(v)
            }.max() ?? 0
            let milli = peak >= 100
            assignments[.current]!.unit = milli ? "mA" : "A"
            notes.append("\"\(current.column)\" has no unit; taken as \(milli ? "mA" : "A") (|I| up to \(peak) in the first rows\(milli ? "" : "; change it to mA if the cell is a small one"))")
            if counterAssumed, let counterRole {
                assignments[counterRole]!.unit = milli ? "mAh" : "Ah"
                notes.append("\"\(counter!.column)\" has no unit; taken as \(milli ? "mAh" : "Ah") with the current")
                alignEnergy(toChargeUnit: milli ? "mAh" : "Ah")
            }
        } else if counterAssumed {
            notes.append("\"\(counter!.column)\" has no unit; taken as \(counter!.unit ?? "Ah") (the first rows do not tell)")
        }
    }

    /// Unit-less energy counters follow the capacity counters' family.
    private mutating func alignEnergy(toChargeUnit unit: String) {
        for role in [ColumnRole.energy, .chargeEnergy, .dischargeEnergy] where assignments[role]?.unitIsAssumed == true {
            assignments[role]!.unit = unit == "mAh" ? "mWh" : "Wh"
        }
    }

    /// Counter rise over ∫|I| dt / 3600 on the rows where both are meaningful, nil when there are too few.
    private func coulombRatio(rows: [[RawValue]], current: Assignment, counter: Assignment) -> Double? {
        guard let time = assignments[.testTime] else { return nil }
        let timeScale = time.unit.flatMap(ColumnResolution.timeScale) ?? 1
        let step = assignments[.step]
        func number(_ row: [RawValue], _ index: Int) -> Double? {
            guard index < row.count else { return nil }
            switch row[index] {
            case .number(let v): return v.isFinite ? v : nil
            case .text(let t): return TimeParsing.durationSeconds(t)
            case .missing: return nil
            }
        }
        var rise = 0.0
        var charge = 0.0
        var pairs = 0
        for k in 1..<max(1, rows.count) {
            let a = rows[k - 1], b = rows[k]
            if let s = step, number(a, s.index) != number(b, s.index) { continue }
            guard let t0 = number(a, time.index), let t1 = number(b, time.index), t1 > t0,
                  let q0 = number(a, counter.index), let q1 = number(b, counter.index), q1 > q0,
                  let i0 = number(a, current.index), let i1 = number(b, current.index), i0 != 0 || i1 != 0 else { continue }
            rise += q1 - q0
            charge += (abs(i0) + abs(i1)) / 2 * (t1 - t0) * timeScale / 3600
            pairs += 1
        }
        guard pairs >= 3, charge > 0, rise > 0 else { return nil }
        return rise / charge
    }
}
