import ArgumentParser
import CyclerReaders
import Foundation

struct ConvertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "convert", abstract: "Convert a cycler file to Battery Data Format CSV.")

    @Argument(help: "Cycler file (text export or binary).") var file: String
    @Option(help: "Output Battery Data Format CSV file.") var bdf: String
    @Option(help: "Directory of cycler profiles searched first.") var profiles: String?
    @Option(help: "Use this profile instead of detecting one.") var profile: String?
    @Option(name: .customLong("time-zone"), help: "The instrument's time zone (IANA name), overriding the profile's.") var timeZone: String?

    func run() async throws {
        let library = try ProfileLibrary.standard(explicitDirectory: profiles)
        let result = try BatteryDataFormatWriter.convert(path: file, outputPath: bdf, library: library, options: .init(profileName: profile, timeZone: timeZone))
        for warning in result.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        print("wrote \(result.rows) records to \(bdf)")
    }
}
