import CyclerReaders
import Foundation
import Testing
@testable import CellfleetReports

@Test func inspectJSONHasTheContractFields() throws {
    let report = try InspectReport.inspect(path: ReportFixtures.cyclerFixture("maccor_txt/maccor_example.001"), library: ReportFixtures.library())
    let object = try JSONSerialization.jsonObject(with: Data(report.jsonText.utf8)) as? [String: Any]
    let json = try #require(object)
    for key in ["format", "rows", "cycles", "cycle_min", "cycle_max", "first_test_time_s", "last_test_time_s", "voltage_max_V", "voltage_min_V", "per_cycle"] {
        #expect(json[key] != nil, "missing \(key)")
    }
    #expect(json["rows"] as? Int == 8)
    #expect((json["per_cycle"] as? [String: Any])?["0"] != nil)
}
