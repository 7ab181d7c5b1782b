import CyclerReaders
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Text exports growing as a running cycler's software writes them: many files of one real
/// fixture's layout, each begun with the fixture's header and first record, then given the
/// fixture's next record at a steady pace. What an agent following a lab's export folder sees
/// (`bench tail`), with the records a reader is known to read, so that whatever reaches the
/// database can be counted against what was written.
public struct GrowingTextExports: Sendable {
    /// Everything before the first record (metadata lines and the column header).
    public let header: [UInt8]
    /// The fixture's records, one line each with its own line ending.
    public let records: [[UInt8]]
    /// The fixture's file extension, so that the copies are sniffed as the original is.
    public let fileExtension: String

    public struct Unsuitable: Error, CustomStringConvertible {
        public var description: String
    }

    /// Splits a text fixture into its header and records as the reader sees them; refuses one
    /// whose data lines are not one record each (a count of lines written would then not be a
    /// count of records).
    public init(fixture path: String, library: ProfileLibrary) throws {
        guard let detected = try TextExportProbe.layout(path: path, library: library) else {
            throw Unsuitable(description: "\(path) is not a text export a profile reads")
        }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let start = min(detected.layout.dataStartOffset, bytes.count)
        header = Array(bytes[..<start])
        var lines: [[UInt8]] = []
        var lineStart = start
        for index in start..<bytes.count where bytes[index] == UInt8(ascii: "\n") {
            lines.append(Array(bytes[lineStart...index]))
            lineStart = index + 1
        }
        if lineStart < bytes.count { lines.append(Array(bytes[lineStart...]) + Array("\n".utf8)) }
        records = lines.filter { line in line.contains { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: " ") } }
        fileExtension = URL(fileURLWithPath: path).pathExtension
        let read = try ParseBenchmark.readOnce(path: path, library: library).rows
        guard read == records.count else {
            throw Unsuitable(description: "\(path): the reader reads \(read) records from its \(records.count) data lines; a fixture with one record a line is needed")
        }
    }

    /// The name of the `index`-th file (as a channel's export would be named).
    public func fileName(_ index: Int) -> String {
        String(format: "channel-%03d", index + 1) + (fileExtension.isEmpty ? "" : "." + fileExtension)
    }

    /// Creates `count` files in `directory`, each holding the header and the first `records`
    /// records; returns their URLs.
    public func create(count: Int, in directory: URL, records first: Int = 1) throws -> [URL] {
        guard first <= records.count else { throw Unsuitable(description: "the fixture holds \(records.count) records, fewer than \(first)") }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try (0..<count).map { index in
            let url = directory.appendingPathComponent(fileName(index))
            try Data(header + records[..<first].joined()).write(to: url)
            return url
        }
    }

    /// Appends the `index`-th record to the file at `url` in one write, as an instrument's
    /// software appends a line: a reader never sees part of it unless the write is torn.
    public func append(record index: Int, to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw Unsuitable(description: "cannot open \(url.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let line = records[index]
        let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else { throw Unsuitable(description: "cannot append to \(url.path): \(String(cString: strerror(errno)))") }
    }

    /// Appends one record a period to every file, the files' writes spread evenly over the
    /// period (instruments are not in step), for `periods` periods after the records the files
    /// already hold. Returns the records appended in all.
    public func grow(_ files: [URL], alreadyHolding held: Int, periods: Int, periodSeconds: Double = 1) async throws -> Int {
        guard held + periods <= records.count else {
            throw Unsuitable(description: "the fixture holds \(records.count) records, fewer than the \(held + periods) needed")
        }
        let clock = ContinuousClock()
        let started = clock.now
        var appended = 0
        for period in 0..<periods {
            for (index, file) in files.enumerated() {
                let due = started + .seconds(periodSeconds * (Double(period) + Double(index) / Double(files.count)))
                try await Task.sleep(until: due, clock: clock)
                try append(record: held + period, to: file)
                appended += 1
            }
        }
        // The last period lasts its whole length, so that the window is `periods` periods long.
        try await Task.sleep(until: started + .seconds(periodSeconds * Double(periods)), clock: clock)
        return appended
    }
}
