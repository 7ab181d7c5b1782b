import Foundation
import ZIPFoundation

/// A read-only zip archive (`.ndax`, `.xlsx`) whose entries are inflated under a byte budget:
/// the declared size is checked before inflating, and the inflated bytes are counted as they
/// arrive, so neither a lying header nor a zip bomb can exhaust memory.
final class ZipContainer {
    let archive: Archive
    let file: String
    let limits: BinaryReadLimits
    /// Size of the container, to sanity-check declared compressed sizes.
    let containerBytes: UInt64
    /// Entry paths in archive order.
    let entryPaths: [String]
    private var entriesByPath: [String: Entry] = [:]

    convenience init(url: URL, limits: BinaryReadLimits) throws {
        let name = url.lastPathComponent
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.uint64Value ?? 0
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .read) } catch {
            throw CyclerReadError(file: name, reason: "not a readable zip container (\(error))")
        }
        try self.init(archive: archive, file: name, containerBytes: size, limits: limits)
    }

    /// Opens zip bytes already in memory. They are spooled to an unlinked temporary file:
    /// ZIPFoundation's in-memory archive traps when a corrupt header seeks past the end of the
    /// data, while its file-backed reader simply reads nothing there.
    convenience init(data: Data, file: String, limits: BinaryReadLimits) throws {
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

    private init(archive: Archive, file: String, containerBytes: UInt64, limits: BinaryReadLimits) throws {
        self.archive = archive
        self.file = file
        self.limits = limits
        self.containerBytes = containerBytes
        var paths: [String] = []
        var count = 0
        for entry in archive {
            count += 1
            if count > 100_000 {
                throw CyclerReadError(file: file, reason: "zip directory lists more than 100000 entries (corrupt)")
            }
            let path = entry.path
            paths.append(path)
            if entriesByPath[path] == nil { entriesByPath[path] = entry }
        }
        self.entryPaths = paths
    }

    func contains(_ path: String) -> Bool { entriesByPath[path] != nil }

    /// Inflates one entry whole, refusing it when its declared or actual size exceeds the budget.
    func read(_ path: String, limit: Int? = nil) throws -> [UInt8] {
        guard let entry = entriesByPath[path] else {
            throw CyclerReadError(file: file, location: path, reason: "zip entry is missing")
        }
        guard entry.type == .file else {
            throw CyclerReadError(file: file, location: path, reason: "zip entry is not a regular file")
        }
        let budget = min(limit ?? limits.maximumEntryBytes, limits.maximumEntryBytes)
        let declared = entry.uncompressedSize
        if declared > UInt64(budget) {
            throw CyclerReadError(file: file, location: path, reason: "zip entry declares \(declared) bytes, above the \(budget)-byte limit")
        }
        if containerBytes > 0 && entry.compressedSize > containerBytes {
            throw CyclerReadError(file: file, location: path, reason: "zip entry declares \(entry.compressedSize) compressed bytes in a \(containerBytes)-byte file (corrupt)")
        }
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
