import Foundation

/// Who a person's change is recorded as: `--by`, else the login ($USER), else "unknown", so a
/// load or a hold always names someone to ask.
enum PersonName {
    static func resolve(_ given: String?) -> String {
        if let given, !given.trimmingCharacters(in: .whitespaces).isEmpty { return given }
        if let user = ProcessInfo.processInfo.environment["USER"], !user.isEmpty { return user }
        return "unknown"
    }
}
