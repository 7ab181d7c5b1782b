import ArgumentParser

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Read a cycler file and describe it.")

    func run() async throws {
        throw ValidationError("'inspect' is not built yet in this version of cellfleet")
    }
}
