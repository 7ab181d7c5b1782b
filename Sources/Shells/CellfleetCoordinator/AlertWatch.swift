import CellModel
import CellDetection
import Foundation
import Logging
import PostgresNIO

/// `cellfleet alerts watch`: every alert as it commits, and every change of its state, once.
///
/// Order matters: LISTEN first, then read what is there, then follow the notifications. An
/// alert committed between the read and LISTEN would otherwise be missed; one committed between
/// LISTEN and the read is seen twice and printed once (`AlertWatchLog`). NOTIFY is delivered only
/// to a connected listener, so after a lost connection the watch reconnects, listens again and
/// re-reads the open alerts, those it printed open, and any raised since.
public enum AlertWatch {
    public static let channel = "cellfleet_alerts"

    /// Runs until the task is cancelled. `ready` is called once the first read is printed (the
    /// watch is listening from then on); `show` gets each alert in its state as read.
    public static func run(client: PostgresClient, filter: AlertFilter, logger: Logger,
                           ready: () -> Void, show: (StoredAlert) -> Void) async throws {
        var log = AlertWatchLog()
        var readOnce = false
        // The highest alert id in the table at the first read: after a reconnect, what is above
        // it (or above the highest printed) was raised since, whatever its state.
        var highestAtStart: Int64 = 0
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        var scan = filter
                        scan.state = nil
                        scan.openOrSeen = readOnce ? (log.openAlertIDs, max(highestAtStart, log.highestAlertID ?? 0)) : ([], Int64.max)
                        if !readOnce {
                            let rows = try await connection.query("SELECT coalesce(max(alert_id), 0) FROM alerts", logger: logger)
                            for try await highest in rows.decode(Int64.self) { highestAtStart = highest }
                        }
                        for alert in try await AlertRecords.list(scan, connection: connection, logger: logger)
                        where log.shouldPrint(alertID: alert.alertID, state: alert.state) {
                            show(alert)
                        }
                        if !readOnce { ready() }
                        readOnce = true
                        for try await notification in notifications {
                            guard let (alertID, state) = parse(notification.payload) else {
                                logger.warning("a notification on \(channel) that is not '<alert_id> <state>'", metadata: ["payload": "\(notification.payload)"])
                                continue
                            }
                            if !log.isNews(alertID: alertID, state: state) { continue }
                            var one = filter
                            one.state = nil
                            one.alertIDs = [alertID]
                            for alert in try await AlertRecords.list(one, connection: connection, logger: logger)
                            where log.shouldPrint(alertID: alert.alertID, state: alert.state) {
                                show(alert)
                            }
                        }
                    }
                }
            } catch where !(error is CancellationError) && !Task.isCancelled {
                logger.warning("lost the database connection; listening again in a second", metadata: ["error": "\(String(reflecting: error))"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// The trigger's payload: '<alert_id> <state>'.
    static func parse(_ payload: String) -> (Int64, AlertState)? {
        let parts = payload.split(separator: " ")
        guard parts.count == 2, let id = Int64(parts[0]), let state = AlertState(rawValue: String(parts[1])) else { return nil }
        return (id, state)
    }
}
