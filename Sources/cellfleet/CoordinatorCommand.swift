import ArgumentParser

struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "coordinator", abstract: "Run the coordinator: persist samples to PostgreSQL and acknowledge them.")

    func run() async throws {
        throw ValidationError("'coordinator' is not built yet in this version of cellfleet")
    }
}
