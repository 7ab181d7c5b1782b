import ArgumentParser

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agent", abstract: "Run the agent beside a cycler: spool every sample and stream it to the coordinator.")

    func run() async throws {
        throw ValidationError("'agent' is not built yet in this version of cellfleet")
    }
}
