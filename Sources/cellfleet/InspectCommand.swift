import ArgumentParser
import CellfleetReports
import CyclerReaders
import Foundation

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Read a cycler file and describe it.",
        discussion: """
        The format is recognised from the file's content. Cycler profiles (JSON) are looked up in: \
        --profiles DIR, $CELLFLEET_PROFILES, <executable dir>/../share/cellfleet/profiles, and \
        agents/profiles of the nearest source checkout.
        """
    )

    @Argument(help: "Cycler file (text export or binary).") var file: String
    @Flag(help: "Print one JSON object on stdout.") var json = false
    @Option(help: "Directory of cycler profiles searched first.") var profiles: String?
    @Option(help: "Use this profile instead of detecting one.") var profile: String?
    @Option(name: .customLong("time-zone"), help: "The instrument's time zone (IANA name), overriding the profile's.") var timeZone: String?

    func run() async throws {
        let library = try ProfileLibrary.standard(explicitDirectory: profiles)
        let report = try InspectReport.inspect(path: file, library: library, options: .init(profileName: profile, timeZone: timeZone))
        if let notice = report.inferredProfileNotice { FileHandle.standardError.write(Data("note: \(notice)\n".utf8)) }
        if json {
            print(report.jsonText)
            for warning in report.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        } else {
            print(report.humanText)
        }
    }
}
