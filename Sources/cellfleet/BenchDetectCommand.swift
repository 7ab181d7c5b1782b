import ArgumentParser

struct BenchDetectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "detect", abstract: "Samples per second through segmentation and every detector.")

    func run() async throws {
        throw ValidationError("'detect' is not built yet in this version of cellfleet")
    }
}
