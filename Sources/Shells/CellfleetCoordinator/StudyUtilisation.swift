import Foundation
import Logging
import PostgresNIO

/// How well a study's channels were used while its work waited (issue 14's benchmark): busy
/// channel-time over available channel-time, counted only while at least one of its requests
/// was queued (from a request's queueing to its test's start), over the channels its tests ran
/// on. A channel idle beside waiting work — the scheduling delay, a refusal, a slow agent —
/// lowers it; a channel busy with any test (this study's or another's) counts as busy.
public struct StudyUtilisation: Sendable, Equatable {
    public var busyChannelSeconds: Double
    public var availableChannelSeconds: Double

    /// Nil while no work has waited.
    public var fraction: Double? { availableChannelSeconds > 0 ? busyChannelSeconds / availableChannelSeconds : nil }

    public static func measure(study: String, connection: PostgresConnection, logger: Logger) async throws -> StudyUtilisation {
        let rows = try await connection.query("""
            WITH waiting AS (
                SELECT range_agg(tstzrange(r.queued_at, t.started_at)) AS span
                FROM cell_requests r JOIN tests t ON t.test_id = r.test_id
                WHERE r.study_name = \(study) AND t.started_at > r.queued_at),
            used AS (
                SELECT DISTINCT t.agent_id, t.channel_id
                FROM cell_requests r JOIN tests t ON t.test_id = r.test_id WHERE r.study_name = \(study)),
            available AS (
                SELECT (SELECT count(*) FROM used)
                       * COALESCE((SELECT sum(extract(epoch FROM upper(x) - lower(x))) FROM waiting, unnest(waiting.span) x), 0) AS seconds),
            busy AS (
                SELECT COALESCE(sum(extract(epoch FROM upper(x) - lower(x))), 0) AS seconds
                FROM tests t JOIN used u ON u.agent_id = t.agent_id AND u.channel_id = t.channel_id, waiting,
                     unnest(waiting.span * tstzmultirange(tstzrange(t.started_at, COALESCE(t.ended_at, now())))) x)
            SELECT busy.seconds::float8, available.seconds::float8 FROM busy, available
            """, logger: logger)
        for try await (busy, available) in rows.decode((Double?, Double?).self) {
            return StudyUtilisation(busyChannelSeconds: busy ?? 0, availableChannelSeconds: available ?? 0)
        }
        return StudyUtilisation(busyChannelSeconds: 0, availableChannelSeconds: 0)
    }
}
