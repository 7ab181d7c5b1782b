import ArgumentParser

struct BenchIngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ingest", abstract: "Ingest rate through the real path against psql COPY of the same rows.")

    func run() async throws {
        throw ValidationError("'ingest' is not built yet in this version of cellfleet")
    }
}
