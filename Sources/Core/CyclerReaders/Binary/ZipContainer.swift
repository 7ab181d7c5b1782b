import Foundation
import ZIPFoundation
#if canImport(CZlib)
// ZIPFoundation's own system-library module for zlib on Linux: inflating an entry straight into
// its final buffer (and checking its CRC with zlib's) is several times faster than extracting
// through ZIPFoundation's chunked consumer.
import CZlib
#endif

/// A read-only zip archive (`.ndax`, `.xlsx`) whose entries are inflated under a byte budget:
/// the declared size is checked before inflating, and inflation stops at the declared size, so
/// neither a lying header nor a zip bomb can exhaust memory.
///
/// The central directory is parsed here from the file's bytes; archives this parser leaves to
/// ZIPFoundation (ZIP64, or a build without zlib) are read through its `Archive`.
final class ZipContainer {
    let file: String
    let limits: BinaryReadLimits
    /// Size of the container, to sanity-check declared compressed sizes.
    let containerBytes: UInt64
    /// Entry paths in archive order.
    let entryPaths: [String]
    private let storage: Storage

    private enum Storage {
        case central(bytes: ZipBytes, entries: [String: CentralEntry])
        case zipFoundation(archive: Archive, entries: [String: Entry])
    }

    /// One central-directory record, as far as reading the entry needs it.
    struct CentralEntry {
        var method: UInt16
        var flags: UInt16
        var crc32: UInt32
        var compressedSize: UInt64
        var uncompressedSize: UInt64
        var localHeaderOffset: UInt64
        var isRegularFile: Bool
    }

    /// Raised by the central-directory parser for layouts it leaves to ZIPFoundation.
    private struct NeedsZIPFoundation: Error {}

