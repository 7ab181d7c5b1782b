/// Alertmanager label names must match `[a-zA-Z_][a-zA-Z0-9_]*`; a cell attribute's name
/// (`coating`, `batch-id`, `2nd.lot`) is made to match by replacing every other character with
/// `_` and prefixing `_` to a leading digit.
public enum LabelName {
    public static func safe(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars {
            let c = scalar.value
            let isLetter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
            let isDigit = c >= 48 && c <= 57
            out.unicodeScalars.append(isLetter || isDigit ? scalar : "_")
        }
        if out.isEmpty { return "_" }
        if let first = out.unicodeScalars.first, first.value >= 48 && first.value <= 57 { out = "_" + out }
        return out
    }
}
