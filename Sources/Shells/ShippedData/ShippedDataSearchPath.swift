import Foundation

/// Where a folder of data that ships with cellfleet (the SQL migrations in `schemas/`, the cycler
/// profiles in `agents/profiles`) is looked for, so that an installed binary and a source
/// checkout behave alike and a lab can point elsewhere:
///
/// 1. the explicit directories (a command-line flag),
/// 2. the environment variable (one directory, or several separated by `:`),
/// 3. `<directory of the executable>/../share/cellfleet/<installedName>`,
/// 4. `<checkoutPath>` in the nearest ancestor of the executable (a source checkout), then of
///    the current directory.
///
/// Returns candidates in that order without duplicates; whether one holds what is needed is the
/// caller's question.
public enum ShippedDataSearchPath {
    public static func candidates(
        explicit: [String],
        environmentVariable: String,
        installedName: String,
        checkoutPath: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String? = CommandLine.arguments.first,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) -> [String] {
        var directories = explicit
        if let value = environment[environmentVariable], !value.isEmpty {
            directories.append(contentsOf: value.split(separator: ":").map(String.init))
        }
        var starts: [URL] = []
        if let executablePath, !executablePath.isEmpty {
            let binDirectory = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
            directories.append(binDirectory.appendingPathComponent("../share/cellfleet/\(installedName)").standardizedFileURL.path)
            starts.append(binDirectory)
        }
        starts.append(URL(fileURLWithPath: currentDirectory))
        for start in starts {
            var directory = start.standardizedFileURL
            for _ in 0..<12 {
                let candidate = directory.appendingPathComponent(checkoutPath).path
                if FileManager.default.fileExists(atPath: candidate) {
                    directories.append(candidate)
                    break
                }
                let parent = directory.deletingLastPathComponent()
                if parent.path == directory.path { break }
                directory = parent
            }
        }
        var seen = Set<String>()
        return directories.filter { seen.insert($0).inserted }
    }
}
