import Foundation

/// A byte buffer whose every read is bounds-checked, so a corrupt length or offset in a cycler
/// file becomes a `CyclerReadError` naming the byte offset instead of a trap.
struct LittleEndianBytes: Sendable {
    let storage: [UInt8]
    /// File name used in errors.
    let file: String

    init(_ storage: [UInt8], file: String) {
        self.storage = storage
        self.file = file
    }

    var count: Int { storage.count }

    /// True when `length` bytes starting at `offset` lie inside the buffer (overflow-safe).
    @inline(__always)
    func contains(_ offset: Int, _ length: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= storage.count && length <= storage.count - offset
    }

    func error(_ offset: Int, _ reason: String) -> CyclerReadError {
        CyclerReadError(file: file, location: "byte \(offset)", reason: reason)
    }

    @inline(__always)
    func load<T: FixedWidthInteger>(_ offset: Int, as type: T.Type) throws -> T {
        guard contains(offset, MemoryLayout<T>.size) else {
            throw error(offset, "truncated: needs \(MemoryLayout<T>.size) bytes, file has \(storage.count)")
        }
        return storage.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    @inline(__always) func u8(_ o: Int) throws -> UInt8 { try load(o, as: UInt8.self) }
    @inline(__always) func u16(_ o: Int) throws -> UInt16 { try load(o, as: UInt16.self) }
    @inline(__always) func i16(_ o: Int) throws -> Int16 { try load(o, as: Int16.self) }
    @inline(__always) func u32(_ o: Int) throws -> UInt32 { try load(o, as: UInt32.self) }
    @inline(__always) func i32(_ o: Int) throws -> Int32 { try load(o, as: Int32.self) }
    @inline(__always) func u64(_ o: Int) throws -> UInt64 { try load(o, as: UInt64.self) }
    @inline(__always) func i64(_ o: Int) throws -> Int64 { try load(o, as: Int64.self) }
    @inline(__always) func f32(_ o: Int) throws -> Float { Float(bitPattern: try u32(o)) }
    @inline(__always) func f64(_ o: Int) throws -> Double { Double(bitPattern: try u64(o)) }

    /// The bytes `[offset, offset+length)`, or an error when they run past the end.
    func slice(_ offset: Int, _ length: Int) throws -> ArraySlice<UInt8> {
        guard contains(offset, length) else {
            throw error(offset, "truncated: \(length) bytes declared, \(max(0, storage.count - max(0, offset))) remain")
        }
        return storage[offset..<(offset + length)]
    }

    /// Whether the bytes at `offset` equal `pattern` (false when out of range).
    func matches(_ pattern: [UInt8], at offset: Int) -> Bool {
        guard contains(offset, pattern.count) else { return false }
        for (i, b) in pattern.enumerated() where storage[offset + i] != b { return false }
        return true
    }

    /// First offset ≥ `from` where `pattern` occurs.
    func firstIndex(of pattern: [UInt8], from: Int = 0) -> Int? {
        guard let first = pattern.first, !pattern.isEmpty else { return nil }
        var i = max(0, from)
        let last = storage.count - pattern.count
        while i <= last {
            if storage[i] == first && matches(pattern, at: i) { return i }
            i += 1
        }
        return nil
    }

    /// Latin-1/ASCII text of a fixed-width field, trimmed of NULs and spaces.
    func text(_ offset: Int, _ length: Int) throws -> String {
        let bytes = try slice(offset, length)
        let chars = bytes.prefix { $0 != 0 }.map { Character(Unicode.Scalar($0)) }
        return String(chars).trimmingCharacters(in: .whitespaces)
    }
}
