import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Atomic, durable replacement of a small file beside the spool (the ledger, the agent's
/// registry): written to a temporary file, fsynced, renamed into place, the directory fsynced.
/// A failure at any step leaves the old file as it was and removes the temporary one, so a full
/// disk never leaves a torn file, nor a half-written temporary taking the space it lacked.
public enum DurableFile {
    public static func replace(_ url: URL, with data: Data) throws {
        try replace(url, with: data, faults: nil)
    }

    static func replace(_ url: URL, with data: Data, faults: SpoolFaultInjection?) throws {
        let temporary = url.appendingPathExtension("tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SpoolError.failure("create \(temporary.path)", errno: errno) }
        var renamed = false
        defer {
            close(fd)
            if !renamed { unlink(temporary.path) }
        }
        let injected = faults?.consume(.storeFile)
        try data.withUnsafeBytes { bytes in
            let limit = injected == nil ? bytes.count : bytes.count / 2
            var written = 0
            while written < limit {
                let n = write(fd, bytes.baseAddress! + written, limit - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SpoolError.failure("write \(temporary.path)", errno: errno)
                }
                written += n
            }
        }
        if let injected { throw SpoolError.failure("write \(temporary.path)", errno: injected) }
        guard fsync(fd) == 0 else { throw SpoolError.failure("fsync \(temporary.path)", errno: errno) }
        guard rename(temporary.path, url.path) == 0 else { throw SpoolError.failure("rename \(url.path)", errno: errno) }
        renamed = true
        try syncDirectory(url.deletingLastPathComponent())
    }

    static func syncDirectory(_ directory: URL) throws {
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SpoolError.failure("open \(directory.path)", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SpoolError.failure("fsync \(directory.path)", errno: errno) }
    }
}
