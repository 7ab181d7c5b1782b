import CellStatistics
import Foundation
import Testing
@testable import CellfleetReports

/// `stats --json` against the committed lifelines reference, and the input errors it passes on.
@Suite struct StatsOutputTests {

    /// The JSON contract of the issue, read back and compared with the reference.
    @Test(arguments: ReferenceData.datasetNames)
    func jsonOutputCarriesTheReferenceNumbers(dataset: String) throws {
        let text = try SurvivalReport.render(csv: ReferenceData.csv(dataset), format: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let reference = ReferenceData.datasets[dataset]!
        let groups = try #require(object["groups"] as? [String: [String: Any]])
        let expectedGroups = reference["groups"] as! [String: [String: Any]]
        #expect(Set(groups.keys) == Set(expectedGroups.keys))
        for (name, group) in groups {
            let want = expectedGroups[name]!
            #expect(group["n"] as? Int == want["n"] as? Int)
            #expect(group["events"] as? Int == want["events"] as? Int)
            #expect(group["censored"] as? Int == want["censored"] as? Int)
            #expect(double(group["median"]) == double(want["median"]))
            #expect(group.keys.contains("median"), "median is present, null when not reached")
            let km = try #require(group["km"] as? [[String: Any]])
            let wantKM = want["km"] as! [[String: Any]]
            #expect(km.count == wantKM.count)
            for (row, wantRow) in zip(km, wantKM) {
                for key in ["time", "survival", "lower", "upper"] {
                    #expect(abs(double(row[key])! - double(wantRow[key])!) <= 1e-9, "\(dataset)/\(name) \(key)")
                }
            }
            if let weibull = want["weibull"] as? [String: Any] {
                let got = try #require(group["weibull"] as? [String: Any])
                #expect(relativeError(double(got["shape"])!, double(weibull["shape"])!) < 1e-4)
                #expect(relativeError(double(got["scale"])!, double(weibull["scale"])!) < 1e-4)
                #expect(relativeError(double(got["b10"])!, double(weibull["b10"])!) < 1e-4)
                for key in ["shape_lower", "shape_upper", "scale_lower", "scale_upper", "b10_lower", "b10_upper"] {
                    #expect(double(got[key]) != nil, "\(key) present")
                }
            } else {
                #expect(group["weibull"] == nil)
            }
        }
        let logRank = try #require(object["logrank"] as? [String: Any])
        let wantLogRank = reference["logrank"] as! [String: Any]
        #expect(logRank["df"] as? Int == wantLogRank["df"] as? Int)
        #expect(relativeError(double(logRank["chi2"])!, double(wantLogRank["chi2"])!) < 1e-9)
        #expect(relativeError(double(logRank["p"])!, double(wantLogRank["p"])!) < 1e-9)
    }

    @Test func renderPassesTheLineNumberThrough() {
        do {
            _ = try SurvivalReport.render(csv: "cell,group,life,failed\nc1,g,5,1\nc2,g,-1,1\n", format: .json)
            Issue.record("a negative life must not produce output")
        } catch let error as StatsInputError {
            #expect(error.description == "line 3: life -1 is negative")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
