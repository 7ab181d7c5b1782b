import CyclerReaders
import Foundation
import Testing
@testable import CellfleetBenchmarks

/// The followed files `bench tail` writes must read as the fixture does, record for record:
/// the benchmark counts records written against rows committed.
@Suite struct GrowingTextExportsTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tests/Core/CyclerReadersTests/Fixtures")
    static let profiles = fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("agents/profiles")

    static func records(in url: URL, library: ProfileLibrary) throws -> [Double] {
        var reader = try CyclerFile.open(path: url.path, library: library)
        var times: [Double] = []
        try reader.forEachRecord { times.append($0.sample.testTimeSeconds) }
        return times
    }

    @Test func filesGrownRecordByRecordReadAsTheFixturesStart() async throws {
        let library = try ProfileLibrary.load(searchPath: [Self.profiles.path])
        let fixture = Self.fixtures.appendingPathComponent("arbin_csv/arbin_example.csv")
        let exports = try GrowingTextExports(fixture: fixture.path, library: library)
        #expect(exports.records.count == 2_142, "the provenance's record count")
        #expect(String(decoding: exports.header, as: UTF8.self).hasPrefix("Data_Point,Test_Time"))

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("growing-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = try exports.create(count: 3, in: directory, records: 1)
        #expect(Set(files.map(\.lastPathComponent)).count == 3)
        let appended = try await exports.grow(files, alreadyHolding: 1, periods: 2, periodSeconds: 0.05)
        #expect(appended == 6)
        let expected = Array(try Self.records(in: fixture, library: library).prefix(3))
        for file in files { #expect(try Self.records(in: file, library: library) == expected) }
    }

    @Test func aFixtureTooShortForTheWindowIsRefused() async throws {
        let library = try ProfileLibrary.load(searchPath: [Self.profiles.path])
        let exports = try GrowingTextExports(fixture: Self.fixtures.appendingPathComponent("arbin_csv/sample_data_arbin.csv").path, library: library)
        await #expect(throws: GrowingTextExports.Unsuitable.self) {
            try await exports.grow([], alreadyHolding: 1, periods: exports.records.count)
        }
    }

    @Test func aBinaryFileIsNotATextExport() throws {
        let library = try ProfileLibrary.load(searchPath: [Self.profiles.path])
        #expect(throws: GrowingTextExports.Unsuitable.self) {
            try GrowingTextExports(fixture: Self.fixtures.appendingPathComponent("binary/test.ndax").path, library: library)
        }
    }
}
