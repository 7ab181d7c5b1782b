import Foundation
import Hummingbird
import NIOCore

/// A request's JSON body, read strictly: bounded in size, an object with only the keys the
/// route takes (an unknown key is a 400 naming it: a misspelt field silently ignored would
/// drop what the person meant), strings without NUL.
enum RequestBody {
    static let maximumBytes = 64 * 1024
    /// A note is a sentence or a paragraph, not a file.
    static let noteMaximumCharacters = 4000

    /// The body as an object; an empty body is an empty object.
    static func object(_ request: Request, keys: Set<String>) async throws -> [String: Any] {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maximumBytes)
        } catch {
            throw APIProblem(status: .contentTooLarge, type: "body-too-large", title: "Body too large",
                             detail: "the body may hold at most \(maximumBytes) bytes")
        }
        let bytes = Data(body.readableBytesView)
        if bytes.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return [:] }
        guard let object = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] else {
            throw APIProblem.badBody("the body must be a JSON object (keys: \(keys.sorted().joined(separator: ", "))), or empty")
        }
        if let unknown = object.keys.sorted().first(where: { !keys.contains($0) }) {
            throw APIProblem.badBody("unknown key '\(unknown)'; the body takes: \(keys.sorted().joined(separator: ", "))")
        }
        return object
    }

    /// An optional `note`.
    static func note(_ value: Any?) throws -> String? {
        switch value {
        case nil, is NSNull: return nil
        case let note as String:
            guard !note.unicodeScalars.contains("\u{0}") else { throw APIProblem.badBody("the note contains a NUL character") }
            guard note.count <= noteMaximumCharacters else {
                throw APIProblem.badBody("the note has \(note.count) characters; at most \(noteMaximumCharacters)")
            }
            return note
        default: throw APIProblem.badBody("\"note\" must be a string")
        }
    }
}
