import ArgumentParser

/// The fleet's tests as people query them (`GET /tests` for the shell).
struct TestsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tests",
        abstract: "Query the fleet's tests.",
        subcommands: [TestsListCommand.self])
}
