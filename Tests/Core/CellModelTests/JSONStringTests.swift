import CellModel
import Foundation
import PropertyBased
import Testing

/// JSON string literals: whatever the text (quotes, backslashes, control characters, any
/// Unicode), a JSON parser reads back exactly the text, on the copied-whole path and the
/// escaped one alike.
@Suite struct JSONStringTests {
    static func readBack(_ literal: String) throws -> String? {
        (try JSONSerialization.jsonObject(with: Data(("[" + literal + "]").utf8)) as? [String])?.first
    }

    @Test func plainAndEscapedTextReadBackExactly() throws {
        for text in ["", "bench-0/ch12", "2026-12-07T14:27:14.883759Z", "µΩ Li|LGPS|Li", "a\"b", "back\\slash", "tab\tnew\nline\r", "\u{01}\u{1F}", "emoji 🔋"] {
            #expect(try Self.readBack(JSONString.quoted(text)) == text, "\(JSONString.quoted(text))")
        }
        #expect(JSONString.quoted("a\"b\\c\n\u{01}") == #""a\"b\\c\n\u0001""#)
    }

    @Test func randomTextReadsBackExactly() async {
        let alphabet: [Character] = ["a", "Z", "0", "/", " ", "\"", "\\", "\n", "\r", "\t", "\u{00}", "\u{1F}", "\u{7F}", "é", "Ω", "🔋"]
        await propertyCheck(count: 500, input: Gen.int(in: 0...40), Gen.uint64(in: 0 ... .max)) { length, seed in
            var random = SplitMix64(state: seed)
            // Half the cases draw only from the characters that need no escape (the copied-whole path).
            let plain = random.next() % 2 == 0
            let pool = plain ? alphabet.filter { !["\"", "\\", "\n", "\r", "\t", "\u{00}", "\u{1F}"].contains($0) } : alphabet
            let text = String((0..<length).map { _ in pool[Int(random.next() % UInt64(pool.count))] })
            #expect((try? Self.readBack(JSONString.quoted(text))) == text, "\(JSONString.quoted(text))")
        }
    }
}
