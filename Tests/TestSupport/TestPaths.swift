import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the repository, the executable and scratch space are for tests, and a free port.
public enum TestPaths {
    /// The repository root, from this file's location.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `cellfleet` executable built next to the test bundle, or the one CELLFLEET_BINARY
    /// names (a release build driven by the debug tests: the soak).
    public static var cellfleet: String {
        if let binary = ProcessInfo.processInfo.environment["CELLFLEET_BINARY"], FileManager.default.isExecutableFile(atPath: binary) {
            return binary
        }
        let bundleDirectory = Bundle.main.bundleURL.deletingLastPathComponent()
        for candidate in [
            bundleDirectory.appendingPathComponent("cellfleet").path,
            Bundle.main.bundleURL.appendingPathComponent("cellfleet").path,
            repositoryRoot.appendingPathComponent(".build/debug/cellfleet").path,
        ] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return repositoryRoot.appendingPathComponent(".build/debug/cellfleet").path
    }

    /// A TCP port nothing listens on right now.
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    public static func temporaryDirectory(_ name: String) -> URL {
        let url = URL(fileURLWithPath: "/var/tmp").appendingPathComponent("cellfleet-\(name)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
