@testable import CellfleetCoordinator
import Foundation
import Testing

/// The COPY text the coordinator sends must be exactly what PostgreSQL reads back as the same
/// float8: Swift's shortest round-trip digits, written without a String per value.
@Test func copyTextDoublesAreTheShortestRoundTripDigits() {
    var values: [Double] = [0, -0.0, 1, -1, 0.1, 3.5, 1e-300, -2.2250738585072014e-308, 5e-324, 1.7976931348623157e308, 1_764_000_000.125, 123456789012345680]
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<10_000 { values.append(Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF | (generator.next() & 0x8000_0000_0000_0000))) }
    for _ in 0..<10_000 { values.append(Double.random(in: -5...5, using: &generator)) }
    var encoder = CopyTextEncoder(capacity: 1 << 20)
    for value in values { encoder.writeDouble(value) }
    let text = encoder.buffer.getString(at: encoder.buffer.readerIndex, length: encoder.buffer.readableBytes) ?? ""
    let fields = text.split(separator: "\t", omittingEmptySubsequences: false).dropLast()
    #expect(fields.count == values.count)
    for (field, value) in zip(fields, values) {
        #expect(field == value.description[...])
        #expect(Double(field)?.bitPattern == value.bitPattern)
    }
    #expect(encoder.nonFiniteValues == 0)
}

@Test func copyTextNonFiniteValuesAreNullAndCounted() {
    var encoder = CopyTextEncoder(capacity: 64)
    encoder.writeDouble(.nan)
    encoder.writeDouble(.infinity)
    encoder.writeDouble(-.infinity, last: true)
    #expect(encoder.buffer.getString(at: 0, length: encoder.buffer.readableBytes) == "\\N\t\\N\t\\N\n")
    #expect(encoder.nonFiniteValues == 3)
}
