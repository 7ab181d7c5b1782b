import Foundation

/// Ceilings that keep a hostile or corrupt file from exhausting memory: a zip entry that
/// inflates past its budget, or a declared record count far beyond what the bytes can hold,
/// is refused with an error rather than allocated.
public struct BinaryReadLimits: Sendable, Hashable {
    /// Largest inflated size accepted for one zip entry (`.ndax` stream, `.xlsx` sheet).
    public var maximumEntryBytes: Int
    /// Largest file read whole into memory (`.nda`, `.mpr`).
    public var maximumFileBytes: Int

    public init(maximumEntryBytes: Int = 1 << 30, maximumFileBytes: Int = 2 << 30) {
        self.maximumEntryBytes = maximumEntryBytes
        self.maximumFileBytes = maximumFileBytes
    }

    public static let `default` = BinaryReadLimits()
}

extension CyclerReadError {
    /// Wraps any non-`CyclerReadError` (I/O, zip library) so callers see one error type.
    static func wrapping(_ error: any Error, file: String, location: String? = nil) -> CyclerReadError {
        if let e = error as? CyclerReadError { return e }
        return CyclerReadError(file: file, location: location, reason: "\(error)")
    }
}

/// Reads a whole file, refusing ones above the limit before allocating.
func readWholeFile(_ url: URL, limits: BinaryReadLimits) throws -> [UInt8] {
    let name = url.lastPathComponent
    do {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        if let size = attributes[.size] as? NSNumber, size.int64Value > Int64(limits.maximumFileBytes) {
            throw CyclerReadError(file: name, reason: "file is \(size) bytes, above the \(limits.maximumFileBytes)-byte limit")
        }
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let data = try handle.readToEnd() ?? Data()
        return [UInt8](data)
    } catch {
        throw CyclerReadError.wrapping(error, file: name)
    }
}
