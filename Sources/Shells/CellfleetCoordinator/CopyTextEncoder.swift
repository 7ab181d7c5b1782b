import NIOCore

/// Writes rows in PostgreSQL's COPY text format (tab-separated, `\N` for NULL), the only format
/// postgres-nio's `copyFrom` speaks. Numbers are ASCII; nothing here needs escaping because only
/// UUIDs and numbers are written.
/// (docs/delivery.md §9.12.)
struct CopyTextEncoder: TextOutputStream {
    var buffer: ByteBuffer
    private(set) var nonFiniteValues = 0

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    mutating func writeUUID(_ text: String) {
        buffer.writeString(text)
        buffer.writeInteger(UInt8(ascii: "\t"))
    }

    mutating func writeInteger<T: FixedWidthInteger>(_ value: T, last: Bool = false) {
        buffer.writeString(String(value))
        buffer.writeInteger(UInt8(ascii: last ? "\n" : "\t"))
    }

    /// A measurement; NaN and infinities are stored as NULL and counted.
    mutating func writeDouble(_ value: Double, last: Bool = false) {
        if value.isFinite {
            // Double's TextOutputStreamable hands its (shortest, round-trip) digits straight to
            // `_writeASCII` below: no String made per value, half the cost of `description`,
            // the same text.
            value.write(to: &self)
        } else {
            nonFiniteValues += 1
            buffer.writeStaticString("\\N")
        }
        buffer.writeInteger(UInt8(ascii: last ? "\n" : "\t"))
    }

    mutating func writeNull(last: Bool = false) {
        buffer.writeStaticString("\\N")
        buffer.writeInteger(UInt8(ascii: last ? "\n" : "\t"))
    }

    mutating func write(_ string: String) {
        buffer.writeString(string)
    }

    mutating func _writeASCII(_ bytes: UnsafeBufferPointer<UInt8>) {
        buffer.writeBytes(bytes)
    }
}
