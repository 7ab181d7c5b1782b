import CyclerReaders
import Foundation

/// Locations of test inputs, found from this file's path so tests run from any directory.
enum FixturePaths {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repositoryRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()  // Tests/Core/CyclerReadersTests → repository
    static let fixtures = testsDirectory.appendingPathComponent("Fixtures")
    /// GPL-licensed files (yadg) stay in the shared folder beside the repository.
    static let shared = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/cyclers")
    static let sharedAvailable = FileManager.default.fileExists(atPath: shared.path)
    static let profiles = repositoryRoot.appendingPathComponent("agents/profiles")

    static func fixture(_ relative: String) -> String { fixtures.appendingPathComponent(relative).path }
    static func sharedFixture(_ relative: String) -> String { shared.appendingPathComponent(relative).path }

    static func library() throws -> ProfileLibrary {
        try ProfileLibrary.load(searchPath: [profiles.path])
    }

    static func temporaryFile(_ name: String, contents: [UInt8]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cyclerreaders-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: path, contents: Data(contents))
        return path
    }

    static func temporaryFile(_ name: String, text: String) throws -> String {
        try temporaryFile(name, contents: Array(text.utf8))
    }
}
