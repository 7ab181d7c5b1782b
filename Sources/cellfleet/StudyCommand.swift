import ArgumentParser

/// Studies people run on the fleet (docs/scheduling.md): submit a study file, see where it
/// stands, withdraw it or ask for more replicates. Each acts on the database directly
/// (`--database URL`); the coordinators' scheduler round does the rest.
struct StudyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Submit, list, follow and withdraw studies the scheduler runs.",
        subcommands: [
            StudySubmitCommand.self, StudyStatusCommand.self, StudyListCommand.self, StudyWithdrawCommand.self,
            StudyAddReplicatesCommand.self,
        ])
}