    convenience init(url: URL, limits: BinaryReadLimits) throws {
        let name = url.lastPathComponent
        #if canImport(CZlib)
        // Only the directory is read now; each entry's bytes when it is asked for.
        let bytes = try ZipBytes(url: url, file: name)
        if let parsed = try Self.parseCentralDirectory(bytes, file: name) {
            self.init(file: name, limits: limits, containerBytes: UInt64(bytes.count), paths: parsed.paths,
                      storage: .central(bytes: bytes, entries: parsed.entries))
            return
        }
        #endif
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.uint64Value ?? 0
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .read) } catch {
            throw CyclerReadError(file: name, reason: "not a readable zip container (\(error))")
        }
        try self.init(archive: archive, file: name, containerBytes: size, limits: limits)
    }

    /// Opens zip bytes already in memory. For ZIPFoundation they are spooled to an unlinked
    /// temporary file: its in-memory archive traps when a corrupt header seeks past the end of
    /// the data, while its file-backed reader simply reads nothing there.
    convenience init(data: Data, file: String, limits: BinaryReadLimits) throws {
        #if canImport(CZlib)
        let bytes = ZipBytes(memory: [UInt8](data), file: file)
        if let parsed = try Self.parseCentralDirectory(bytes, file: file) {
            self.init(file: file, limits: limits, containerBytes: UInt64(bytes.count), paths: parsed.paths,
                      storage: .central(bytes: bytes, entries: parsed.entries))
            return
        }
        #endif
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("cellfleet-zip-\(UUID().uuidString)")
        do { try data.write(to: temp) } catch {
            throw CyclerReadError(file: file, reason: "cannot spool zip bytes to a temporary file (\(error))")
        }
        defer { try? FileManager.default.removeItem(at: temp) }
        let archive: Archive
        do { archive = try Archive(url: temp, accessMode: .read) } catch {
            throw CyclerReadError(file: file, reason: "not a readable zip container (\(error))")
        }
        try self.init(archive: archive, file: file, containerBytes: UInt64(data.count), limits: limits)
    }

    private init(file: String, limits: BinaryReadLimits, containerBytes: UInt64, paths: [String], storage: Storage) {
        self.file = file
        self.limits = limits
        self.containerBytes = containerBytes
        self.entryPaths = paths
        self.storage = storage
    }

    private convenience init(archive: Archive, file: String, containerBytes: UInt64, limits: BinaryReadLimits) throws {
        var paths: [String] = []
        var entries: [String: Entry] = [:]
        var count = 0
        for entry in archive {
            count += 1
            if count > Self.maximumEntries {
                throw CyclerReadError(file: file, reason: "zip directory lists more than \(Self.maximumEntries) entries (corrupt)")
            }
            let path = entry.path
            paths.append(path)
            if entries[path] == nil { entries[path] = entry }
        }
        self.init(file: file, limits: limits, containerBytes: containerBytes, paths: paths,
                  storage: .zipFoundation(archive: archive, entries: entries))
    }

    static let maximumEntries = 100_000

    func contains(_ path: String) -> Bool {
        switch storage {
        case .central(_, let entries): entries[path] != nil
        case .zipFoundation(_, let entries): entries[path] != nil
        }
    }

    /// Inflates one entry whole, refusing it when its declared or actual size exceeds the budget.
    func read(_ path: String, limit: Int? = nil) throws -> [UInt8] {
        let budget = min(limit ?? limits.maximumEntryBytes, limits.maximumEntryBytes)
        switch storage {
        case .central(let bytes, let entries):
            guard let entry = entries[path] else {
                throw CyclerReadError(file: file, location: path, reason: "zip entry is missing")
            }
            return try read(entry, path: path, from: bytes, budget: budget)
        case .zipFoundation(let archive, let entries):
            guard let entry = entries[path] else {
                throw CyclerReadError(file: file, location: path, reason: "zip entry is missing")
            }
            return try read(entry, path: path, from: archive, budget: budget)
        }
    }

    private func checkDeclared(path: String, uncompressed: UInt64, compressed: UInt64, budget: Int) throws {
        if uncompressed > UInt64(budget) {
            throw CyclerReadError(file: file, location: path, reason: "zip entry declares \(uncompressed) bytes, above the \(budget)-byte limit")
        }
        if containerBytes > 0 && compressed > containerBytes {
            throw CyclerReadError(file: file, location: path, reason: "zip entry declares \(compressed) compressed bytes in a \(containerBytes)-byte file (corrupt)")
        }
    }

    // MARK: central directory parsed here

    /// Entry paths (archive order) and the first record per path; nil when the archive needs
    /// ZIPFoundation (ZIP64).
    static func parseCentralDirectory(_ zip: ZipBytes, file: String) throws -> (paths: [String], entries: [String: CentralEntry])? {
        func corrupt(_ why: String) -> CyclerReadError {
            CyclerReadError(file: file, reason: "not a readable zip container (\(why))")
        }
        // End of central directory: 22 bytes plus a comment of up to 65535, at the very end.
        guard zip.count >= 22 else { throw corrupt("\(zip.count) bytes is too short for a zip") }
        let tailStart = zip.count - min(zip.count, 22 + 65_535)
        let tail = try zip.bytes(tailStart, zip.count - tailStart)
        var eocd = -1
        var at = tail.count - 22
        while at >= 0 {
            if tail[at] == 0x50 && tail[at + 1] == 0x4B && tail[at + 2] == 0x05 && tail[at + 3] == 0x06 { eocd = at; break }
            at -= 1
        }
        guard eocd >= 0 else { throw corrupt("no end-of-central-directory record; the file is cut short or not a zip") }
        let t = LittleEndianBytes(tail, file: file)
        let total = try t.u16(eocd + 10)
        let directorySize = try t.u32(eocd + 12)
        let directoryOffset = try t.u32(eocd + 16)
        if total == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF { return nil }
        let eocdInFile = tailStart + eocd
        guard Int(directoryOffset) <= eocdInFile, Int(directorySize) <= eocdInFile - Int(directoryOffset) else {
            throw corrupt("central directory at \(directoryOffset) (\(directorySize) bytes) lies outside the file")
        }
        // The directory, as its own buffer (offsets below are relative to its start).
        let directory: [UInt8]
        if Int(directoryOffset) >= tailStart {
            let from = Int(directoryOffset) - tailStart
            directory = Array(tail[from..<(from + Int(directorySize))])
        } else {
            directory = try zip.bytes(Int(directoryOffset), Int(directorySize))
        }
        let b = LittleEndianBytes(directory, file: file)
        var paths: [String] = []
        var entries: [String: CentralEntry] = [:]
        paths.reserveCapacity(Int(total))
        var o = 0
        let end = directory.count
        while o < end {
            guard try b.u32(o) == 0x0201_4B50 else {
                // ZIPFoundation also stops at the first record without the signature.
                break
            }
            if paths.count >= maximumEntries {
                throw CyclerReadError(file: file, reason: "zip directory lists more than \(maximumEntries) entries (corrupt)")
            }
            let madeBy = try b.u16(o + 4)
            let flags = try b.u16(o + 8)
            let method = try b.u16(o + 10)
            let crc = try b.u32(o + 16)
            var compressed = UInt64(try b.u32(o + 20))
            var uncompressed = UInt64(try b.u32(o + 24))
            let nameLength = Int(try b.u16(o + 28))
            let extraLength = Int(try b.u16(o + 30))
            let commentLength = Int(try b.u16(o + 32))
            let external = try b.u32(o + 38)
            var local = UInt64(try b.u32(o + 42))
            let nameBytes = try b.slice(o + 46, nameLength)
            let path = String(decoding: nameBytes, as: UTF8.self)
            if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF || local == 0xFFFF_FFFF {
                // ZIP64 extra field (id 1): the 64-bit values of the fields set to 0xFFFFFFFF, in
                // this order. Neware writes it even for small streams.
                var e = o + 46 + nameLength
                let extraEnd = e + extraLength
                var found = false
                while e + 4 <= extraEnd {
                    let id = try b.u16(e), size = Int(try b.u16(e + 2))
                    guard e + 4 + size <= extraEnd else { break }
                    if id == 1 {
                        var v = e + 4
                        func next() throws -> UInt64 {
                            guard v + 8 <= e + 4 + size else { throw corrupt("ZIP64 extra field of \(path) is too short") }
                            defer { v += 8 }
                            return try b.u64(v)
                        }
                        if uncompressed == 0xFFFF_FFFF { uncompressed = try next() }
                        if compressed == 0xFFFF_FFFF { compressed = try next() }
                        if local == 0xFFFF_FFFF { local = try next() }
                        found = true
                        break
                    }
                    e += 4 + size
                }
                guard found else { throw corrupt("entry \(path) has 32-bit sizes marked ZIP64 but no ZIP64 extra field") }
            }
            // Unix hosts keep the file type in the high half of the external attributes.
            let unixType = madeBy >> 8 == 3 ? (external >> 16) & 0o170000 : 0
            let regular = !path.hasSuffix("/") && (unixType == 0 || unixType == 0o100000)
            paths.append(path)
            if entries[path] == nil {
                entries[path] = CentralEntry(
                    method: method, flags: flags, crc32: crc, compressedSize: compressed,
                    uncompressedSize: uncompressed, localHeaderOffset: local, isRegularFile: regular)
            }
            o += 46 + nameLength + extraLength + commentLength
        }
        return (paths, entries)
    }

    private func read(_ entry: CentralEntry, path: String, from zip: ZipBytes, budget: Int) throws -> [UInt8] {
        guard entry.isRegularFile else {
            throw CyclerReadError(file: file, location: path, reason: "zip entry is not a regular file")
        }
        try checkDeclared(path: path, uncompressed: entry.uncompressedSize, compressed: entry.compressedSize, budget: budget)
        if entry.flags & 1 != 0 {
            throw CyclerReadError(file: file, location: path, reason: "zip entry is encrypted")
        }
        let local = Int(clamping: entry.localHeaderOffset)
        guard zip.contains(local, 30) else {
            throw CyclerReadError(file: file, location: path, reason: "zip entry's local header at byte \(local) is missing (corrupt)")
        }
        let header = LittleEndianBytes(try zip.bytes(local, 30), file: file)
        guard (try header.u32(0)) == 0x0403_4B50 else {
            throw CyclerReadError(file: file, location: path, reason: "zip entry's local header at byte \(local) is missing (corrupt)")
        }
        let start = local + 30 + Int(try header.u16(26)) + Int(try header.u16(28))
        let compressed = Int(clamping: entry.compressedSize)
        guard zip.contains(start, compressed) else {
            throw CyclerReadError(file: file, location: path, reason: "zip entry's \(compressed) compressed bytes run past the end of the file (truncated)")
        }
        let declared = Int(entry.uncompressedSize)
        let out: [UInt8]
        switch entry.method {
        case 0:
            guard compressed == declared else {
                throw CyclerReadError(file: file, location: path, reason: "stored zip entry holds \(compressed) bytes, \(declared) declared (corrupt)")
            }
            out = try zip.bytes(start, compressed)
        case 8:
            out = try zip.withBytes(start, compressed) { input in
                try inflate(input, declared: declared, path: path)
            }
        default:
            throw CyclerReadError(file: file, location: path, reason: "zip compression method \(entry.method) is not supported (deflate or stored are)")
        }
        #if canImport(CZlib)
        let crc = out.withUnsafeBufferPointer { p in UInt32(crc32(0, p.baseAddress, uInt(p.count))) }
        #else
        let crc = entry.crc32
        #endif
        guard crc == entry.crc32 else {
            throw CyclerReadError(file: file, location: path, reason: "zip entry fails its CRC-32 check (corrupt)")
        }
        return out
    }

    /// Raw deflate (no zlib header) of `count` bytes at `start`, into exactly `declared` bytes.
    private func inflate(_ input: UnsafeRawBufferPointer, declared: Int, path: String) throws -> [UInt8] {
        #if canImport(CZlib)
        var result: Int32 = Z_OK
        var produced = 0
        var overflow = false
        // One spare byte tells "ends exactly at the declared size" from "inflates past it".
        let out = [UInt8](unsafeUninitializedCapacity: declared + 1) { buffer, initialized in
            var stream = z_stream()
            guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                result = Z_MEM_ERROR
                initialized = 0
                return
            }
            defer { inflateEnd(&stream) }
            var empty: UInt8 = 0
            withUnsafeMutablePointer(to: &empty) { nothing in
                stream.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: UInt8.self)) } ?? nothing
                stream.avail_in = uInt(input.count)
                stream.next_out = buffer.baseAddress
                stream.avail_out = uInt(declared + 1)
                result = CZlib.inflate(&stream, Z_FINISH)
            }
            produced = Int(stream.total_out)
            overflow = produced > declared
            initialized = min(produced, declared)
        }
        if overflow {
            throw CyclerReadError(file: file, location: path, reason: "zip entry inflates past its declared size (corrupt or zip bomb)")
        }
        guard result == Z_STREAM_END else {
            let why = result == Z_DATA_ERROR ? "invalid deflate data" : result == Z_MEM_ERROR ? "out of memory" : "deflate stream ends early"
            throw CyclerReadError(file: file, location: path, reason: "zip entry cannot be inflated (\(why); truncated or corrupt)")
        }
        guard produced == declared else {
            throw CyclerReadError(file: file, location: path, reason: "zip entry inflated to \(produced) bytes, \(declared) declared (truncated or corrupt)")
        }
        return out
        #else
        throw CyclerReadError(file: file, location: path, reason: "this build has no zlib to inflate zip entries")
        #endif
    }

    // MARK: through ZIPFoundation

    private func read(_ entry: Entry, path: String, from archive: Archive, budget: Int) throws -> [UInt8] {
        guard entry.type == .file else {
            throw CyclerReadError(file: file, location: path, reason: "zip entry is not a regular file")
        }
        let declared = entry.uncompressedSize
        try checkDeclared(path: path, uncompressed: declared, compressed: entry.compressedSize, budget: budget)
        var out: [UInt8] = []
        out.reserveCapacity(Int(declared))
        var overflow = false
        do {
            _ = try archive.extract(entry, bufferSize: 64 * 1024, skipCRC32: false) { chunk in
                if out.count + chunk.count > budget || out.count + chunk.count > Int(declared) {
                    overflow = true
                    throw CyclerReadError(file: self.file, location: path, reason: "zip entry inflates past its declared size (corrupt or zip bomb)")
                }
                out.append(contentsOf: chunk)
            }
        } catch let error as CyclerReadError {
            throw error
        } catch {
            throw CyclerReadError(file: file, location: path, reason: "zip entry cannot be inflated (\(error))")
        }
        if overflow || out.count != Int(declared) {
            throw CyclerReadError(file: file, location: path, reason: "zip entry inflated to \(out.count) bytes, \(declared) declared (truncated or corrupt)")
        }
        return out
    }
}

