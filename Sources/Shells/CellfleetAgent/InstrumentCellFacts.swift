import Foundation

/// What a cycler file's own header says about its cell — BioLogic's active mass and electrode
/// area, Arbin's and Neware's mass and nominal capacity where they export them — in the
/// sidecar's terms, so that it can be laid under the lab's sidecar (which wins) and over the
/// watch's defaults. Keys are matched loosely (case, spaces and punctuation ignored) and only
/// values with a recognised unit are taken: a number without its unit is not guessed at.
enum InstrumentCellFacts {
    static func sidecar(from metadata: [String: String]) -> CellSidecar {
        var facts = CellSidecar()
        for (key, value) in metadata {
            let name = normalised(key)
            if massKeys.contains(name), let mg = quantity(value, units: massUnits) {
                facts.activeMassMilligrams = mg
            } else if areaKeys.contains(name), let cm2 = quantity(value, units: areaUnits) {
                facts.areaSquareCentimeters = cm2
            } else if capacityKeys.contains(name), let mAh = quantity(value, units: capacityUnits) {
                facts.nominalCapacityMilliampHours = mAh
            }
        }
        return facts.problem == nil ? facts : CellSidecar()
    }

    static let massKeys: Set<String> = ["massofactivematerial", "activematerialmass", "activemass", "mass", "specificmass"]
    static let areaKeys: Set<String> = ["electrodesurfacearea", "electrodearea", "area"]
    static let capacityKeys: Set<String> = ["batterycapacity", "nominalcapacity", "capacity"]
    /// Unit → factor to mg, cm², mAh.
    static let massUnits: [String: Double] = ["mg": 1, "g": 1000, "kg": 1_000_000, "µg": 0.001, "ug": 0.001]
    static let areaUnits: [String: Double] = ["cm²": 1, "cm2": 1, "cm^2": 1, "mm²": 0.01, "mm2": 0.01, "m²": 10_000, "m2": 10_000]
    static let capacityUnits: [String: Double] = ["mah": 1, "ah": 1000, "µah": 0.001, "uah": 0.001]

    static func normalised(_ key: String) -> String {
        String(key.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) })
    }

    /// "0.001 mg", "1,234 cm²" (a decimal comma), "12.5mAh" → the number in the target unit.
    static func quantity(_ text: String, units: [String: Double]) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var numberEnd = trimmed.startIndex
        while numberEnd < trimmed.endIndex, "0123456789.,-+eE".contains(trimmed[numberEnd]) { numberEnd = trimmed.index(after: numberEnd) }
        let numberText = trimmed[..<numberEnd].replacingOccurrences(of: ",", with: ".")
        let unit = trimmed[numberEnd...].trimmingCharacters(in: .whitespaces).lowercased()
        guard let number = Double(numberText), number > 0, number.isFinite, let factor = units[unit] else { return nil }
        return number * factor
    }
}
