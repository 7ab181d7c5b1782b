import Foundation
import TOMLKit

/// A study submitted as TOML (`cellfleet study submit FILE.toml`; the format is
/// docs/scheduling.md §5, the reference study `agents/studies/coating-vs-bare.toml`). Unknown keys
/// are errors: a misspelt `replicate` must not leave a group at its default unnoticed.
public enum StudyFile {
    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    static let studyKeys = ["name", "infant_hours", "infant_cycles", "hard_short_cycles", "priority", "group"]
    static let groupKeys = ["name", "replicates", "protocol", "requirements", "duration_hours", "on_fail", "attributes", "cells"]
    static let cellKeys = ["id", "protocol"]
    static let requirementKeys = ["make", "current_min_a", "current_max_a", "voltage_min_v", "voltage_max_v", "aux_temperature"]

    public static func parse(_ text: String, file: String) throws(Invalid) -> StudyProgress.Plan {
        func fail(_ message: String) -> Invalid { Invalid(description: "\(file): \(message)") }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch { throw fail("not valid TOML: \(error)") }
        try unknownKeys(table, known: studyKeys, where: "", fail: fail)
        guard let name = table["name"]?.string, !name.isEmpty else { throw fail("name is required") }
        guard !name.contains("/") else { throw fail("name must not contain '/' (request ids are STUDY/GROUP/CELL)") }
        let infantHours = try number(table, "infant_hours", where: "", fail: fail)
        let infantCycles = try integer(table, "infant_cycles", where: "", fail: fail)
        let hardShortCycles = try integer(table, "hard_short_cycles", where: "", fail: fail) ?? 1
        let priority = try integer(table, "priority", where: "", fail: fail) ?? 0
        guard let groupArray = table["group"]?.array, !groupArray.isEmpty else { throw fail("at least one [[group]] is required") }
        var groups: [StudyProgress.GroupPlan] = []
        var cellsSeen = Set<String>()
        for element in groupArray {
            guard let group = element.table else { throw fail("group must be [[group]] tables") }
            guard let groupName = group["name"]?.string, !groupName.isEmpty, !groupName.contains("/") else {
                throw fail("every [[group]] needs a name (without '/')")
            }
            let at = "group \(groupName): "
            try unknownKeys(group, known: groupKeys, where: at, fail: fail)
            if groups.contains(where: { $0.name == groupName }) { throw fail("\(at)named twice") }
            guard let replicates = try integer(group, "replicates", where: at, fail: fail), replicates >= 1 else {
                throw fail("\(at)replicates must be a whole number of at least 1")
            }
            guard let protocolText = group["protocol"]?.string, !protocolText.isEmpty else { throw fail("\(at)protocol is required (\"sim:PRESET\" or a vendor schedule's name)") }
            let requirements = try self.requirements(group["requirements"], where: at, fail: fail)
            if protocolText.hasPrefix("sim:"), group["requirements"] != nil { throw fail("\(at)a sim: protocol has no requirements (it runs on a simulated channel)") }
            let onFail = group["on_fail"]?.string ?? "notify"
            guard ["notify", "stop"].contains(onFail) else { throw fail("\(at)on_fail must be \"notify\" or \"stop\"") }
            if let duration = try number(group, "duration_hours", where: at, fail: fail), !(duration > 0) { throw fail("\(at)duration_hours must be positive") }
            var attributes: [String: String] = [:]
            if let value = group["attributes"] {
                guard let table = value.table else { throw fail("\(at)attributes must be a table") }
                for key in table.keys {
                    guard let text = table[key]?.string else { throw fail("\(at)attributes.\(key) must be a string (quote it)") }
                    attributes[key] = text
                }
            }
            guard let cellArray = group["cells"]?.array, !cellArray.isEmpty else { throw fail("\(at)cells (the stock, used in order) is required") }
            var cells: [StudyProgress.StockCell] = []
            for cell in cellArray {
                var stock: StudyProgress.StockCell
                if let id = cell.string {
                    stock = .init(id: id)
                } else if let table = cell.table {
                    try unknownKeys(table, known: cellKeys, where: "\(at)cell: ", fail: fail)
                    guard let id = table["id"]?.string else { throw fail("\(at)a cell table needs an id") }
                    stock = .init(id: id, protocolToRun: table["protocol"]?.string.map { TestProtocol($0, requirements: requirements) })
                } else {
                    throw fail("\(at)a cell is an id or { id = …, protocol = … }")
                }
                guard !stock.id.isEmpty, !stock.id.contains("/") else { throw fail("\(at)cell ids must be non-empty, without '/'") }
                guard cellsSeen.insert(stock.id).inserted else { throw fail("\(at)cell \(stock.id) is listed twice in the study") }
                cells.append(stock)
            }
            groups.append(.init(
                name: groupName, replicates: replicates, protocolToRun: TestProtocol(protocolText, requirements: requirements),
                durationHours: try number(group, "duration_hours", where: at, fail: fail), onFail: onFail, attributes: attributes, cells: cells))
        }
        return StudyProgress.Plan(name: name, priority: priority, infantHours: infantHours, infantCycles: infantCycles,
                                  hardShortCycles: hardShortCycles, groups: groups)
    }

    private static func unknownKeys(_ table: TOMLTable, known: [String], where at: String, fail: (String) -> Invalid) throws(Invalid) {
        if let unknown = table.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("\(at)unknown key '\(unknown)' (known: \(known.joined(separator: ", ")))")
        }
    }

    private static func number(_ table: TOMLTable, _ key: String, where at: String, fail: (String) -> Invalid) throws(Invalid) -> Double? {
        guard let value = table[key] else { return nil }
        guard let number = value.double ?? value.int.map(Double.init), number.isFinite, number >= 0 else {
            throw fail("\(at)\(key) must be a non-negative number")
        }
        return number
    }

    private static func integer(_ table: TOMLTable, _ key: String, where at: String, fail: (String) -> Invalid) throws(Invalid) -> Int? {
        guard let value = table[key] else { return nil }
        guard let number = value.int else { throw fail("\(at)\(key) must be a whole number") }
        return number
    }

    private static func requirements(_ value: TOMLValueConvertible?, where at: String, fail: (String) -> Invalid) throws(Invalid) -> ChannelRequirements {
        guard let value else { return ChannelRequirements() }
        guard let table = value.table else { throw fail("\(at)requirements must be a table") }
        try unknownKeys(table, known: requirementKeys, where: "\(at)requirements: ", fail: fail)
        func optional(_ key: String) throws(Invalid) -> Double? {
            guard let value = table[key] else { return nil }
            guard let number = value.double ?? value.int.map(Double.init), number.isFinite else { throw fail("\(at)requirements.\(key) must be a number") }
            return number
        }
        return ChannelRequirements(
            make: table["make"]?.string, currentMinAmperes: try optional("current_min_a"), currentMaxAmperes: try optional("current_max_a"),
            voltageMinVolts: try optional("voltage_min_v"), voltageMaxVolts: try optional("voltage_max_v"),
            auxTemperature: table["aux_temperature"]?.bool ?? false)
    }
}
