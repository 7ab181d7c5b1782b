import AlertRouting
import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// Gets every alert state change to every configured receiver (docs/live-detection.md §4): one
/// worker per receiver claims its due outbox rows, POSTs them (Alertmanager API v2, or the
/// webhook body), records each attempt and backs off (`DeliveryRetryRules`); Alertmanager
/// workers also re-post what still fires (`AlertmanagerRepostRule`). Workers wake on
/// `LISTEN cellfleet_alerts` and poll besides. A row is marked delivered only after the
/// receiver answered 2xx, so a crash re-sends (at least once); the webhook body's
/// `idempotency_key` lets receivers drop a repeat, which makes it exactly once for them.
///
/// A `Service`: run it in the coordinator's `ServiceGroup`; it starts once `ready` returns
/// (the schema migrated) and stops with a graceful shutdown.
public struct AlertDeliveryService: Service {
    let configuration: AlertDeliveryConfiguration
    let client: PostgresClient
    let ready: @Sendable () async -> Void
    let logger: Logger

    public init(configuration: AlertDeliveryConfiguration, client: PostgresClient,
                ready: @escaping @Sendable () async -> Void = {}, logger: Logger = Logger(label: "cellfleet.alert-delivery")) {
        self.configuration = configuration
        self.client = client
        self.ready = ready
        self.logger = logger
    }

