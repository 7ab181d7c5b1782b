import ArgumentParser

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Run a coordinator on an embedded database and an agent with simulated channels.")

    func run() async throws {
        throw ValidationError("'demo' is not built yet in this version of cellfleet")
    }
}
