import ArgumentParser

struct DetectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "detect", abstract: "Run every failure detector on recorded files and print one JSON line per alert.")

    func run() async throws {
        throw ValidationError("'detect' is not built yet in this version of cellfleet")
    }
}
