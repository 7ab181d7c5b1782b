import Foundation

/// Reads an Arbin `.res` (a Microsoft Jet/Access database) by streaming the CSV that
/// `mdb-export` (Debian package `mdbtools`) writes for `Channel_Normal_Table`; test facts come
/// from `Global_Table`. Quoted CSV fields are text, unquoted ones numbers, empty ones missing.
public struct ArbinResSource: RawRecordSource {
    public let format = "arbin_res"
    public let columnNames: [String]
    public let metadata: [String: String]
    public var position: Int { nextIndex }
    /// Jet stores rows in page order, not in the order they were measured: the records are read
    /// whole (bounded by the database size) and put back in (Test_ID, Data_Point) order.
    private let rows: [[RawValue]]
    private var nextIndex = 0

    /// - Parameters:
    ///   - table: the records table (`Channel_Normal_Table` for Arbin).
    ///   - timeoutSeconds: the export is killed (and an error thrown) after this long, so a
    ///     corrupt database cannot hang the reader.
    ///   - readGlobalTable: also read `Global_Table` into metadata (a second export).
    public init(url: URL, table: String = "Channel_Normal_Table", timeoutSeconds: Double = 3600, readGlobalTable: Bool = true) throws {
        let name = url.lastPathComponent
        try Self.checkJetHeader(url: url)
        let tool = try MDBExportStream.locateTool(file: name)
        var meta: [String: String] = [:]
        // Global_Table is small: read it whole.
        if readGlobalTable {
        let global = try MDBExportStream(tool: tool, url: url, table: "Global_Table", timeoutSeconds: min(timeoutSeconds, 120))
        var row: [RawValue] = []
        if try global.next(into: &row) {
            for (k, v) in zip(global.header, row) {
                switch v {
                case .number(let x): meta[k] = XLSXWorkbook.plain(x)
                case .text(let s): meta[k] = s
                case .missing: break
                }
            }
            if let start = meta["Start_DateTime"].flatMap(Double.init), let iso = XLSXWorkbook.isoDate(excelSerial: start) {
                meta["Start_DateTime (ISO, tester local time)"] = iso
            }
        }
        global.finish()
        }
        let stream = try MDBExportStream(tool: tool, url: url, table: table, timeoutSeconds: timeoutSeconds)
        // A Jet row takes file space (a row header alone is several bytes): a database cannot
        // hold more records than a fraction of its bytes.
        stream.maximumRecords = ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue).map { $0 / 8 } ?? Int.max
        self.columnNames = stream.header
        self.metadata = meta
        var rows: [[RawValue]] = []
        var row: [RawValue] = []
        while try stream.next(into: &row) { rows.append(row) }
        self.rows = Self.inMeasurementOrder(rows, columnNames: stream.header)
    }

    static func inMeasurementOrder(_ rows: [[RawValue]], columnNames: [String]) -> [[RawValue]] {
        guard let point = columnNames.firstIndex(of: "Data_Point") else { return rows }
        let test = columnNames.firstIndex(of: "Test_ID")
        func number(_ row: [RawValue], _ index: Int?) -> Double {
            guard let index, index < row.count, case .number(let value) = row[index] else { return -.infinity }
            return value
        }
        return rows.enumerated().sorted { a, b in
            let keyA = (number(a.element, test), number(a.element, point))
            let keyB = (number(b.element, test), number(b.element, point))
            return keyA != keyB ? keyA < keyB : a.offset < b.offset
        }.map(\.element)
    }

    public mutating func next(into row: inout [RawValue]) throws -> Bool {
        guard nextIndex < rows.count else { return false }
        row = rows[nextIndex]
        nextIndex += 1
        return true
    }

    /// Refuses files that are not Jet/ACE databases, or are cut short, before starting a process.
    static func checkJetHeader(url: URL) throws {
        let name = url.lastPathComponent
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch { throw CyclerReadError.wrapping(error, file: name) }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 32)) ?? Data())
        guard BinaryContainerKind.sniff(head: head) == .arbinRes else {
            throw CyclerReadError(file: name, location: "byte 4", reason: "not an Arbin .res: missing 'Standard Jet DB' signature")
        }
        let pageSize = head.count > 0x14 && head[0x14] == 0 ? 2048 : 4096
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
        guard size >= 2 * pageSize, size % pageSize == 0 else {
            throw CyclerReadError(file: name, reason: "database of \(size) bytes is not a whole number of \(pageSize)-byte pages (truncated)")
        }
    }
}

