import ArgumentParser

struct ConvertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "convert", abstract: "Convert a cycler file to Battery Data Format CSV.")

    func run() async throws {
        throw ValidationError("'convert' is not built yet in this version of cellfleet")
    }
}
