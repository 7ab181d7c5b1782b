/// Why stored bytes are not a chunk this build can read. A chunk is written once by compaction
/// and read many times; a damaged one must be reported, never trusted or crashed on.
public enum SampleChunkError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated
    case unknownFormat(UInt8)
    case unknownEncoding(column: String, tag: UInt8)
    case inconsistent(String)

    public var description: String {
        switch self {
        case .truncated: "the chunk ends before its columns do"
        case .unknownFormat(let format): "chunk format \(format) is not one this build reads"
        case .unknownEncoding(let column, let tag): "column \(column) has an unknown encoding \(tag)"
        case .inconsistent(let detail): "the chunk is inconsistent: \(detail)"
        }
    }
}
