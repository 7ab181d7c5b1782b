/// Open-circuit potential of Li_yCoO2 vs Li/Li⁺ (docs/detectors.md §7.3): y = 0.44–0.96 from the
/// Ai et al. 2020 polynomial (PyBaMM `lico2_ocp_Ai2020`), y ≥ 0.97 a synthetic steep
/// end-of-discharge tail. Linear interpolation; linear extrapolation outside, floored at 0 V.
public enum LithiumCobaltOxideOCV {
    static let lithiumContent: [Double] = [0.44, 0.46, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.94, 0.96, 0.97, 0.98, 0.99, 1.00]
    static let potentialVolts: [Double] = [4.274, 4.232, 4.164, 4.081, 4.018, 3.971, 3.932, 3.908, 3.901, 3.897, 3.881, 3.851, 3.813, 3.78, 3.70, 3.55, 3.00]

    public static func potentialVolts(lithiumContent y: Double) -> Double {
        let ys = lithiumContent
        let us = potentialVolts
        var index = 0
        if y <= ys[0] {
            index = 0
        } else if y >= ys[ys.count - 1] {
            index = ys.count - 2
        } else {
            // Binary search over 17 knots.
            var low = 0
            var high = ys.count - 1
            while high - low > 1 {
                let mid = (low + high) / 2
                if ys[mid] <= y { low = mid } else { high = mid }
            }
            index = low
        }
        let y0 = ys[index], y1 = ys[index + 1]
        let u = us[index] + (us[index + 1] - us[index]) * (y - y0) / (y1 - y0)
        return max(u, 0)
    }
}
