import ArgumentParser
import CellfleetAgent
import Foundation
import Logging
import ServiceLifecycle

/// What `agent` and `import` share: a configuration checked before anything starts (credentials
/// included, so that a wrong key is a usage error, not a crash later), then the agent run as a
/// service that SIGTERM/SIGINT stop gracefully, leaving what is unacknowledged in the spool.
enum AgentService {
    static func validated(_ configuration: AgentConfiguration, logger: Logger) throws -> AgentConfiguration {
        do {
            try configuration.validate()
            _ = try AgentCredentials.load(for: configuration, logger: logger)
        } catch { throw ValidationError("\(error)") }
        return configuration
    }

    /// Runs `agent` until it finishes or is stopped; its summary, if it finished.
    static func run(_ agent: Agent, logger: Logger) async throws -> AgentSummary? {
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: agent, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        return await agent.summary
    }
}
