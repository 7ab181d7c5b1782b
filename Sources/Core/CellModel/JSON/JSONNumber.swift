/// How every JSON number cellfleet prints is spelled, one rule for all outputs:
/// - a non-finite value has no JSON spelling and is `null` (a reader must not get `NaN`, which
///   Python accepts and most others refuse);
/// - an integer-valued double below 10¹⁶ in magnitude is written as an integer (`3`, not
///   `3.0`), so a count or a whole second reads as one in every language, and a script never sees
///   the same field as `3` from one command and `3.0` from another (`-0` is written `0`);
/// - any other value in Swift's shortest text that reads back to the same `Double` (`0.1`,
///   `1e-05`, `1.5e+20`, all valid JSON): no digit lost, none invented.
public enum JSONNumber {
    /// Below 10¹⁶ Swift's shortest form spells an integer-valued double with a `.0`
    /// (`9007199254740992.0`); from there on it switches to an exponent (`1e+16`).
    public static let integerLimit = 1e16

    public static func text(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < integerLimit { return String(Int64(value)) }
        return value.description
    }
}
