import Foundation

/// Per-test threshold overrides as a test's attributes carry them: the wire's cell attributes are
/// strings, so an agent or a lab writes `threshold.P2.ratio = "5"`; a program writing the
/// database directly (the scheduler) may write an object `thresholds = {"P2.ratio": 5}`. Both
/// name thresholds exactly as `cellfleet detect --threshold` does, so a test's live detection and
/// `detect` on its export judge with the same numbers.
public enum TestAttributeThresholds {
    public static let attributePrefix = "threshold."
    public static let objectKey = "thresholds"

    /// The overrides as `NAME=VALUE` assignments (`DetectorThresholds.apply(assignment:)`), in
    /// name order so the result does not depend on dictionary order.
    public static func assignments(from attributes: [String: Any]) -> [String] {
        var values: [String: String] = [:]
        if let object = attributes[objectKey] as? [String: Any] {
            for (name, value) in object { values[name] = text(of: value) }
        }
        for (key, value) in attributes where key.hasPrefix(attributePrefix) {
            values[String(key.dropFirst(attributePrefix.count))] = text(of: value)
        }
        return values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }

    private static func text(of value: Any) -> String {
        switch value {
        case let string as String: string
        case let number as NSNumber: number.stringValue
        default: "\(value)"
        }
    }
}
