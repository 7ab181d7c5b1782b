import Foundation

/// Jet's column type codes (first byte of a TDEF column descriptor).
enum JetColumnType: Sendable, Hashable {
    case bool, byte, int16, int32, money, float32, float64, dateTime, binary, text, ole, memo, guid, numeric, complex
    case unknown(UInt8)

    init(code: UInt8) {
        switch code {
        case 0x01: self = .bool
        case 0x02: self = .byte
        case 0x03: self = .int16
        case 0x04: self = .int32
        case 0x05: self = .money
        case 0x06: self = .float32
        case 0x07: self = .float64
        case 0x08: self = .dateTime
        case 0x09: self = .binary
        case 0x0A: self = .text
        case 0x0B: self = .ole
        case 0x0C: self = .memo
        case 0x0F: self = .guid
        case 0x10: self = .numeric
        case 0x12: self = .complex
        default: self = .unknown(code)
        }
    }

    /// Bytes a fixed-width value occupies, or nil for variable-length types.
    var fixedWidth: Int? {
        switch self {
        case .bool: return 0
        case .byte: return 1
        case .int16: return 2
        case .int32, .float32, .complex: return 4
        case .money, .float64, .dateTime: return 8
        case .guid: return 16
        case .numeric: return 17
        case .binary, .text, .ole, .memo, .unknown: return nil
        }
    }
}

/// One column of a table as its TDEF describes it.
struct JetColumn: Sendable, Hashable {
    var name: String
    var type: JetColumnType
    /// Position in the row's null mask (deleted columns keep their numbers).
    var number: Int
    /// Entry in the row's variable-offset table (variable-length columns).
    var variableIndex: Int
    /// Offset of the value after the row's column count (fixed-length columns).
    var fixedOffset: Int
    var length: Int
    var flags: UInt8
    var precision: Int
    var scale: Int

    var isFixed: Bool { flags & 0x01 != 0 }
}
