import CellModel
import Foundation
import TOMLKit

/// What a lab knows of a cell, written beside its data file `X.csv` (or `X.mpr`, …) as
/// `X.cell.toml` (docs/cell-metadata.md). `cellfleet detect` reads it when present, and so will the
/// agent beside a file it follows, so a cell is described once for both. Every key is optional;
/// units are the lab's (cm², mg, mAh, V), as on the command line.
///
/// The same value also carries `detect`'s flags, so that "flags override the sidecar" is one
/// function (`overridden(by:)`) tested once rather than a rule per flag.
public struct CellSidecar: Sendable, Equatable {
    public var cellID: String?
    public var cellType: CellType?
    public var workingElectrode: WorkingElectrode?
    public var areaSquareCentimeters: Double?
    public var activeMassMilligrams: Double?
    public var nominalCapacityMilliampHours: Double?
    /// The cycling protocol's voltage limits.
    public var voltageMinVolts: Double?
    public var voltageMaxVolts: Double?
    /// `RULE.name=value`, as `--threshold` spells them; applied in this order, so later ones win.
    public var thresholdAssignments: [String] = []
    public var attributes: [String: String] = [:]

    public init() {}

    /// `X.mpr` → `X.cell.toml` (and `X.csv`, `X.ndax`, …: the last extension is replaced).
    public static func location(besideDataFile path: String) -> URL {
        let data = URL(fileURLWithPath: path)
        let stem = data.pathExtension.isEmpty ? data : data.deletingPathExtension()
        return stem.deletingLastPathComponent().appendingPathComponent(stem.lastPathComponent + ".cell.toml")
    }

    /// The sidecar beside `path`, or nil when there is none. A sidecar that exists but cannot be
    /// read is an error, never ignored: the lab wrote it to be used.
    public static func load(besideDataFile path: String) throws(CellSidecarError) -> CellSidecar? {
        let url = location(besideDataFile: path)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try load(contentsOf: url)
    }

