import ArgumentParser

/// The cell queue: what runs next, fleet-wide.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "The cell queue: requests with a reserved channel, then those waiting, in the order they run.",
        subcommands: [QueueListCommand.self])
}
