import CellfleetCoordinator
import CellModel

/// The scheduler's state as JSON documents: what `study status --json`, `study list --json`,
/// `queue list --json` and `channels list --json` print and what `GET /studies…`, `/queue` and
/// `/channels` answer — one spelling of each, for people's scripts and the API alike.
public enum SchedulerDocuments {
    static func text(_ value: String?) -> JSONText { value.map(JSONText.string) ?? .null }

    public static func studyStatus(_ study: StudyStatusRecords.Study, utilisation: StudyUtilisation) -> JSONText {
        .object([
            ("study", .string(study.name)),
            ("state", .string(study.state)),
            ("priority", .integer(study.priority)),
            ("submitted_at", .string(study.submittedAt)),
            // Busy over available channel-time while the study's work waited (StudyUtilisation).
            ("utilisation", JSONText.finite(utilisation.fraction)),
            ("groups", .array(study.groups.map { group in
                .object([
                    ("name", .string(group.name)),
                    ("group", .string(group.name)),
                    ("replicates_needed", .integer(group.replicatesNeeded)),
                    ("conclusive", .integer(group.conclusive)),
                    ("failed", .integer(group.failed)),
                    ("replaced", .integer(group.replaced)),
                    ("running", .integer(group.running)),
                    ("assigned", .integer(group.assigned)),
                    ("queued", .integer(group.queued)),
                    ("stock_left", .integer(group.stockLeft)),
                    ("state", .string(group.state)),
                    ("tests", .array(group.tests.map { test in
                        .object([
                            ("request_id", .string(test.requestID)),
                            ("cell_id", .string(test.cellID)),
                            ("state", .string(test.state)),
                            ("channel", text(test.channel)),
                            ("test_id", text(test.testID)),
                            ("verdict", text(test.verdict)),
                            ("outcome", test.outcomeJSON.flatMap(JSONText.parsing) ?? .null),
                        ])
                    })),
                ])
            })),
        ])
    }

    public static func studyList(_ studies: [StudyStatusRecords.Summary]) -> JSONText {
        .object([("studies", .array(studies.map { study in
            .object([
                ("study", .string(study.name)), ("state", .string(study.state)), ("priority", .integer(study.priority)),
                ("submitted_at", .string(study.submittedAt)), ("groups", .integer(study.groups)),
            ])
        }))])
    }

    public static func queue(_ requests: [QueueRecords.Request]) -> JSONText {
        .object([("requests", .array(requests.map { request in
            .object([
                ("position", .integer(request.position)), ("request_id", .string(request.requestID)), ("cell_id", .string(request.cellID)),
                ("study", .string(request.study)), ("group", .string(request.group)), ("protocol", .string(request.protocolText)),
                ("priority", .integer(request.priority)), ("state", .string(request.state)), ("channel", text(request.channel)),
                ("queued_at", .string(request.queuedAt)), ("assigned_at", text(request.assignedAt)),
            ])
        }))])
    }

    public static func channels(_ channels: [ChannelScheduleRecords.Channel]) -> JSONText {
        .object([("channels", .array(channels.map { channel in
            let pending: JSONText = channel.pendingLoad.map { load in
                .object([
                    ("request_id", .string(load.requestID)), ("cell_id", .string(load.cellID)), ("protocol", .string(load.protocolText)),
                    ("requested_at", .string(load.requestedAt)), ("alert_id", .integer(Int(load.alertID))),
                ])
            } ?? .null
            return .object([
                ("channel", .string(channel.address)), ("agent_id", .string(channel.agentID)), ("channel_id", .string(channel.channelID)),
                ("make", .string(channel.make)), ("model", .string(channel.model)), ("state", .string(channel.state)),
                ("since", text(channel.since)), ("held", .bool(channel.held)), ("hold_reason", text(channel.holdReason)),
                ("cell_id", text(channel.cellID)), ("test_id", text(channel.testID)), ("pending_load", pending),
            ])
        }))])
    }
}
