import DeliveryProtocol
import Foundation
import PropertyBased
import Testing
import WireProtocol

/// A test start is checked at the edge for everything the database would refuse or store as
/// nonsense (issue 17 §1): the refusal names the field, and a good start passes untouched.
@Suite struct TestStartValidationTests {
    static func good() -> Cellfleet_Wire_V1_TestStart {
        var start = Cellfleet_Wire_V1_TestStart()
        start.deliveryID = 1
        start.testID = UUID().uuidString.lowercased()
        start.agentID = "lab-a"
        start.channelID = "ch1"
        start.cell.cellID = "LGPS-042"
        start.cell.cellType = .symmetric
        start.cell.electrodeAreaM2 = 1.13e-4
        start.cell.activeMassKg = 0
        start.cell.nominalCapacityAh = 0
        start.cell.attributes = ["coating": "LiAlO2", "batch": "7"]
        start.startUnixTimeS = 1.7e9
        return start
    }

    @Test func aGoodStartPasses() {
        #expect(DeliveryValidator.validate(Self.good()) == nil)
        var unknowns = Self.good()
        unknowns.cell.cellType = .unspecified
        unknowns.cell.electrodeAreaM2 = 0
        unknowns.cell.attributes = [:]
        #expect(DeliveryValidator.validate(unknowns) == nil, "unspecified type, unknown area and no attributes are fine")
    }

    @Test(arguments: [
        ("area NaN", "cell.electrode_area_m2"), ("mass negative", "cell.active_mass_kg"), ("capacity infinite", "cell.nominal_capacity_ah"),
        ("start NaN", "start_unix_time_s"), ("start far future", "start_unix_time_s"), ("start negative", "start_unix_time_s"),
        ("cell type unknown", "cell.cell_type"), ("electrode unknown", "cell.working_electrode"),
        ("NUL in cell id", "cell.cell_id"), ("NUL in channel", "channel_id"), ("NUL in attribute value", "cell.attributes[coating]"),
        ("NUL in attribute key", "cell.attributes key"), ("long agent id", "agent_id"), ("too many attributes", "cell.attributes has"),
        ("long attribute value", "cell.attributes[notes]"), ("empty attribute key", "empty key"),
        ("inverted limits", "voltage_min_v"),
    ])
    func aBadFieldIsRefusedByName(_ fault: String, field: String) throws {
        var start = Self.good()
        switch fault {
        case "area NaN": start.cell.electrodeAreaM2 = .nan
        case "mass negative": start.cell.activeMassKg = -1e-6
        case "capacity infinite": start.cell.nominalCapacityAh = .infinity
        case "start NaN": start.startUnixTimeS = .nan
        case "start far future": start.startUnixTimeS = 1e300
        case "start negative": start.startUnixTimeS = -5
        case "cell type unknown": start.cell.cellType = .UNRECOGNIZED(9)
        case "electrode unknown": start.cell.workingElectrode = .UNRECOGNIZED(7)
        case "NUL in cell id": start.cell.cellID = "cell\u{0}1"
        case "NUL in channel": start.channelID = "ch\u{0}"
        case "NUL in attribute value": start.cell.attributes["coating"] = "Li\u{0}AlO2"
        case "NUL in attribute key": start.cell.attributes["co\u{0}ating"] = "x"
        case "long agent id": start.agentID = String(repeating: "a", count: DeliveryValidator.maximumIdentifierBytes + 1)
        case "too many attributes":
            start.cell.attributes = Dictionary(uniqueKeysWithValues: (0...DeliveryValidator.maximumAttributes).map { ("k\($0)", "v") })
        case "long attribute value": start.cell.attributes["notes"] = String(repeating: "é", count: DeliveryValidator.maximumAttributeValueBytes / 2 + 1)
        case "empty attribute key": start.cell.attributes[""] = "x"
        case "inverted limits": start.cell.voltageMinV = 4.2; start.cell.voltageMaxV = 3.0
        default: Issue.record("no such fault \(fault)")
        }
        let problem = try #require(DeliveryValidator.validate(start), "\(fault) passed")
        #expect(problem.contains(field), "\(fault): \(problem)")
    }

    /// Whatever the text, a start with a NUL byte anywhere in its strings is refused, and one
    /// within the bounds without a NUL passes.
    @Test func everyStringIsCheckedForNulAndLength() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...5), Gen.int(in: 0...300), Gen.bool) { place, length, withNul in
            var start = Self.good()
            var text = String(repeating: "x", count: length)
            if withNul { text.insert("\u{0}", at: text.index(text.startIndex, offsetBy: length / 2)) }
            switch place {
            case 0: start.agentID = text
            case 1: start.channelID = text
            case 2: start.cell.cellID = text
            case 3: start.cell.attributes["batch"] = text
            case 4: start.cell.attributes[text.isEmpty ? "k" : text] = "v"
            default: start.testID = text
            }
            let problem = DeliveryValidator.validate(start)
            let tooLong = text.utf8.count > DeliveryValidator.maximumIdentifierBytes && place != 3
            if withNul || tooLong {
                #expect(problem != nil, "place \(place), \(text.utf8.count) bytes, NUL \(withNul)")
            } else if place != 5 {
                #expect(problem == nil, "\(problem ?? "")")
            }
        }
    }
}
