import CellModel

/// Guesses a cell's type from its voltage when the user did not say: a Li | SE | Li symmetric cell
/// swings around 0 V (overpotentials of mV to a few V, both signs), a full cell sits at its OCV.
public enum CellTypeInference {
    public static func infer(from columns: SampleColumns, sampleLimit: Int = 2000) -> CellType {
        let count = min(columns.count, sampleLimit)
        guard count > 0 else { return .full }
        var magnitudes = columns.voltageVolts[0..<count].map { abs($0) }
        magnitudes.sort()
        let median = magnitudes[count / 2]
        let negative = columns.voltageVolts[0..<count].contains { $0 < -0.001 }
        return median < 1.5 || negative && median < 2.0 ? .symmetric : .full
    }
}
