import Crypto
import Foundation

/// A bearer token as people hold it: `cft_` and 32 random bytes in base64url (no padding). The
/// prefix lets secret scanners and people recognise one; only its SHA-256 is stored.
public struct APIToken: Sendable, Hashable {
    public static let prefix = "cft_"
    /// 32 bytes: guessing one is hopeless, so an unsalted hash suffices (migration 0007).
    public static let randomByteCount = 32

    public let text: String

    public init?(_ text: String) {
        guard text.hasPrefix(Self.prefix), text.utf8.count == Self.prefix.utf8.count + 43,
              text.dropFirst(Self.prefix.count).allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { return nil }
        self.text = text
    }

    /// A new token from the system's random source.
    public static func generate() -> APIToken {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<randomByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return APIToken(unchecked: prefix + base64URL(bytes))
    }

    private init(unchecked text: String) { self.text = text }

    /// What the database keeps.
    public var sha256: [UInt8] { Self.sha256(of: text) }

    /// The hash of any presented text, well-formed or not (an ill-formed one matches no row).
    public static func sha256(of text: String) -> [UInt8] { Array(SHA256.hash(data: Data(text.utf8))) }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