    public static func load(contentsOf url: URL) throws(CellSidecarError) -> CellSidecar {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw CellSidecarError(file: url.path, message: "cannot be read: \(error.localizedDescription)")
        }
        return try parse(text, file: url.path)
    }

    static let knownKeys = [
        "cell_id", "cell_type", "working_electrode", "area_cm2", "active_mass_mg", "nominal_capacity_mah",
        "voltage_min_v", "voltage_max_v", "thresholds", "attributes",
    ]

    /// Reads a sidecar's text; `file` names it in errors. Unknown keys are errors: a misspelt
    /// `active_mass_mg` must not leave the cell without its mass unnoticed.
    public static func parse(_ text: String, file: String) throws(CellSidecarError) -> CellSidecar {
        func fail(_ message: String) -> CellSidecarError { CellSidecarError(file: file, message: message) }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch {
            throw fail("not valid TOML: \(error)")
        }
        if let unknown = table.keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw fail("unknown key '\(unknown)' (known: \(knownKeys.joined(separator: ", ")))")
        }
        func string(_ key: String) throws(CellSidecarError) -> String? {
            guard let value = table[key] else { return nil }
            guard let text = value.string else { throw fail("\(key) must be a string (it is a TOML \(value.type))") }
            return text
        }
        func number(_ key: String) throws(CellSidecarError) -> Double? {
            guard let value = table[key] else { return nil }
            guard let number = value.double ?? value.int.map(Double.init) else { throw fail("\(key) must be a number (it is a TOML \(value.type))") }
            return number
        }
        func choice<T: RawRepresentable & CaseIterable>(_ key: String, _: T.Type) throws(CellSidecarError) -> T? where T.RawValue == String {
            guard let text = try string(key) else { return nil }
            guard let value = T(rawValue: text) else {
                throw fail("\(key) '\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return value
        }

        var sidecar = CellSidecar()
        sidecar.cellID = try string("cell_id")
        if sidecar.cellID?.isEmpty == true { throw fail("cell_id must not be empty") }
        sidecar.cellType = try choice("cell_type", CellType.self)
        sidecar.workingElectrode = try choice("working_electrode", WorkingElectrode.self)
        sidecar.areaSquareCentimeters = try number("area_cm2")
        sidecar.activeMassMilligrams = try number("active_mass_mg")
        sidecar.nominalCapacityMilliampHours = try number("nominal_capacity_mah")
        sidecar.voltageMinVolts = try number("voltage_min_v")
        sidecar.voltageMaxVolts = try number("voltage_max_v")
        if sidecar.workingElectrode != nil, sidecar.cellType != .half {
            throw fail("working_electrode is only for half cells; add cell_type = \"half\"\(sidecar.cellType.map { " (it says \"\($0.rawValue)\")" } ?? "")")
        }
        if let thresholds = table["thresholds"] {
            guard let thresholds = thresholds.table else { throw fail("thresholds must be a [thresholds] table (it is a TOML \(thresholds.type))") }
            sidecar.thresholdAssignments = try assignments(thresholds, prefix: "", fail: fail)
        }
        if let attributes = table["attributes"] {
            guard let attributes = attributes.table else { throw fail("attributes must be an [attributes] table (it is a TOML \(attributes.type))") }
            for key in attributes.keys {
                guard let value = attributes[key]?.string else {
                    throw fail("attributes.\(key) must be a string (it is a TOML \(attributes[key]!.type): quote it)")
                }
                sidecar.attributes[key] = value
            }
        }
        if let problem = sidecar.problem { throw fail(problem) }
        return sidecar
    }

    /// `[thresholds]` as assignments: `P2.ratio = 5` is TOML for a table `P2` holding `ratio`, and
    /// `"P2.ratio" = 5` a key with a dot; both mean the threshold `P2.ratio`.
    private static func assignments(_ table: TOMLTable, prefix: String, fail: (String) -> CellSidecarError) throws(CellSidecarError) -> [String] {
        var result: [String] = []
        for key in table.keys.sorted() {
            let name = prefix + key
            let value = table[key]!
            if let nested = value.table {
                result += try assignments(nested, prefix: name + ".", fail: fail)
            } else if let integer = value.int {
                result.append("\(name)=\(integer)")
            } else if let real = value.double {
                result.append("\(name)=\(real)")
            } else if let text = value.string {
                result.append("\(name)=\(text)")
            } else {
                throw fail("thresholds.\(name) must be a number or a string (it is a TOML \(value.type))")
            }
        }
        return result
    }

    /// Why these values do not describe a cell (a sentence naming the key), or nil. The same rules
    /// as the wire's (`Cellfleet_Wire_V1_Cell.problem`), in the lab's units.
    public var problem: String? {
        for (key, value) in [("area_cm2", areaSquareCentimeters), ("active_mass_mg", activeMassMilligrams),
                             ("nominal_capacity_mah", nominalCapacityMilliampHours)] {
            if let value, !(value > 0 && value.isFinite) { return "\(key) must be positive, not \(value)" }
        }
        for (key, value) in [("voltage_min_v", voltageMinVolts), ("voltage_max_v", voltageMaxVolts)] {
            guard let value else { continue }
            guard value.isFinite else { return "\(key) must be a finite number, not \(value)" }
            // A symmetric cell swings around 0 V; a half or full cell sits at its electrodes' potentials.
            if value < 0, let cellType, cellType != .symmetric {
                return "\(key) \(value) V is negative, which a \(cellType.rawValue) cell's limit is not"
            }
        }
        if let minimum = voltageMinVolts, let maximum = voltageMaxVolts, !(minimum < maximum) {
            return "voltage_min_v \(minimum) V must be below voltage_max_v \(maximum) V"
        }
        return nil
    }

    /// These values where `flags` does not say otherwise: each value `flags` gives replaces this
    /// one; its thresholds apply after these, its attributes over these. A working electrode in
    /// the flags makes the cell a half cell, and a cell type in the flags other than half drops
    /// the electrode named here (it described the cell the flags now say it is not).
    public func overridden(by flags: CellSidecar) -> CellSidecar {
        var result = self
        if let cellType = flags.cellType {
            result.cellType = cellType
            if cellType != .half { result.workingElectrode = nil }
        }
        if let electrode = flags.workingElectrode {
            result.workingElectrode = electrode
            result.cellType = .half
        }
        result.cellID = flags.cellID ?? cellID
        result.areaSquareCentimeters = flags.areaSquareCentimeters ?? areaSquareCentimeters
        result.activeMassMilligrams = flags.activeMassMilligrams ?? activeMassMilligrams
        result.nominalCapacityMilliampHours = flags.nominalCapacityMilliampHours ?? nominalCapacityMilliampHours
        result.voltageMinVolts = flags.voltageMinVolts ?? voltageMinVolts
        result.voltageMaxVolts = flags.voltageMaxVolts ?? voltageMaxVolts
        result.thresholdAssignments = thresholdAssignments + flags.thresholdAssignments
        result.attributes.merge(flags.attributes) { _, flag in flag }
        return result
    }

    /// `metadata` with what this sidecar says in place of what it had (SI units), for a source
    /// that knows its cell only from the file it reads.
    public func applied(to metadata: CellMetadata) -> CellMetadata {
        var cell = metadata
        if let cellID { cell.cellID = cellID }
        if let cellType {
            cell.cellType = cellType
            if cellType != .half { cell.workingElectrode = nil }
        }
        if let workingElectrode { cell.workingElectrode = workingElectrode }
        if let areaSquareCentimeters { cell.electrodeAreaSquareMeters = areaSquareCentimeters / 10_000 }
        if let activeMassMilligrams { cell.activeMassKilograms = activeMassMilligrams / 1_000_000 }
        if let nominalCapacityMilliampHours { cell.nominalCapacityAmpHours = nominalCapacityMilliampHours / 1000 }
        if let voltageMinVolts { cell.voltageMinVolts = voltageMinVolts }
        if let voltageMaxVolts { cell.voltageMaxVolts = voltageMaxVolts }
        cell.attributes.merge(attributes) { _, sidecar in sidecar }
        return cell
    }
}

/// A sidecar that cannot be used, naming its file.
public struct CellSidecarError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let message: String

    public var description: String { "\(file): \(message)" }
}
