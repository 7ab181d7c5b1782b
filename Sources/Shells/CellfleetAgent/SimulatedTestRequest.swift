import CellModel
import CellSimulator
import Foundation
import WireProtocol

/// Why a command cannot be executed, in a sentence for the operator.
struct CommandRefusal: Error, Equatable {
    let message: String
}

/// A StartTest for a simulated channel, checked: protocol `sim:PRESET` names a simulator preset,
/// the test id is a UUID (the coordinator refuses anything else, and a refused TestStart would
/// stay in the spool for ever), and the cell fits the preset. Fields of the cell the command
/// leaves empty are the preset's. The simulator has no half-cell presets, so a half cell is
/// refused rather than simulated as something it is not; and the cell as it will be sent is
/// checked as the coordinator will check it, so the TestStart is not refused there.
struct SimulatedTestRequest: Equatable {
    static let protocolPrefix = "sim:"

    let preset: String
    let testID: String
    let cell: CellMetadata
    /// StartTest.duration_s: the test ends "completed" at this test time; nil = the preset's end.
    var durationSeconds: Double? = nil

    static func parse(_ start: Cellfleet_Wire_V1_StartTest, channelIndex: Int, cellIDPrefix: String) throws(CommandRefusal) -> SimulatedTestRequest {
        guard start.protocol.hasPrefix(protocolPrefix) else {
            throw CommandRefusal(message: "protocol '\(start.protocol)' is not one channel \(start.channelID) can run: a simulated channel runs 'sim:PRESET' (see `cellfleet simulate --list`)")
        }
        let name = String(start.protocol.dropFirst(protocolPrefix.count))
        guard let preset = ScenarioCatalog.preset(named: name) else {
            throw CommandRefusal(message: "protocol '\(start.protocol)': there is no simulator preset '\(name)' (see `cellfleet simulate --list`)")
        }
        guard UUID(uuidString: start.testID) != nil else {
            throw CommandRefusal(message: "test id '\(start.testID)' is not a UUID")
        }
        var cell = SimulatedChannel.defaultCell(of: preset, channelIndex: channelIndex, cellIDPrefix: cellIDPrefix)
        if start.hasCell {
            let given = start.cell
            if let problem = given.problem { throw CommandRefusal(message: problem) }
            switch given.knownCellType {
            case nil where given.cellType == .unspecified: break
            case .symmetric where cell.cellType == .symmetric, .full where cell.cellType == .full: break
            case .half:
                throw CommandRefusal(message: "the simulator has no half-cell presets; preset '\(preset.name)' simulates a \(cell.cellType.rawValue) cell, and the command's cell \(given.cellID) is a half cell")
            default:
                throw CommandRefusal(message: "preset '\(preset.name)' simulates a \(cell.cellType.rawValue) cell; the command's cell \(given.cellID) is not one")
            }
            if !given.cellID.isEmpty { cell.cellID = given.cellID }
            if let area = given.electrodeAreaSquareMeters { cell.electrodeAreaSquareMeters = area }
            if let mass = given.activeMassKilograms { cell.activeMassKilograms = mass }
            if let capacity = given.nominalCapacityAmpHours { cell.nominalCapacityAmpHours = capacity }
            if let minimum = given.voltageMinVolts { cell.voltageMinVolts = minimum }
            if let maximum = given.voltageMaxVolts { cell.voltageMaxVolts = maximum }
            cell.attributes.merge(given.attributes) { _, theirs in theirs }
            if let problem = Cellfleet_Wire_V1_Cell(cell).problem {
                throw CommandRefusal(message: "preset '\(preset.name)' with the command's cell: \(problem)")
            }
        }
        guard start.durationS.isFinite, start.durationS >= 0 else {
            throw CommandRefusal(message: "duration \(start.durationS) s is not a non-negative number")
        }
        return SimulatedTestRequest(
            preset: preset.name, testID: start.testID.lowercased(), cell: cell, durationSeconds: start.durationS > 0 ? start.durationS : nil)
    }
}
