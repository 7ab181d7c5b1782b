import ArgumentParser

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "simulate", abstract: "Write a simulated cell as a Battery Data Format CSV.")

    func run() async throws {
        throw ValidationError("'simulate' is not built yet in this version of cellfleet")
    }
}