/// The bytes of a zip archive: a file read range by range (the directory, then only the entries
/// asked for), or bytes already in memory.
final class ZipBytes {
    let count: Int
    let file: String
    private let handle: FileHandle?
    private let memory: [UInt8]

    init(url: URL, file: String) throws {
        self.file = file
        memory = []
        do {
            let h = try FileHandle(forReadingFrom: url)
            let size = try h.seekToEnd()
            guard size <= UInt64(Int.max) else { throw CyclerReadError(file: file, reason: "file of \(size) bytes is too large") }
            handle = h
            count = Int(size)
        } catch {
            throw CyclerReadError.wrapping(error, file: file)
        }
    }

    init(memory: [UInt8], file: String) {
        self.file = file
        self.memory = memory
        handle = nil
        count = memory.count
    }

    deinit { try? handle?.close() }

    /// True when `length` bytes at `offset` lie inside the archive (overflow-safe).
    func contains(_ offset: Int, _ length: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= count && length <= count - offset
    }

    func bytes(_ offset: Int, _ length: Int) throws -> [UInt8] {
        try withBytes(offset, length) { Array($0.bindMemory(to: UInt8.self)) }
    }

    /// Calls `body` with the bytes `[offset, offset+length)`; an error when they are not all there.
    func withBytes<T>(_ offset: Int, _ length: Int, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        guard contains(offset, length) else {
            throw CyclerReadError(file: file, location: "byte \(offset)", reason: "\(length) bytes needed past the end of the \(count)-byte archive (truncated)")
        }
        guard let handle else {
            return try memory.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + length)])) }
        }
        let data: Data
        do {
            try handle.seek(toOffset: UInt64(offset))
            data = try handle.read(upToCount: length) ?? Data()
        } catch {
            throw CyclerReadError.wrapping(error, file: file, location: "byte \(offset)")
        }
        guard data.count == length else {
            throw CyclerReadError(file: file, location: "byte \(offset)", reason: "read \(data.count) of \(length) bytes (file truncated while reading)")
        }
        return try data.withUnsafeBytes { try body($0) }
    }
}
