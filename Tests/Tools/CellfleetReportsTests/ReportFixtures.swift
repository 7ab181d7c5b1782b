import CyclerReaders
import Foundation

/// Test inputs of the core modules, found from this file's path (the renderers are tested on the
/// same files as the domain they render).
enum ReportFixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let cyclerFixtures = repositoryRoot.appendingPathComponent("Tests/Core/CyclerReadersTests/Fixtures")
    static let statisticsFixtures = repositoryRoot.appendingPathComponent("Tests/Core/CellStatisticsTests/Fixtures")
    static let profiles = repositoryRoot.appendingPathComponent("agents/profiles")

    static func cyclerFixture(_ relative: String) -> String { cyclerFixtures.appendingPathComponent(relative).path }

    static func library() throws -> ProfileLibrary {
        try ProfileLibrary.load(searchPath: [profiles.path])
    }
}

/// The committed lifelines/scipy reference of the statistics tests.
enum ReferenceData {
    static var json: [String: Any] {
        let data = try! Data(contentsOf: ReportFixtures.statisticsFixtures.appendingPathComponent("reference.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static var datasets: [String: [String: Any]] { json["datasets"] as! [String: [String: Any]] }
    static var datasetNames: [String] { datasets.keys.sorted() }

    static func csv(_ name: String) throws -> String {
        try String(contentsOf: ReportFixtures.statisticsFixtures.appendingPathComponent("\(name).csv"), encoding: .utf8)
    }
}

func double(_ value: Any?) -> Double? {
    if value is NSNull { return nil }
    return (value as? NSNumber)?.doubleValue
}

func relativeError(_ a: Double, _ b: Double) -> Double {
    abs(a - b) / max(abs(b), 1e-300)
}
