import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file of a fixed size kept allocated in the spool's directory (`space-reserve`), given up
/// when the file system is full and taken again when there is room.
///
/// Why: replacing the ledger needs room for its new copy before the old one is freed, and the
/// ledger must be stored before acknowledged segments may be unlinked (docs/delivery.md §2.2).
/// On a disk the spool itself filled, the acknowledgements that would free its segments could
/// then never be recorded. The spool appends only while it holds the reserve, so its own
/// records never take that last room.
final class SpaceReserve {
    static let fileName = "space-reserve"

    let path: String
    let bytes: Int
    private let faults: SpoolFaultInjection?
    private(set) var isHeld: Bool

    init(directory: URL, bytes: Int, faults: SpoolFaultInjection?) {
        path = directory.appendingPathComponent(Self.fileName).path
        self.bytes = bytes
        self.faults = faults
        var status = stat()
        // Blocks of 512 bytes: a sparse file of the right length holds nothing.
        isHeld = bytes <= 0 || (stat(path, &status) == 0 && Int(status.st_blocks) * 512 >= bytes)
    }

    /// Allocates the reserve unless it is held; throws `outOfSpace` when there is no room for it.
    func take() throws {
        guard !isHeld else { return }
        if let injected = faults?.consume(.reserve) { throw SpoolError.failure("allocate the space reserve \(path)", errno: injected) }
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SpoolError.failure("create the space reserve \(path)", errno: errno) }
        defer { close(fd) }
        let result = posix_fallocate(fd, 0, off_t(bytes))
        guard result == 0 else {
            // Whatever was allocated goes back: a partial reserve would only take room.
            unlink(path)
            throw SpoolError.failure("allocate the space reserve \(path)", errno: result)
        }
        isHeld = true
    }

    /// Frees the reserve's room for a file that must be stored now.
    func giveUp() {
        unlink(path)
        isHeld = bytes <= 0
    }
}
