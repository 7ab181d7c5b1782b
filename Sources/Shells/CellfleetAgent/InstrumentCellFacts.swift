import Foundation

/// What a cycler file's own header says about its cell — BioLogic's "Mass of active material",
/// "Electrode surface area" and "Battery capacity", Novonix's "[Summary]" mass, capacity and area —
/// in the sidecar's terms, laid under the lab's own statements (sidecar, then the watch's
/// defaults), which win: instrument fields are often left at the software's defaults.
///
/// Only values with a recognised unit (in the value, "0,85 mg", or in the key, "Mass (g)") are
/// taken, and EC-Lab's placeholder 0.001 (what a field shows when nobody set it) is not: a
/// number is never guessed at.
enum InstrumentCellFacts {
    static func sidecar(from metadata: [String: String]) -> CellSidecar {
        var facts = CellSidecar()
        for (key, value) in metadata {
            let (name, keyUnit) = split(key)
            if massKeys.contains(name), let mg = quantity(value, keyUnit: keyUnit, units: massUnits) {
                facts.activeMassMilligrams = mg
            } else if areaKeys.contains(name), let cm2 = quantity(value, keyUnit: keyUnit, units: areaUnits) {
                facts.areaSquareCentimeters = cm2
            } else if capacityKeys.contains(name), let mAh = quantity(value, keyUnit: keyUnit, units: capacityUnits) {
                facts.nominalCapacityMilliampHours = mAh
            }
        }
        return facts.problem == nil ? facts : CellSidecar()
    }

    static let massKeys: Set<String> = ["massofactivematerial", "activematerialmass", "activemass", "mass"]
    static let areaKeys: Set<String> = ["electrodesurfacearea", "electrodearea", "area"]
    static let capacityKeys: Set<String> = ["batterycapacity", "nominalcapacity", "capacity"]
    /// Unit (lower case, dots dropped) → factor to mg, cm², mAh.
    static let massUnits: [String: Double] = ["mg": 1, "g": 1000, "kg": 1_000_000, "µg": 0.001, "ug": 0.001]
    static let areaUnits: [String: Double] = ["cm²": 1, "cm2": 1, "cm^2": 1, "mm²": 0.01, "mm2": 0.01, "m²": 10_000, "m2": 10_000]
    static let capacityUnits: [String: Double] = ["mah": 1, "ah": 1000, "µah": 0.001, "uah": 0.001]

    /// "Mass (g)" → ("mass", "g"); "Mass of active material" → ("massofactivematerial", nil).
    static func split(_ key: String) -> (name: String, unit: String?) {
        var name = key
        var unit: String?
        if let open = key.lastIndex(of: "("), let close = key.lastIndex(of: ")"), open < close {
            unit = String(key[key.index(after: open)..<close])
            name = String(key[..<open])
        }
        return (String(name.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }), unit)
    }

    /// "0,001 mg", "1,300 A.h", "12.5mAh", or a plain number with the key's unit → the number in
    /// the target unit; nil without a known unit, for a placeholder or an impossible value.
    static func quantity(_ text: String, keyUnit: String?, units: [String: Double]) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var numberEnd = trimmed.startIndex
        while numberEnd < trimmed.endIndex, "0123456789.,-+eE".contains(trimmed[numberEnd]) { numberEnd = trimmed.index(after: numberEnd) }
        let numberText = trimmed[..<numberEnd].replacingOccurrences(of: ",", with: ".")
        let valueUnit = trimmed[numberEnd...].trimmingCharacters(in: .whitespaces)
        let unit = (valueUnit.isEmpty ? keyUnit ?? "" : valueUnit).lowercased().replacingOccurrences(of: ".", with: "")
            .replacingOccurrences(of: "\u{FFFD}", with: "²")
        guard let number = Double(numberText), number > 0, number.isFinite, number != 0.001, let factor = units[unit] else { return nil }
        return number * factor
    }
}
