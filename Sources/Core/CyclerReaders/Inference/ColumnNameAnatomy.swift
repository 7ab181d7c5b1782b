import Foundation

/// A column name taken apart into the words that say what it is and the unit it is written in,
/// the way every vendor spells it: `Test Time (sec)`, `Current(mA)`, `Voltage [V]`, `Ewe/V`,
/// `Q charge/discharge/mA.h`, `current_A`, `TestTime`, `Cyc#`. Role inference reads the words;
/// the unit says which physical quantity the numbers are (a `Capacity` in `mAh/g` is not a
/// capacity, an `Eff(%)` is not a charge) and how to scale them.
struct ColumnNameAnatomy: Sendable, Hashable {
    /// The name as the file writes it.
    var name: String
    /// Lower-case words of the name without its unit: `Test Time (sec)` → `["test", "time"]`,
    /// `TestTime` → `["test", "time"]`, `DChg. Cap.(Ah)` → `["dchg", "cap"]`.
    var words: [String]
    /// The unit as written (`sec`, `mA.h`, `°C`, `h:min:s.ms`), nil when the name carries none.
    var writtenUnit: String?
    /// What the written unit means, when we know it.
    var unit: KnownUnit?

    /// A unit a cycler writes, with the quantity it measures and its spelling in profiles.
    struct KnownUnit: Sendable, Hashable {
        enum Quantity: String, Sendable { case voltage, current, charge, energy, time, duration, temperature, other }
        var quantity: Quantity
        /// Spelling in `ColumnCandidate.unit` (`mAh`, `s`, `C`), nil for `other`.
        var profileUnit: String?
    }

    init(_ name: String) {
        self.name = name
        var base = Substring(name.trimmingCharacters(in: .whitespaces))
        if base.hasPrefix("~") { base = base.dropFirst() }  // BaSyTec's header prefix
        var unitText: String? = nil
        // `Name (unit)`, `Name [unit]` at the end (or `Name (unit) (0x06)`-like trailers are left alone).
        if let last = base.last, last == ")" || last == "]" {
            let open: Character = last == ")" ? "(" : "["
            if let at = base.lastIndex(of: open) {
                let inside = String(base[base.index(after: at)..<base.index(before: base.endIndex)]).trimmingCharacters(in: .whitespaces)
                if Self.knownUnit(inside) != nil || inside.contains(":") || inside == "%" || inside.contains("/") {
                    unitText = inside
                    base = base[..<at]
                }
            }
        }
        // `Name/unit` (EC-Lab, LAND): the last `/` segment when it is a unit.
        if unitText == nil, let slash = base.lastIndex(of: "/") {
            let after = String(base[base.index(after: slash)...]).trimmingCharacters(in: .whitespaces)
            if Self.knownUnit(after) != nil {
                unitText = after
                base = base[..<slash]
            }
        }
        // `name_unit` (machine-style names): a last part that is a unit symbol. Not after a
        // space: Maccor's `Cycle C` is a cycle counter, not a temperature.
        if unitText == nil, let sep = base.lastIndex(of: "_") {
            let after = String(base[base.index(after: sep)...])
            if Self.symbolUnits.contains(after) {
                unitText = after
                base = base[..<sep]
            }
        }
        writtenUnit = unitText
        unit = unitText.flatMap(Self.knownUnit)
        words = Self.words(String(base))
    }

    /// The name's words: camel case split (`TestTime`, `DataPoint`), punctuation dropped
    /// except `#` and `<>` which are dropped too but split words.
    static func words(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        var previous: Character? = nil
        func flush() {
            if !current.isEmpty { result.append(current.lowercased()) }
            current = ""
        }
        for c in text {
            if c.isLetter || c.isNumber {
                if let p = previous, p.isLowercase, c.isUppercase { flush() }
                current.append(c)
            } else {
                flush()
            }
            previous = c
        }
        flush()
        return result
    }

    /// Unit symbols that end machine-style names (`current_A`, `voltage_V`, `time_s`).
    static let symbolUnits: Set<String> = ["V", "mV", "A", "mA", "uA", "Ah", "mAh", "Wh", "mWh", "s", "ms", "min", "h", "C", "K"]

    /// What a written unit means; nil for one we do not recognise.
    static func knownUnit(_ written: String) -> KnownUnit? {
        let compact = written.replacingOccurrences(of: " ", with: "")
        switch compact {
        case "V", "Volts", "Volt", "volt", "volts", "v": return KnownUnit(quantity: .voltage, profileUnit: "V")
        case "mV", "mv": return KnownUnit(quantity: .voltage, profileUnit: "mV")
        case "A", "Amps", "Amp", "amps", "a": return KnownUnit(quantity: .current, profileUnit: "A")
        case "mA", "ma": return KnownUnit(quantity: .current, profileUnit: "mA")
        case "uA", "µA", "μA": return KnownUnit(quantity: .current, profileUnit: "uA")
        case "nA": return KnownUnit(quantity: .current, profileUnit: "nA")
        case "Ah", "A.h", "A·h", "Amp-hr", "ah", "A-h": return KnownUnit(quantity: .charge, profileUnit: "Ah")
        case "mAh", "mA.h", "mA·h", "mAhr", "mah", "mA-h": return KnownUnit(quantity: .charge, profileUnit: "mAh")
        case "uAh", "µAh", "μAh", "µA.h", "uA.h": return KnownUnit(quantity: .charge, profileUnit: "uAh")
        case "Wh", "W.h", "W·h", "Watt-hr", "wh": return KnownUnit(quantity: .energy, profileUnit: "Wh")
        case "mWh", "mW.h", "mW·h", "mwh": return KnownUnit(quantity: .energy, profileUnit: "mWh")
        case "kWh": return KnownUnit(quantity: .energy, profileUnit: "kWh")
        case "s", "sec", "Sec", "secs", "second", "seconds", "S", "SEC": return KnownUnit(quantity: .time, profileUnit: "s")
        case "ms": return KnownUnit(quantity: .time, profileUnit: "ms")
        case "min", "Min", "mins", "minutes": return KnownUnit(quantity: .time, profileUnit: "min")
        case "h", "hr", "Hr", "hrs", "hour", "hours", "H": return KnownUnit(quantity: .time, profileUnit: "h")
        case "°C", "℃", "C", "degC", "deg C", "oC", "ºC", "Celsius": return KnownUnit(quantity: .temperature, profileUnit: "C")
        case "K": return KnownUnit(quantity: .temperature, profileUnit: "K")
        default:
            // `h:min:s.ms`, `hh:mm:ss`: a duration written as clock text.
            if compact.contains(":"), compact.lowercased().contains("h") || compact.lowercased().contains("s") {
                return KnownUnit(quantity: .duration, profileUnit: "s")
            }
            if compact == "%" || compact.contains("/") || compact.lowercased().contains("ohm") || compact == "W" || compact == "mW" || compact == "Ω" {
                return KnownUnit(quantity: .other, profileUnit: nil)
            }
            return nil
        }
    }
}
