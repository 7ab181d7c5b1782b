import CellDetection
import CellModel
import Foundation
import Logging

/// A test's metadata as stored in `tests`, turned into the detection `cellfleet detect` would run
/// on the test's export: the same defaults where a value is unknown (a 10 mm die, a 5 V clamp,
/// the cell type inferred) and the per-test threshold overrides of its attributes.
struct TestMetadata: Sendable {
    var cellType: String?
    var workingElectrode: String?
    var electrodeAreaSquareMeters: Double?
    var activeMassKilograms: Double?
    var nominalCapacityAmpHours: Double?
    var voltageMinVolts: Double?
    var voltageMaxVolts: Double?
    var attributesJSON: String

    var options: (options: DetectionOptions, problems: [String]) {
        var options = DetectionOptions()
        options.cellType = cellType.flatMap(CellType.init(rawValue:))
        options.workingElectrode = workingElectrode.flatMap(WorkingElectrode.init(rawValue:))
        if let area = electrodeAreaSquareMeters { options.areaSquareCentimeters = area * 10_000 }
        options.activeMassMilligrams = activeMassKilograms.map { $0 * 1_000_000 }
        options.nominalCapacityMilliampHours = nominalCapacityAmpHours.map { $0 * 1000 }
        options.voltageMinVolts = voltageMinVolts
        options.voltageMaxVolts = voltageMaxVolts
        var problems: [String] = []
        let attributes = (try? JSONSerialization.jsonObject(with: Data(attributesJSON.utf8))) as? [String: Any] ?? [:]
        for assignment in TestAttributeThresholds.assignments(from: attributes) {
            do { try options.thresholds.apply(assignment: assignment) } catch { problems.append("\(assignment): \(error.description)") }
        }
        return (options, problems)
    }

    /// A bad threshold override is logged and left out: the test is still watched with the rest.
    func detection(cellID: String, logger: Logger) -> TestDetection {
        let (options, problems) = options
        for problem in problems {
            logger.warning("ignoring a threshold override in the test's attributes", metadata: ["cell": "\(cellID)", "problem": "\(problem)"])
        }
        let known = options.cellType != nil
        return TestDetection(cell: options.metadata(cellID: cellID, inferredType: options.cellType ?? .full), cellTypeKnown: known,
                             thresholds: options.thresholds, voltageClampVolts: options.voltageClampVolts)
    }
}
