import ArgumentParser

/// The one executable: every role (agent, coordinator) and every offline tool is a subcommand,
/// so a lab installs and upgrades one binary.
@main
struct Cellfleet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cellfleet",
        abstract: "Coordinate a fleet of battery cycling tests.",
        subcommands: [
            AgentCommand.self, ImportCommand.self, CoordinatorCommand.self, DemoCommand.self, APICommand.self, TokenCommand.self,
            SimulateCommand.self, DetectCommand.self,
            InspectCommand.self, ConvertCommand.self, ProfileCommand.self,
            StatsCommand.self, TestsCommand.self,
            AlertsCommand.self, ExportCommand.self, CyclesCommand.self,
            StudyCommand.self, CellsCommand.self, QueueCommand.self, ChannelsCommand.self, CompactCommand.self,
            BenchCommand.self,
            KeygenCommand.self,
        ]
    )
}
