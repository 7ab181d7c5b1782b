/// A receiver's id in `alert_receivers`: its kind and a digest of its URL, so every coordinator
/// configured with the same URL names it alike, and a restart finds its own outbox rows again.
/// FNV-1a (64 bit) — a name, not a secret; `kind`+`url` is unique in the table anyway.
public enum ReceiverIdentity {
    public static func id(kind: ReceiverKind, url: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in url.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "\(kind.rawValue)-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
