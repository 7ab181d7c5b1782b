import Foundation
import Testing
import CellModel
import CellStatistics
@testable import CellfleetReports

@Suite struct ReportOutputTests {
    static let fleet = """
    cell,group,life,failed,channel,kind
    a1,bare,20,1,ch1,short
    a2,bare,35,1,ch2,polarization
    a3,bare,35,0,ch3,
    a4,bare,50,1,ch1,short
    a5,bare,80,0,ch2,
    b1,coated,60,1,ch3,fade
    b2,coated,90,0,ch1,
    b3,coated,120,0,ch2,
    b4,coated,150,0,ch3,
    solo,single,44,1,ch1,short
    """

    @Test func jsonHasTheContractedShape() throws {
        let text = try SurvivalReport.render(csv: Self.fleet, format: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let groups = try #require(object["groups"] as? [String: [String: Any]])
        #expect(Set(groups.keys) == ["bare", "coated", "single"])
        let bare = try #require(groups["bare"])
        #expect(bare["n"] as? Int == 5 && bare["events"] as? Int == 3 && bare["censored"] as? Int == 2)
        #expect(double(bare["median"]) == 50)
        #expect(bare["weibull"] != nil, "3 failures: fitted")
        #expect(groups["coated"]?["weibull"] == nil, "1 failure: omitted")
        #expect(groups["coated"]?["median"] is NSNull, "median not reached is null")
        let km = try #require(bare["km"] as? [[String: Any]])
        #expect(km.map { double($0["time"])! } == [0, 20, 35, 50, 80])
        for row in km { for key in ["time", "survival", "lower", "upper"] { #expect(double(row[key]) != nil) } }
        let kinds = try #require(bare["kinds"] as? [String: Int])
        #expect(kinds == ["short": 2, "polarization": 1])
        let logRank = try #require(object["logrank"] as? [String: Any])
        #expect(logRank["df"] as? Int == 2)
        #expect(double(logRank["chi2"])! >= 0 && double(logRank["p"])! <= 1)
        let channels = try #require(object["channels"] as? [String: Any])
        #expect((channels["test"] as? String)?.contains("Fisher") == true)
    }

    @Test func oneGroupHasNoLogRank() throws {
        let text = try SurvivalReport.render(csv: "cell,group,life,failed\nc1,g,5,1\nc2,g,7,0\n", format: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["logrank"] == nil)
        #expect(object["channels"] == nil)
    }

    @Test func csvIsTheSurvivalTable() throws {
        let text = try SurvivalReport.render(csv: Self.fleet, format: .csv)
        let lines = text.split(separator: "\n")
        #expect(lines.first == "group,time,at_risk,events,censored,survival,lower,upper")
        let report = try SurvivalReport(cells: LifeTable.read(csv: Self.fleet))
        #expect(lines.count == 1 + report.groups.reduce(0) { $0 + $1.kaplanMeier.rows.count })
        // At 35 one failure and one censoring among 4 at risk: S = 4/5 · 3/4.
        #expect(lines.contains { $0.hasPrefix("bare,35.0,4,1,1,0.6") })
        // Round trip: the survival column re-read matches the curve.
        let bareRows = lines.dropFirst().filter { $0.hasPrefix("bare,") }
        let survival = bareRows.map { Double($0.split(separator: ",")[5])! }
        #expect(survival == report.groups[0].kaplanMeier.rows.map(\.survival))
    }

    @Test func tableNamesTheStatisticsAndTheTest() throws {
        let text = try SurvivalReport.render(csv: Self.fleet, format: .table, lifeUnit: "cycles")
        #expect(text.contains("3 groups, 10 cells, 5 failed, 5 censored"))
        #expect(text.contains("median cycles"))
        #expect(text.contains("Log-rank test (3-group omnibus)"))
        #expect(text.contains("Fisher exact"))
        #expect(text.contains("< 3 failures"))
        #expect(text.contains("not reached"))
        #expect(text.contains("Failures by kind"))
    }

    @Test func jsonEscapesNamesAndNeverWritesNonFiniteNumbers() throws {
        #expect(JSONText.quoted("a\"b\\c\nd\u{1}") == "\"a\\\"b\\\\c\\nd\\u0001\"")
        #expect(JSONText.finite(.infinity).render() == "null")
        #expect(JSONText.finite(.nan).render() == "null")
        #expect(JSONText.finite(2.5).render() == "2.5")
        let text = try SurvivalReport.render(csv: "cell,group,life,failed\nc1,\"we\"\"ird, name\",5,1\nc2,x,6,1\n", format: .json)
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect((object?["groups"] as? [String: Any])?["we\"ird, name"] != nil)
    }
}