    public func run() async throws {
        guard !configuration.receivers.isEmpty else {
            // Nothing to deliver; a service that returned would end the coordinator's group.
            try? await gracefulShutdown()
            return
        }
        try await cancelWhenGracefulShutdown {
            await ready()
            let outbox = AlertOutbox(client: client, coordinatorID: configuration.coordinatorID, logger: logger)
            var ids: [String] = []
            while ids.isEmpty {
                do {
                    ids = try await outbox.register(configuration.receivers)
                } catch {
                    logger.warning("could not register the alert receivers; trying again", metadata: ["error": "\(String(reflecting: error))"])
                    try await Task.sleep(for: .seconds(1))
                }
            }
            var httpConfiguration = HTTPClient.Configuration()
            httpConfiguration.timeout = .init(connect: .seconds(5), read: .milliseconds(Int64(configuration.requestTimeoutSeconds * 1000)))
            httpConfiguration.redirectConfiguration = .disallow
            let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration)
            let poster = AlertPoster(http: http, requestTimeoutSeconds: configuration.requestTimeoutSeconds)
            let workers = zip(configuration.receivers, ids).map { receiver, id in
                ReceiverWorker(receiver: receiver, receiverID: id, configuration: configuration, outbox: outbox, poster: poster, logger: logger)
            }
            logger.info("alert delivery started", metadata: [
                "receivers": "\(zip(configuration.receivers, ids).map { "\($0.kind.rawValue) \($0.url) (\($1))" })"])
            await withDiscardingTaskGroup { group in
                group.addTask { await self.listen(waking: workers.map(\.doorbell)) }
                for worker in workers { group.addTask { await worker.run() } }
            }
            try? await http.shutdown()
        }
    }

    /// Rings every worker's doorbell on each notification; reconnects after a lost connection
    /// (what was notified meanwhile is found by the polls).
    private func listen(waking doorbells: [Doorbell]) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: "cellfleet_alerts") { notifications in
                        for try await _ in notifications {
                            for doorbell in doorbells { await doorbell.ring() }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("the alert notification listener stopped; listening again", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

/// Works one receiver's rows, one POST at a time in delivery order, so a slow or dead receiver
/// holds up only itself.
struct ReceiverWorker: Sendable {
    let receiver: AlertReceiver
    let receiverID: String
    let configuration: AlertDeliveryConfiguration
    let outbox: AlertOutbox
    let poster: AlertPoster
    let logger: Logger
    let doorbell = Doorbell()

    var dimensions: [(String, String)] { [("receiver", receiverID), ("kind", receiver.kind.rawValue)] }

    func run() async {
        // Every series of this receiver exists from start-up, at 0 (docs/metrics.md).
        Counter(label: "cellfleet_alert_deliveries_delivered_total", dimensions: dimensions).increment(by: 0)
        for reason in ["transient", "rejected", "repost"] {
            Counter(label: "cellfleet_alert_delivery_failed_attempts_total", dimensions: dimensions + [("reason", reason)]).increment(by: 0)
        }
        if receiver.kind == .alertmanager {
            Counter(label: "cellfleet_alertmanager_reposts_total", dimensions: dimensions).increment(by: 0)
        }
        while !Task.isCancelled {
            var claimedFull = false
            do {
                claimedFull = try await deliverDue()
                if receiver.kind == .alertmanager { try await repost() }
                Gauge(label: "cellfleet_alert_deliveries_pending", dimensions: dimensions)
                    .record(try await outbox.pending(receiverID: receiverID))
            } catch {
                if Task.isCancelled { return }
                logger.warning("could not work the alert outbox; trying again", metadata: [
                    "receiver": "\(receiverID)", "error": "\(String(reflecting: error))"])
            }
            if !claimedFull { await doorbell.wait(timeoutSeconds: configuration.pollSeconds) }
        }
    }

    /// Returns whether a full batch was claimed (more may be due at once).
    private func deliverDue() async throws -> Bool {
        let clock = ContinuousClock()
        let claimedAt = clock.now
        let claims = try await outbox.claim(receiverID: receiverID, limit: configuration.claimBatch, leaseSeconds: configuration.claimLeaseSeconds)
        guard !claims.isEmpty else { return false }
        let alerts = try await outbox.alerts(claims.map(\.alertID))
        // The POSTs go one at a time: against a slow receiver the batch's last rows could
        // outlive their lease and be sent by another coordinator as well. What cannot be
        // finished within the lease is given back.
        let lease = Duration.milliseconds(Int64((configuration.claimLeaseSeconds - configuration.requestTimeoutSeconds) * 1000))
        for (index, claim) in claims.enumerated() {
            guard !Task.isCancelled else { return false }
            if claimedAt.duration(to: clock.now) >= lease {
                try await outbox.release(Array(claims[index...]))
                logger.debug("gave back claimed alert deliveries the lease would not cover", metadata: [
                    "receiver": "\(receiverID)", "deliveries": "\(claims.count - index)"])
                return true
            }
            guard let alert = alerts[claim.alertID] else { continue }
            let body: String, key: String?
            switch receiver.kind {
            case .alertmanager:
                // The alert as it stands now: a firing row sent after the resolution tells the end.
                body = AlertmanagerPayload.body([alert])
                key = nil
            case .webhook:
                body = WebhookBody.body(alert, state: claim.state)
                key = WebhookBody.idempotencyKey(alertID: alert.alertID, state: claim.state)
            }
            let answer = await poster.post(body, to: receiver, idempotencyKey: key)
            let outcome = configuration.retry.outcome(of: answer.result, attempts: claim.attempts, deliveryID: claim.deliveryID)
            let metadata: Logger.Metadata = [
                "receiver": "\(receiverID)", "alert": "\(claim.alertID)", "state": "\(claim.state.rawValue)",
                "delivery": "\(claim.deliveryID)", "attempt": "\(claim.attempts)", "answer": "\(answer.detail)"]
            switch outcome {
            case .delivered:
                try await outbox.delivered(claim, status: answer.status ?? 200)
                Counter(label: "cellfleet_alert_deliveries_delivered_total", dimensions: dimensions).increment()
                logger.info("alert delivered", metadata: metadata)
            case .retry(let seconds):
                try await outbox.failed(claim, status: answer.status, error: answer.detail, retryAfterSeconds: seconds)
                Counter(label: "cellfleet_alert_delivery_failed_attempts_total", dimensions: dimensions + [("reason", "transient")]).increment()
                logger.notice("alert delivery failed; retrying", metadata: metadata.merging(["retry_in_s": "\(seconds)"]) { $1 })
            case .rejected(let seconds):
                try await outbox.failed(claim, status: answer.status, error: answer.detail, retryAfterSeconds: seconds)
                Counter(label: "cellfleet_alert_delivery_failed_attempts_total", dimensions: dimensions + [("reason", "rejected")]).increment()
                logger.error("the receiver refused an alert; it is kept and tried again later — check the receiver's configuration",
                             metadata: metadata.merging(["retry_in_s": "\(seconds)"]) { $1 })
            }
        }
        return claims.count == configuration.claimBatch
    }

    private func repost() async throws {
        while !Task.isCancelled {
            let due = try await outbox.claimReposts(receiverID: receiverID, rule: configuration.repost, limit: 200)
            guard !due.isEmpty else { return }
            let alerts = try await outbox.alerts(due)
            let body = AlertmanagerPayload.body(due.compactMap { alerts[$0] })
            let answer = await poster.post(body, to: receiver, idempotencyKey: nil)
            if case .response(let status) = answer.result, (200..<300).contains(status) {
                Counter(label: "cellfleet_alertmanager_reposts_total", dimensions: dimensions).increment(by: Int64(due.count))
                logger.debug("re-posted alerts to Alertmanager", metadata: ["receiver": "\(receiverID)", "alerts": "\(due.count)"])
            } else {
                Counter(label: "cellfleet_alert_delivery_failed_attempts_total", dimensions: dimensions + [("reason", "repost")]).increment()
                logger.notice("a re-post to Alertmanager failed; it is tried at the next interval",
                              metadata: ["receiver": "\(receiverID)", "alerts": "\(due.count)", "answer": "\(answer.detail)"])
                return
            }
            if due.count < 200 { return }
        }
    }
}
