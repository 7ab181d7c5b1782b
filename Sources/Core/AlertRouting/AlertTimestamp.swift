import Foundation

/// RFC 3339 times in UTC with milliseconds, as Alertmanager's API and the webhook body carry them.
public enum AlertTimestamp {
    public static func text(secondsSince1970 seconds: Double) -> String {
        let date = Date(timeIntervalSince1970: seconds)
        return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!))
    }
}
