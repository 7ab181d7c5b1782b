import Foundation

/// A profile column found in a file's header: its position, its name as the file writes it and
/// the scale from its unit to ours.
struct ResolvedColumn {
    var index: Int
    var name: String
    var unit: String?
    var scale: Double
}

/// Which of a file's columns a profile reads for each role. Instruments and their export
/// software spell the same column in many ways (case, spaces, a BOM, `µ` mangled by a code
/// page), so names are matched as written first and then loosely; a profile that lacks a column
/// the records cannot do without is refused with the names it looked for and the names the file has.
enum ColumnResolution {
    /// Roles a record may take from the cycle and step rows above it in a layered export: the
    /// parents' counters and times are the cycle's and the step's totals, not the record's.
    static let inheritableRoles: Set<ColumnRole> = [.cycle, .halfCycle, .step, .state]

    /// - Parameter inheritedFrom: in a layered export, the index of the first column a record
    ///   inherits from its parent rows; those columns serve only `inheritableRoles`.
    static func resolve(names: [String], profile: CyclerProfile, file: String, inheritedFrom: Int? = nil) throws -> [ColumnRole: ResolvedColumn] {
        // First match, as written, then loosely. A few dozen names: scanning beats hashing them.
        let loose = names.map(normalisedName)
        var resolved: [ColumnRole: ResolvedColumn] = [:]
        // Roles resolve independently: walk the profile's roles rather than look each role up.
        for (role, candidates) in profile.columns {
            let end = inheritableRoles.contains(role) ? names.count : min(names.count, inheritedFrom ?? names.count)
            let ownNames = names[..<end]
            let ownLoose = loose[..<end]
            for candidate in candidates {
                if let i = ownNames.firstIndex(of: candidate.name) ?? ownLoose.firstIndex(of: normalisedName(candidate.name)) {
                    resolved[role] = ResolvedColumn(index: i, name: names[i], unit: candidate.unit, scale: scale(unit: candidate.unit, role: role))
                    break
                }
            }
        }
        func require(_ role: ColumnRole, _ what: String) throws {
            if resolved[role] == nil {
                let looked = (profile.columns[role] ?? []).map(\.name).joined(separator: ", ")
                throw CyclerReadError(file: file, reason: "profile \(profile.name): no \(what) column (looked for: \(looked.isEmpty ? "none configured" : looked)); the file has: \(names.joined(separator: ", "))")
            }
        }
        try require(.voltage, "voltage")
        if resolved[.current] == nil, resolved[.chargeIncrement] == nil { try require(.current, "current") }
        if resolved[.testTime] == nil, resolved[.timestamp] == nil, resolved[.stepTime] == nil { try require(.testTime, "test time") }
        switch profile.cycleNumbering {
        case .column: if resolved[.halfCycle] == nil { try require(.cycle, "cycle") }
        case .halfCycleDiv2: try require(.halfCycle, "half cycle")
        case .chargeAfterDischarge, .firstDirectionRepeats:
            if resolved[.state] == nil, resolved[.current] == nil { try require(.state, "state") }
        }
        return resolved
    }

    /// Column names compared loosely: case, spaces, a BOM and the ways `µ` gets mangled
    /// (Windows-1252 read as UTF-8) do not matter.
    static func normalisedName(_ name: String) -> String {
        // ASCII names (nearly all): the same rule on bytes, without building scalar by scalar.
        var ascii = name
        if let fast = ascii.withUTF8({ bytes -> String? in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, bytes.count)) { out -> String? in
                var n = 0
                for b in bytes {
                    if b >= 0x80 { return nil }
                    if b == 0x20 || b == 0x09 { continue }
                    out[n] = b >= 0x41 && b <= 0x5A ? b + 32 : b
                    n += 1
                }
                return String(decoding: UnsafeBufferPointer(rebasing: out[0..<n]), as: UTF8.self)
            }
        }) {
            return fast
        }
        var scalars = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            switch scalar {
            case " ", "\t", "\u{FEFF}", "\u{A0}": continue
            case "\u{FFFD}", "\u{B5}", "\u{3BC}": scalars.append("u")
            default:
                if scalar.value >= 0x41, scalar.value <= 0x5A {
                    scalars.append(Unicode.Scalar(scalar.value + 32)!)
                } else {
                    scalars.append(scalar)
                }
            }
        }
        return String(scalars)
    }

    /// Seconds per unit of a time column, or nil for a unit that is not a time.
    static func timeScale(_ unit: String) -> Double? {
        switch unit.lowercased() {
        case "s", "sec", "second", "seconds", "hms": 1
        case "ms": 0.001
        case "min", "minute", "minutes": 60
        case "h", "hour", "hours": 3600
        case "d", "day", "days": 86400
        default: nil
        }
    }

    /// The factor from a column's unit to ours (V, A, Ah, Wh, s; temperatures are converted apart).
    static func scale(unit: String?, role: ColumnRole) -> Double {
        guard let unit else { return 1 }
        switch unit {
        case "V", "A", "Ah", "Wh", "C", "K": return 1
        case "mV", "mA", "mAh", "mWh": return 1e-3
        case "uA", "µA", "uAh", "µAh", "uV", "µV": return 1e-6
        case "nA", "nAh": return 1e-9
        case "kWh", "kAh": return 1e3
        default: return timeScale(unit) ?? 1
        }
    }

    /// How a test-time scale is named in a warning.
    static func unitName(_ scale: Double) -> String {
        switch scale { case 60: "minutes"; case 3600: "hours"; case 0.001: "milliseconds"; default: "seconds" }
    }
}
