import Foundation
import CellDetection
import CellModel

/// `detect --explain`: for a person, per test, what the detector took the cell for and how sure
/// it was, the window and baselines it settled on, and how close each rule came to firing.
public enum DetectionExplanationText {
    public static func render(_ outcome: DetectionOutcome, file: String) -> String {
        let explanation = outcome.explanation
        var lines = ["\(file): cell \(outcome.cell.cellID)"]
        var type = outcome.cell.cellType.rawValue
        if let electrode = outcome.cell.workingElectrode, outcome.cell.cellType == .half { type += " (\(electrode.rawValue))" }
        let guess = outcome.guess
        var inferred = "\(guess.cellType.rawValue)"
        if let electrode = guess.workingElectrode { inferred += " (\(electrode.rawValue))" }
        lines.append("  cell type: \(type); inferred \(inferred), confidence \(number(guess.confidence)): \(guess.reason)")
        let window = explanation.window
        func bound(_ value: Double, given: Bool) -> String {
            value.isNaN ? "unknown" : "\(number(value)) V (\(given ? "given" : "learned"))"
        }
        if outcome.cell.cellType != .symmetric {
            lines.append("  window: \(bound(window.minimumVolts, given: window.isMinimumGiven)) … \(bound(window.maximumVolts, given: window.isMaximumGiven))")
        }
        lines.append("  baselines:")
        if explanation.baselines.isEmpty { lines.append("    none settled") }
        for baseline in explanation.baselines { lines.append("    \(baseline.name): \(number(baseline.value))") }
        lines.append("  margins at the end (closest approach; fires when the value crosses the threshold):")
        if explanation.margins.isEmpty { lines.append("    no rule has judged anything yet") }
        for margin in explanation.margins {
            let direction = margin.firesAbove ? "above" : "below"
            // A threshold of 0 (H2's V − threshold) has no relative margin: the value is the margin.
            let distance = margin.threshold == 0
                ? number(margin.firesAbove ? -margin.value : margin.value)
                : "\(Int((margin.relativeMargin * 100).rounded())) %"
            lines.append("    \(margin.rule.rawValue): \(margin.quantity) \(number(margin.value)), fires \(direction) \(number(margin.threshold)) (margin \(distance))")
        }
        let fired = outcome.alerts.filter { $0.severity != .info }.map { "\($0.rule.rawValue) \($0.severity.rawValue)" }
        lines.append("  alerts: \(fired.isEmpty ? "no warn or fail" : fired.joined(separator: ", ")); Q1 notes: \(outcome.alerts.filter { $0.rule == .Q1 }.count)")
        return lines.joined(separator: "\n") + "\n"
    }

    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        if value != 0, abs(value) < 1e-3 || abs(value) >= 1e6 {
            let exponent = Int(log10(abs(value)).rounded(.down))
            let mantissa = value / pow(10, Double(exponent))
            return "\((mantissa * 1000).rounded() / 1000)e\(exponent)"
        }
        return "\((value * 10_000).rounded() / 10_000)"
    }
}
