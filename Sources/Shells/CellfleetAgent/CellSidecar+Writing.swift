import CellModel
import Foundation
import TOMLKit

extension CellSidecar {
    /// The sidecar as TOML text that `parse` reads back to the same values (`cellfleet export`
    /// writes it beside a test's samples). Numbers are written by TOMLKit in shortest
    /// round-trip form, so every area, mass and limit reads back as the same double. A
    /// threshold's value is a TOML integer or float where its text is one (as a lab writes
    /// it), else a string; either way `parse` turns it back into the same `NAME=VALUE`.
    public func tomlText(comment: String? = nil) -> String {
        let table = TOMLTable()
        if let cellID { table["cell_id"] = cellID }
        if let cellType { table["cell_type"] = cellType.rawValue }
        if let workingElectrode { table["working_electrode"] = workingElectrode.rawValue }
        if let areaSquareCentimeters { table["area_cm2"] = areaSquareCentimeters }
        if let activeMassMilligrams { table["active_mass_mg"] = activeMassMilligrams }
        if let nominalCapacityMilliampHours { table["nominal_capacity_mah"] = nominalCapacityMilliampHours }
        if let voltageMinVolts { table["voltage_min_v"] = voltageMinVolts }
        if let voltageMaxVolts { table["voltage_max_v"] = voltageMaxVolts }
        if !thresholdAssignments.isEmpty {
            let thresholds = TOMLTable()
            for assignment in thresholdAssignments {
                guard let equals = assignment.firstIndex(of: "=") else { continue }
                let name = assignment[..<equals].trimmingCharacters(in: .whitespaces)
                let value = String(assignment[assignment.index(after: equals)...])
                let trimmed = value.trimmingCharacters(in: .whitespaces)
                if let integer = Int(trimmed) {
                    thresholds[name] = integer
                } else if let real = Double(trimmed), real.isFinite {
                    thresholds[name] = real
                } else {
                    thresholds[name] = value
                }
            }
            table["thresholds"] = thresholds
        }
        if !attributes.isEmpty {
            let attributeTable = TOMLTable()
            for (key, value) in attributes { attributeTable[key] = value }
            table["attributes"] = attributeTable
        }
        let body = table.convert(to: .toml, options: [.allowUnicodeStrings, .indentations])
        let header = comment.map { $0.split(separator: "\n", omittingEmptySubsequences: false).map { "# \($0)" }.joined(separator: "\n") + "\n" } ?? ""
        return header + body + (body.hasSuffix("\n") ? "" : "\n")
    }
}
