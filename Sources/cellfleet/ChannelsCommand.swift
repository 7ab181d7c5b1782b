import ArgumentParser
import Scheduling

/// The fleet's channels as the scheduler sees them, and what people do at the bench: confirm a
/// load (or report the cell damaged), hold a channel for maintenance and release it.
struct ChannelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "channels",
        abstract: "List the fleet's channels, confirm loads, hold and release channels.",
        subcommands: [ChannelsListCommand.self, ChannelsLoadCommand.self, ChannelsHoldCommand.self, ChannelsReleaseCommand.self])

    /// `AGENT/CHANNEL` as an argument.
    static func address(_ text: String) throws -> ChannelAddress {
        guard let address = ChannelAddress(text) else { throw ValidationError("'\(text)' is not a channel: name it AGENT/CHANNEL") }
        return address
    }
}
