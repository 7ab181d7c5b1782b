import Foundation

/// Polls until `condition` holds or the time is up (a throwing check counts as not yet).
public func eventually(timeoutSeconds: Double, _ condition: () throws -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while Date() < deadline {
        if (try? condition()) == true { return true }
        try? await Task.sleep(for: .milliseconds(200))
    }
    return (try? condition()) == true
}
