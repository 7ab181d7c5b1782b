import DeliveryProtocol
import Foundation
import Logging
import PostgresNIO
import WireProtocol

/// Commands to agents (docs/live-detection.md §5): the safety stop a fail alert of an
/// `on_fail = "stop"` test makes in its own transaction (migration 0004 §7). The coordinator that
/// holds the agent's connection sends it, again until the agent answers (an agent executes a
/// command id once and answers a repeat alike), and stores the result and what it means on the
/// alert. The rows are the truth, so any coordinator can carry on another's commands.
extension Coordinator {
    func commandLoop(_ link: Link) async {
        for await _ in commandWakeups {
            do {
                try await dispatchCommands(on: link)
            } catch {
                logger.warning("could not look for commands to send; trying again", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    private struct OpenCommand {
        var command: CommandDispatchRules.OpenCommand
        var action: String
        var channelID: String
        var reason: String
        var alertID: Int64?
        /// A start_test's StartTest, as protobuf JSON (its channel is `channelID`).
        var body: String
    }

    private func dispatchCommands(on link: Link) async throws {
        let connected = Array(connectedAgents.keys)
        let rows = try await client.query("""
            SELECT c.command_id, c.agent_id, COALESCE(c.channel_id, ''), c.reason, c.alert_id,
                   extract(epoch FROM c.created_at)::float8, extract(epoch FROM c.sent_at)::float8,
                   COALESCE(a.safety_stop = 'stop pending', false), extract(epoch FROM now())::float8, c.action, c.body::text
            FROM commands c LEFT JOIN alerts a ON a.alert_id = c.alert_id
            WHERE c.state IN ('pending', 'sent') AND c.action IN ('stop_channel', 'start_test')
              AND (c.agent_id = ANY(\(connected)) OR (a.safety_stop IS DISTINCT FROM 'stop pending' AND c.created_at < now() - make_interval(secs => \(configuration.commandDispatch.confirmWithinSeconds))))
            ORDER BY c.command_id
            """, logger: logger)
        var open: [Int64: OpenCommand] = [:]
        var now = 0.0
        for try await (id, agent, channel, reason, alert, created, sent, toldPending, databaseNow, action, body) in rows.decode(
            (Int64, String, String, String, Int64?, Double, Double?, Bool, Double, String, String).self) {
            open[id] = OpenCommand(
                command: .init(commandID: id, agentID: agent, createdAtSeconds: created, sentAtSeconds: sent, toldPending: toldPending),
                action: action, channelID: channel, reason: reason, alertID: alert, body: body)
            now = databaseNow
        }
        guard !open.isEmpty else { return }
        let decision = configuration.commandDispatch.decide(open.values.map(\.command), connected: Set(connected), nowSeconds: now)
        var unreadable: [Int64] = []
        for id in decision.send {
            guard let open = open[id], let routingID = connectedAgents[open.command.agentID] else { continue }
            var command = Cellfleet_Wire_V1_Command()
            command.commandID = UInt64(id)
            if open.action == "start_test" {
                // The scheduler (or a person) wrote the StartTest as protobuf JSON; one that does not
                // read is failed with why, not sent for ever.
                guard var start = try? Cellfleet_Wire_V1_StartTest(jsonString: open.body) else {
                    unreadable.append(id)
                    continue
                }
                start.channelID = open.channelID
                command.startTest = start
            } else {
                var action = Cellfleet_Wire_V1_StopChannel()
                action.channelID = open.channelID
                action.reason = open.reason
                command.stopChannel = action
            }
            send(to: routingID, WireEnvelope(.command(command)), on: link)
            logger.info("sent a command", metadata: [
                "action": "\(open.action)", "agent": "\(open.command.agentID)", "channel": "\(open.channelID)", "command": "\(id)", "reason": "\(open.reason)"])
        }
        if !unreadable.isEmpty {
            _ = try await client.query("""
                UPDATE commands SET state = 'failed', result_ok = false, completed_at = now(),
                       result_message = 'the command body is not a StartTest in protobuf JSON (testId, protocol, cell)'
                WHERE command_id = ANY(\(unreadable)) AND state IN ('pending', 'sent')
                """, logger: logger).collect()
            logger.error("commands whose body cannot be read were failed", metadata: ["commands": "\(unreadable)"])
        }
        let sent = decision.send.filter { !unreadable.contains($0) }
        if !sent.isEmpty {
            _ = try await client.query("""
                UPDATE commands SET state = 'sent', attempts = attempts + 1, sent_at = now()
                WHERE command_id = ANY(\(sent)) AND state IN ('pending', 'sent')
                """, logger: logger).collect()
        }
        if !decision.overdue.isEmpty {
            _ = try await client.query("""
                UPDATE alerts SET safety_stop = 'stop pending'
                WHERE alert_id IN (SELECT alert_id FROM commands WHERE command_id = ANY(\(decision.overdue)) AND state IN ('pending', 'sent'))
                  AND safety_stop IS DISTINCT FROM 'stop pending'
                """, logger: logger).collect()
            logger.warning("a stop has not been confirmed within its limit; its alert says so", metadata: ["commands": "\(decision.overdue)"])
        }
    }

    /// An agent's answer: stored once (a repeat of the answer finds the command completed), and
    /// told on the alert — a channel the agent could not stop needs a person.
    func received(_ result: Cellfleet_Wire_V1_CommandResult, from agentID: String) {
        guard let commandID = Int64(exactly: result.commandID) else { return }
        let client = self.client, logger = self.logger
        Task {
            do {
                try await client.withTransaction(logger: logger) { connection in
                    let rows = try await connection.query("""
                        UPDATE commands SET state = \(result.ok ? "succeeded" : "failed"), result_ok = \(result.ok),
                               result_message = \(result.message), completed_at = now()
                        WHERE command_id = \(commandID) AND agent_id = \(agentID) AND completed_at IS NULL
                        RETURNING alert_id
                        """, logger: logger)
                    for try await alertID in rows.decode(Int64?.self) {
                        guard let alertID else { continue }
                        let told = result.ok ? "stopped" : "not stopped: \(result.message); a person must stop the channel"
                        _ = try await connection.query(
                            "UPDATE alerts SET safety_stop = \(told) WHERE alert_id = \(alertID)", logger: logger).collect()
                    }
                }
            } catch {
                // The command stays 'sent': it is sent again and the agent answers alike.
                logger.warning("could not store a command result; the command will be sent again", metadata: [
                    "agent": "\(agentID)", "command": "\(commandID)", "error": "\(String(reflecting: error))"])
            }
        }
    }
}
