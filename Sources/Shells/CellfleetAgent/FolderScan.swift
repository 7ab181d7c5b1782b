import FileFollowing
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The file system side of following folders: which files a watched folder holds, and what a
/// `stat` says of one.
enum FolderScan {
    /// The followed files under `watch.directory`, as paths relative to it, sorted; and the
    /// sub-folders visited (for inotify). A folder that cannot be listed is reported, not fatal:
    /// a share may be away for a moment.
    static func followedFiles(in watch: WatchedFolder) -> (files: [String], directories: [String], problem: String?) {
        if let only = watch.onlyFiles { return (only, [], nil) }
        var files: [String] = []
        var directories: [String] = []
        var problem: String?
        func visit(_ relative: String) {
            let absolute = relative.isEmpty ? watch.directory.path : watch.directory.path + "/" + relative
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: absolute)
            } catch {
                if problem == nil { problem = "cannot list \(absolute): \(error.localizedDescription)" }
                return
            }
            directories.append(absolute)
            for name in names.sorted() {
                let path = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                guard stat(absolute + "/" + name, &info) == 0 else { continue }
                if (info.st_mode & S_IFMT) == S_IFDIR {
                    if watch.recursive, !name.hasPrefix(".") { visit(path) }
                } else if (info.st_mode & S_IFMT) == S_IFREG, watch.filter.follows(name) {
                    files.append(path)
                }
            }
        }
        visit("")
        return (files, directories, problem)
    }

    /// The file at `path` now; nil when it is not there.
    static func observe(_ path: String) throws(FileReadProblem) -> FileObservation? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw .transient("cannot stat \(path): \(String(cString: strerror(code)))")
        }
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        return FileObservation(
            identity: FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)),
            sizeBytes: Int64(info.st_size), modificationUnixSeconds: modified)
    }

    /// The byte at `offset` of the file at `path` (nil past its end).
    static func byte(at offset: Int64, of path: String) throws(FileReadProblem) -> UInt8? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .transient("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var byte: UInt8 = 0
        let count = pread(fd, &byte, 1, off_t(offset))
        if count < 0 { throw .transient("cannot read \(path): \(String(cString: strerror(errno)))") }
        return count == 1 ? byte : nil
    }
}

/// Linux inotify on the watched folders: a change wakes the agent's next scan at once instead of
/// at the poll interval. It cannot see what another machine writes on a network share, which is
/// why the agent polls as well (`poll_seconds`).
final class FolderNotifications {
    private let descriptor: Int32
    private var watched: Set<String> = []

    init?() {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        descriptor = fd
    }

    deinit { close(descriptor) }

    func watch(_ directories: [String]) {
        let mask = UInt32(IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB)
        for directory in directories where !watched.contains(directory) {
            if inotify_add_watch(descriptor, directory, mask) >= 0 { watched.insert(directory) }
        }
    }

    /// Whether anything happened since the last call (the events themselves are not needed: a
    /// scan compares what it finds with what it knew).
    func drain() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var any = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            any = true
        }
        return any
    }
}
