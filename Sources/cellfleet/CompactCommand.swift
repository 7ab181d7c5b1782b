import ArgumentParser
import CellfleetCoordinator
import Foundation
import SampleCompaction

/// `cellfleet compact`: moves old samples into exact columnar chunks now, rather than waiting
/// for a coordinator's hourly pass (docs/compaction.md). Prints one JSON line of what it did.
struct CompactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Compact samples older than --older-than-days into sample_chunks (exact, a few bytes a sample).")

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Option(help: "Compact whole UTC days that ended at least this many days ago (fractions allowed; 0 compacts every day before today).")
    var olderThanDays: Double = 1

    @Option(help: "Directory of the schema (schemas/ or schemas/migrations); found automatically when omitted.")
    var schemas: String?

    func validate() throws {
        guard olderThanDays.isFinite, olderThanDays >= 0 else { throw ValidationError("--older-than-days must be 0 or more") }
    }

    func run() async throws {
        let logger = DatabaseClient.logger("cellfleet.compact")
        let migrations: SchemaMigrations
        do { migrations = try SchemaMigrations(directory: try SchemaMigrations.locateDirectory(explicit: schemas)) } catch {
            throw ValidationError("\(error)")
        }
        var policy = SampleCompactionPolicy()
        policy.olderThanSeconds = olderThanDays * 86_400
        let started = ContinuousClock.now
        let pass = try await DatabaseClient.with(url: database, logger: logger) { client in
            _ = try await migrations.apply(client: client, logger: logger)
            return try await SampleCompactionPass(policy: policy).runUntilDone(client: client, logger: logger)
        }
        let seconds = (ContinuousClock.now - started).inSeconds
        let perSample = pass.compacted.rows > 0 ? Double(pass.compacted.bytes) / Double(pass.compacted.rows) : 0
        // Where the bytes go, column by column.
        let columns = zip(StoredSampleColumns.columnNames, pass.compacted.columnBits).map { name, bits in
            #""\#(name)":\#(String(format: "%.3f", Double(bits) / 8 / Double(max(1, pass.compacted.rows))))"#
        }.joined(separator: ",")
        print(#"{"test_days":\#(pass.testDays),"samples":\#(pass.compacted.rows),"chunks":\#(pass.compacted.chunks),"#
              + #""chunk_bytes":\#(pass.compacted.bytes),"chunk_bytes_per_sample":\#(String(format: "%.3f", perSample)),"#
              + #""column_bytes_per_sample":{\#(columns)},"seconds":\#(String(format: "%.3f", seconds))}"#)
    }
}