/// One running `mdb-export`, its CSV parsed as it arrives.
final class MDBExportStream {
    let file: String
    let table: String
    let process = Process()
    let output: FileHandle
    let errorFile: URL
    private(set) var header: [String] = []
    private(set) var recordsRead = 0
    /// Corrupt databases can make mdb-export loop; more records than this is refused.
    var maximumRecords = Int.max
    /// Longest CSV record accepted: an unterminated quote must not grow the buffer forever.
    static let maximumRecordBytes = 1 << 20
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false
    private var done = false
    private let timedOut = TimeoutFlag()
    /// False for a stream parsed from bytes in memory (tests, fuzzing of the CSV parser).
    private var launched = false
    /// In-memory CSV, handed out in small chunks to exercise record reassembly.
    private var pending: [UInt8] = []
    private var pendingOffset = 0

    static func locateTool(file: String) throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"] {
            let candidate = URL(fileURLWithPath: dir).appendingPathComponent("mdb-export")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw CyclerReadError(file: file, reason: "reading Arbin .res needs mdb-export, which is not installed (Debian/Ubuntu: apt-get install mdbtools)")
    }

    init(tool: URL, url: URL, table: String, timeoutSeconds: Double) throws {
        file = url.lastPathComponent
        self.table = table
        process.executableURL = tool
        process.arguments = ["-b", "strip", "-D", "%Y-%m-%dT%H:%M:%S", "-T", "%Y-%m-%dT%H:%M:%S", url.path, table]
        let pipe = Pipe()
        process.standardOutput = pipe
        errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("mdb-export-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        let errorHandle = try FileHandle(forWritingTo: errorFile)
        process.standardError = errorHandle
        process.standardInput = FileHandle.nullDevice
        output = pipe.fileHandleForReading
        launched = true
        do { try process.run() } catch {
            try? FileManager.default.removeItem(at: errorFile)
            throw CyclerReadError(file: file, reason: "cannot run mdb-export: \(error)")
        }
        try? errorHandle.close()
        let process = self.process
        let flag = timedOut
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds) {
            if process.isRunning { flag.set(); process.terminate() }
        }
        var row: [RawValue] = []
        guard let names = try readRecord(into: &row, asHeader: true) else {
            try finishWithStatus()
            throw CyclerReadError(file: file, location: table, reason: "mdb-export printed no header (table missing or database unreadable)")
        }
        header = names
    }

    /// Parses CSV already in memory as if mdb-export had printed it.
    init(csv: [UInt8], file: String, table: String) throws {
        self.file = file
        self.table = table
        output = FileHandle.nullDevice
        errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("unused")
        pending = csv
        var row: [RawValue] = []
        guard let names = try readRecord(into: &row, asHeader: true) else {
            done = true
            throw CyclerReadError(file: file, location: table, reason: "no header")
        }
        header = names
    }

    deinit { finish() }

    /// Stops the export (if still running) and removes its error log.
    func finish() {
        guard launched else { done = true; return }
        if process.isRunning { process.terminate() }
        if !done {
            done = true
            try? output.close()
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: errorFile)
        }
    }

    func next(into row: inout [RawValue]) throws -> Bool {
        guard !done else { return false }
        guard try readRecord(into: &row, asHeader: false) != nil else {
            try finishWithStatus()
            return false
        }
        recordsRead += 1
        if recordsRead > maximumRecords {
            finish()
            throw CyclerReadError(file: file, location: "\(table), record \(recordsRead)",
                                  reason: "more records than the database has bytes (corrupt database makes mdb-export loop)")
        }
        return true
    }

    private func finishWithStatus() throws {
        guard launched else { done = true; return }
        process.waitUntilExit()
        let message = (try? String(contentsOf: errorFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        done = true
        try? output.close()
        try? FileManager.default.removeItem(at: errorFile)
        if timedOut.isSet {
            throw CyclerReadError(file: file, location: table, reason: "mdb-export did not finish in time (corrupt database?)")
        }
        if process.terminationReason != .exit || process.terminationStatus != 0 {
            throw CyclerReadError(file: file, location: "\(table), record \(recordsRead)",
                                  reason: "mdb-export failed (status \(process.terminationStatus))\(message.isEmpty ? "" : ": \(message.prefix(300))")")
        }
    }

    private func fill() -> Bool {
        guard !eof else { return false }
        let chunk: Data
        if launched {
            chunk = output.availableData
        } else {
            let end = min(pending.count, pendingOffset + 65536)
            chunk = Data(pending[pendingOffset..<end])
            pendingOffset = end
        }
        if chunk.isEmpty { eof = true; return false }
        if start > 0 && start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
        else if start > 1 << 20 { buffer.removeFirst(start); start = 0 }
        buffer.append(contentsOf: chunk)
        return true
    }

    /// Parses one CSV record. Returns the field texts for the header, or fills `row` (and
    /// returns an empty array) for data; nil at the end of the output.
    private func readRecord(into row: inout [RawValue], asHeader: Bool) throws -> [String]? {
        while true {
            if let (fields, next) = parse(from: start) {
                start = next
                if fields.count == 1 && fields[0].bytes.isEmpty && !fields[0].quoted { continue }  // blank line
                if asHeader { return fields.map { String(decoding: $0.bytes, as: UTF8.self) } }
                guard fields.count == header.count else {
                    throw CyclerReadError(file: file, location: "\(table), record \(recordsRead)",
                                          reason: "record has \(fields.count) fields, header has \(header.count)")
                }
                if row.count != fields.count { row = Array(repeating: .missing, count: fields.count) }
                for (k, f) in fields.enumerated() { row[k] = Self.value(f) }
                return []
            }
            if buffer.count - start > Self.maximumRecordBytes {
                finish()
                throw CyclerReadError(file: file, location: "\(table), record \(recordsRead)",
                                      reason: "a record runs past \(Self.maximumRecordBytes) bytes (unterminated field; corrupt database)")
            }
            if !fill() {
                if start < buffer.count {
                    throw CyclerReadError(file: file, location: "\(table), record \(recordsRead)", reason: "export ended inside a record")
                }
                return nil
            }
        }
    }

    struct Field { var bytes: ArraySlice<UInt8>; var quoted: Bool }

    static func value(_ f: Field) -> RawValue {
        if f.quoted { return .text(String(decoding: f.bytes, as: UTF8.self).replacingOccurrences(of: "\"\"", with: "\"")) }
        if f.bytes.isEmpty { return .missing }
        let x: Double? = f.bytes.withUnsafeBufferPointer { XLSXSheetScanner.parseNumber($0, 0..<$0.count) }
        if let x { return .number(x) }
        return .text(String(decoding: f.bytes, as: UTF8.self))
    }

    /// One complete record starting at `from`, or nil when the buffer ends first.
    private func parse(from: Int) -> ([Field], Int)? {
        var fields: [Field] = []
        var i = from
        let n = buffer.count
        while true {
            guard i < n else { return nil }
            if buffer[i] == UInt8(ascii: "\"") {
                let s = i + 1
                var j = s
                while true {
                    guard j < n else { return nil }
                    if buffer[j] == UInt8(ascii: "\"") {
                        if j + 1 < n && buffer[j + 1] == UInt8(ascii: "\"") { j += 2; continue }
                        guard j + 1 < n else { return nil }
                        break
                    }
                    j += 1
                }
                fields.append(Field(bytes: buffer[s..<j], quoted: true))
                i = j + 1
            } else {
                let s = i
                while i < n, buffer[i] != UInt8(ascii: ","), buffer[i] != 0x0A { i += 1 }
                guard i < n else { return nil }
                var e = i
                if e > s && buffer[e - 1] == 0x0D { e -= 1 }
                fields.append(Field(bytes: buffer[s..<e], quoted: false))
            }
            guard i < n else { return nil }
            if buffer[i] == UInt8(ascii: ",") { i += 1; continue }
            if buffer[i] == 0x0D { i += 1; guard i < n else { return nil } }
            if buffer[i] == 0x0A { return (fields, i + 1) }
            // Stray bytes after a closing quote: take them up to the next separator.
            while i < n, buffer[i] != UInt8(ascii: ","), buffer[i] != 0x0A { i += 1 }
            guard i < n else { return nil }
            if buffer[i] == UInt8(ascii: ",") { i += 1; continue }
            return (fields, i + 1)
        }
    }
}

/// Set from the watchdog queue, read from the reader.
final class TimeoutFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
