/// What one `stat` of a followed file says: which file it is (a periodic re-export that replaces
/// a file gets a new inode) and how big and how recent. Two equal observations mean "unchanged".
public struct FileObservation: Sendable, Hashable, Codable {
    public var identity: FileIdentity
    public var sizeBytes: Int64
    public var modificationUnixSeconds: Double

    public init(identity: FileIdentity, sizeBytes: Int64, modificationUnixSeconds: Double) {
        self.identity = identity
        self.sizeBytes = sizeBytes
        self.modificationUnixSeconds = modificationUnixSeconds
    }
}

/// A file's identity on its filesystem (device and inode): the same path with another identity
/// is another file, written anew.
public struct FileIdentity: Sendable, Hashable, Codable {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }
}

/// How the instrument's software writes a file while the test runs.
public enum FileGrowth: String, Sendable, Hashable, Codable {
    /// Text exports: records are appended; only the new complete lines are read, from the saved point.
    case appended
    /// Binary files (and text the reader cannot resume mid-file): the whole file is rewritten;
    /// once stable it is re-read, the records already sent checked unchanged, the rest sent.
    case rewritten
}
