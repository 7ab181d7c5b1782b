import CellDetection
import CellModel
import Foundation
import Logging
import PostgresNIO

/// The cell a test's live detection judges, in the sidecar's terms (the lab's units: cm², mg,
/// mAh, V), so that `cellfleet export` can write it beside the samples and `cellfleet detect`
/// judges the same cell. It is derived by `TestMetadata.options`, the very function live
/// detection uses: the same unit conversions (so the same doubles), the same defaults (the
/// 0.785 cm² die when the area is unknown) and the same threshold overrides from the test's
/// attributes, of which only those live detection applied are kept.
public struct TestCellDescription: Sendable, Equatable {
    public var testID: UUID
    public var agentID: String
    public var channelID: String
    public var cellID: String
    /// nil: unknown, inferred from the voltage by both.
    public var cellType: CellType?
    public var workingElectrode: WorkingElectrode?
    public var areaSquareCentimeters: Double?
    public var activeMassMilligrams: Double?
    public var nominalCapacityMilliampHours: Double?
    public var voltageMinVolts: Double?
    public var voltageMaxVolts: Double?
    /// (threshold name, value text) as `detect --threshold NAME=VALUE` takes them, in the order
    /// live detection applied them.
    public var thresholds: [(name: String, value: String)]
    /// Threshold overrides in the attributes that live detection refused (and so does not use).
    public var refusedThresholds: [String]
    /// The test's attributes that are strings (scenario, on_fail, grouping), thresholds aside.
    public var attributes: [String: String]

    public static func == (a: Self, b: Self) -> Bool {
        a.testID == b.testID && a.cellID == b.cellID && a.cellType == b.cellType && a.workingElectrode == b.workingElectrode
            && a.areaSquareCentimeters == b.areaSquareCentimeters && a.activeMassMilligrams == b.activeMassMilligrams
            && a.nominalCapacityMilliampHours == b.nominalCapacityMilliampHours && a.voltageMinVolts == b.voltageMinVolts
            && a.voltageMaxVolts == b.voltageMaxVolts && a.thresholds.map(\.name) == b.thresholds.map(\.name)
            && a.thresholds.map(\.value) == b.thresholds.map(\.value) && a.attributes == b.attributes
    }

    /// The test's description, or nil if there is no such test.
    public static func load(test testID: UUID, client: PostgresClient, logger: Logger) async throws -> TestCellDescription? {
        let rows = try await client.query("""
            SELECT agent_id, channel_id, cell_id, cell_type, working_electrode, electrode_area_m2, active_mass_kg,
                   nominal_capacity_ah, voltage_min_v, voltage_max_v, attributes::text
            FROM tests WHERE test_id = \(testID)
            """, logger: logger)
        for try await row in rows {
            let r = row.makeRandomAccess()
            let metadata = TestMetadata(
                cellType: try r[3].decode(String?.self), workingElectrode: try r[4].decode(String?.self),
                electrodeAreaSquareMeters: try r[5].decode(Double?.self), activeMassKilograms: try r[6].decode(Double?.self),
                nominalCapacityAmpHours: try r[7].decode(Double?.self), voltageMinVolts: try r[8].decode(Double?.self),
                voltageMaxVolts: try r[9].decode(Double?.self), attributesJSON: try r[10].decode(String.self))
            return describe(testID: testID, agentID: try r[0].decode(String.self), channelID: try r[1].decode(String.self),
                            cellID: try r[2].decode(String.self), metadata: metadata)
        }
        return nil
    }

    static func describe(testID: UUID, agentID: String, channelID: String, cellID: String, metadata: TestMetadata) -> TestCellDescription {
        let (options, _) = metadata.options
        let attributes = (try? JSONSerialization.jsonObject(with: Data(metadata.attributesJSON.utf8))) as? [String: Any] ?? [:]
        // The assignments live detection applied, each checked as it checked them.
        var applied: [(name: String, value: String)] = []
        var refused: [String] = []
        var probe = DetectorThresholds.defaults
        for assignment in TestAttributeThresholds.assignments(from: attributes) {
            do {
                try probe.apply(assignment: assignment)
                let equals = assignment.firstIndex(of: "=")!
                applied.append((assignment[..<equals].trimmingCharacters(in: .whitespaces), String(assignment[assignment.index(after: equals)...])))
            } catch {
                refused.append(assignment)
            }
        }
        var strings: [String: String] = [:]
        for (key, value) in attributes where !key.hasPrefix(TestAttributeThresholds.attributePrefix) {
            if let text = value as? String { strings[key] = text }
        }
        return TestCellDescription(
            testID: testID, agentID: agentID, channelID: channelID, cellID: cellID, cellType: options.cellType,
            workingElectrode: options.workingElectrode, areaSquareCentimeters: options.areaSquareCentimeters,
            activeMassMilligrams: options.activeMassMilligrams, nominalCapacityMilliampHours: options.nominalCapacityMilliampHours,
            voltageMinVolts: options.voltageMinVolts, voltageMaxVolts: options.voltageMaxVolts,
            thresholds: applied, refusedThresholds: refused, attributes: strings)
    }
}
