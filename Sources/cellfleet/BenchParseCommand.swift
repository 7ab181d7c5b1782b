import ArgumentParser

struct BenchParseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "parse", abstract: "Rows per second per cycler format.")

    func run() async throws {
        throw ValidationError("'parse' is not built yet in this version of cellfleet")
    }
}
