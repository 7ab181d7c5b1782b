import Foundation

/// The committed lifelines/scipy reference (Fixtures/make_reference.py) and its data sets.
enum ReferenceData {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Parsed on each use: [String: Any] cannot be a shared constant under strict concurrency.
    static var json: [String: Any] {
        let data = try! Data(contentsOf: fixtures.appendingPathComponent("reference.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static var datasets: [String: [String: Any]] { json["datasets"] as! [String: [String: Any]] }
    static var datasetNames: [String] { datasets.keys.sorted() }
    static var special: [String: Any] { json["special"] as! [String: Any] }

    static func csv(_ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent("\(name).csv"), encoding: .utf8)
    }
}

func double(_ value: Any?) -> Double? {
    if value is NSNull { return nil }
    return (value as? NSNumber)?.doubleValue
}

func relativeError(_ a: Double, _ b: Double) -> Double {
    abs(a - b) / max(abs(b), 1e-300)
}
