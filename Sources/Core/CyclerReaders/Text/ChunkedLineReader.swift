import Foundation

/// One line of a file, pointing into the reader's buffer; valid until the next read.
struct LineBytes {
    let base: UnsafePointer<UInt8>
    let start: Int
    let end: Int
    /// The last line of the file with no line terminator.
    let isFinal: Bool

    var isBlank: Bool {
        for k in start..<end where base[k] != 0x20 && base[k] != 0x09 && base[k] != 0x0D { return false }
        return true
    }

    /// Empty fields before the first value: how a layered export marks a step row (one) or a
    /// record row (two). An empty field may be padded with spaces or written `""` (a file saved
    /// again by a spreadsheet).
    func leadingEmptyFields(delimiter: UInt8) -> Int {
        var count = 0
        var k = start
        while k < end {
            var j = k
            while j < end, base[j] == 0x20, delimiter != 0x20 { j += 1 }
            if j + 1 < end, base[j] == UInt8(ascii: "\""), base[j + 1] == UInt8(ascii: "\"") { j += 2 }
            while j < end, base[j] == 0x20, delimiter != 0x20 { j += 1 }
            guard j < end, base[j] == delimiter else { break }
            count += 1
            k = j + 1
        }
        return count
    }
}

/// Reads a file in large chunks and hands out lines without copying them.
/// Refuses binary data (NUL bytes) and absurdly long lines instead of buffering without bound.
/// A class because it owns a manually allocated buffer that lines point into.
final class ChunkedLineReader {
    static let chunkSize = 256 << 10
    static let maximumLineLength = 4 << 20

    private let path: String
    private let handle: FileHandle
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0
    private var lineStart = 0
    private var bufferFileOffset: Int
    private var atEOF = false
    private(set) var offsetOfNextLine: Int

    init(path: String, startOffset: Int) throws {
        self.path = path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CyclerReadError(file: path, reason: "cannot open the file for reading")
        }
        self.handle = handle
        do { try handle.seek(toOffset: UInt64(startOffset)) } catch {
            throw CyclerReadError(file: path, reason: "cannot seek to byte \(startOffset): \(error)")
        }
        self.bufferFileOffset = startOffset
        self.offsetOfNextLine = startOffset
        self.capacity = Self.chunkSize * 2
        self.storage = .allocate(capacity: capacity)
    }

    deinit {
        storage.deallocate()
        try? handle.close()
    }

    /// The next line, or nil at the end of the data.
    func nextLine(allowUnterminated: Bool) throws -> LineBytes? {
        while true {
            if lineStart < count, let found = memchr(storage + lineStart, 0x0A, count - lineStart) {
                let newline = storage.distance(to: found.assumingMemoryBound(to: UInt8.self))
                var end = newline
                if end > lineStart, storage[end - 1] == 0x0D { end -= 1 }
                let line = LineBytes(base: UnsafePointer(storage), start: lineStart, end: end, isFinal: false)
                lineStart = newline + 1
                offsetOfNextLine = bufferFileOffset + lineStart
                return line
            }
            if atEOF {
                guard lineStart < count, allowUnterminated else { return nil }
                var end = count
                if storage[end - 1] == 0x0D { end -= 1 }
                let line = LineBytes(base: UnsafePointer(storage), start: lineStart, end: end, isFinal: true)
                lineStart = count
                offsetOfNextLine = bufferFileOffset + lineStart
                return line
            }
            try refill()
        }
    }

    /// True when nothing but whitespace follows the line last returned. Invalidates that line.
    func restIsBlank() throws -> Bool {
        while true {
            var k = lineStart
            while k < count {
                let c = storage[k]
                if c != 0x20, c != 0x09, c != 0x0D, c != 0x0A { return false }
                k += 1
            }
            if atEOF { return true }
            lineStart = k
            offsetOfNextLine = bufferFileOffset + lineStart
            try refill()
        }
    }

    private func refill() throws {
        if lineStart > 0 {
            let remaining = count - lineStart
            if remaining > 0 { memmove(storage, storage + lineStart, remaining) }
            bufferFileOffset += lineStart
            count = remaining
            lineStart = 0
        }
        if count > Self.maximumLineLength {
            throw CyclerReadError(file: path, location: "byte \(bufferFileOffset)", reason: "a line longer than \(Self.maximumLineLength) bytes: not a text export")
        }
        // Read straight into the buffer (no intermediate `Data`): that copy was a tenth of a parse.
        if count + Self.chunkSize > capacity {
            let newCapacity = max(capacity * 2, count + Self.chunkSize)
            let newStorage = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            newStorage.update(from: storage, count: count)
            storage.deallocate()
            storage = newStorage
            capacity = newCapacity
        }
        let oldCount = count
        var got = 0
        while true {
            got = read(handle.fileDescriptor, storage + count, Self.chunkSize)
            if got >= 0 || errno != EINTR { break }
        }
        if got < 0 {
            let reason = String(cString: strerror(errno))
            throw CyclerReadError(file: path, location: "byte \(bufferFileOffset + count)", reason: "read failed: \(reason)")
        }
        if got == 0 { atEOF = true; return }
        count += got
        if memchr(storage + oldCount, 0, count - oldCount) != nil {
            throw CyclerReadError(file: path, location: "byte \(bufferFileOffset + oldCount)", reason: "binary data (NUL bytes) inside a text export: the file is corrupt or not text")
        }
    }
}
