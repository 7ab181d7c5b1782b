import Foundation

/// What a container's decoder gives: a record stream, or a workbook whose sheets
/// `WorkbookRecords` turns into one (and, for LAND, the instrument's own cycle summary).
public enum DecodedContainer {
    case records(any RawRecordSource)
    case workbook(any CyclerWorkbook)

    /// The records, a workbook's as `WorkbookRecords` chains its sheets.
    public func recordSource(file: String) throws -> any RawRecordSource {
        switch self {
        case .records(let source): return source
        case .workbook(let book): return try WorkbookRecords.open(book, file: file).source
        }
    }
}

/// What the registry looks at to recognise a file: its first bytes and, for a zip, the names of
/// its entries. The zip is opened once, here, and handed to the decoder that claims it.
public final class ContainerProbe {
    public let path: String?
    public let head: [UInt8]
    let limits: BinaryReadLimits
    private var openedZip: ZipContainer??

    init(path: String?, head: [UInt8], limits: BinaryReadLimits) {
        self.path = path
        self.head = head
        self.limits = limits
    }

    func starts(with text: String, at offset: Int = 0) -> Bool {
        let bytes = Array(text.utf8)
        return head.count >= offset + bytes.count && head[offset..<(offset + bytes.count)].elementsEqual(bytes)
    }

    public var isZip: Bool { head.count >= 4 && head[0] == 0x50 && head[1] == 0x4B && head[2] == 0x03 && head[3] == 0x04 }

    /// The zip's directory, when it can be read (nil for a zip cut short or still being copied,
    /// or when there is only a head to look at).
    var zip: ZipContainer? {
        if let openedZip { return openedZip }
        var opened: ZipContainer?
        if isZip, let path { opened = try? ZipContainer(url: URL(fileURLWithPath: path), limits: limits) }
        openedZip = .some(opened)
        return opened
    }

    /// Whether the zip has an entry `matching`: by its directory when that can be read, else by
    /// the entry names its local headers spell in the first bytes (where a zip whose directory is
    /// lost still shows what it holds).
    func zipHasEntry(_ matching: (String) -> Bool, spelled marker: String) -> Bool {
        guard isZip else { return false }
        if let zip { return zip.entryPaths.contains(where: matching) }
        return Self.contains(head.prefix(64 * 1024), Array(marker.utf8))
    }

    /// A plain byte search: Foundation's `String` and `DataProtocol` searches over 64 KiB cost
    /// more than decoding a small `.ndax`.
    static func contains(_ window: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, window.count >= needle.count else { return false }
        var i = window.startIndex
        while i <= window.endIndex - needle.count {
            if window[i] == first, window[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }

    /// The zip the decoder reads: the one the probe opened, or (a directory that could not be
    /// read) opened again so that its error names the problem.
    func zipForDecoding() throws -> ZipContainer {
        if let zip { return zip }
        guard let path else { throw CyclerReadError(file: "(memory)", reason: "no file to read the zip from") }
        return try ZipContainer(url: URL(fileURLWithPath: path), limits: limits)
    }

    /// The first bytes the registry looks at, with a read error naming the file.
    static func readHead(_ url: URL) throws -> [UInt8] {
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            return [UInt8](try handle.read(upToCount: TextLayoutSniffer.headBytes) ?? Data())
        } catch {
            throw CyclerReadError.wrapping(error, file: url.lastPathComponent)
        }
    }

    func requirePath() throws -> String {
        guard let path else { throw CyclerReadError(file: "(memory)", reason: "no file to decode") }
        return path
    }
}

/// One binary container format: the rule that recognises its bytes, its name (the
/// `RawRecordSource.format` of what it decodes to, the `containers` of the profiles that read
/// it), and its decoder.
public struct ContainerFormat: Sendable {
    public let name: String
    /// A spreadsheet whose sheets hold the records (`.xlsx`), rather than a record stream.
    public let isWorkbook: Bool
    let recognises: @Sendable (ContainerProbe) -> Bool
    var decode: @Sendable (ContainerProbe) throws -> DecodedContainer
}

/// The one registry of binary cycler containers (`.mpr`, `.nda`, `.res`, `.ndax`, `.xlsx`):
/// `CyclerFile` (so `inspect`, `convert`, `detect`), `openRawSource` and `cellfleet bench parse`
/// all classify and decode through it, so a file is recognised the same way everywhere and the
/// bench's "decode only" figure times the decoder production uses. A file is recognised by what
/// it is, not by its extension.
public struct ContainerRegistry: Sendable {
    public typealias Open = @Sendable (_ path: String) throws -> any RawRecordSource
    public typealias OpenWorkbook = @Sendable (_ path: String) throws -> any CyclerWorkbook

    /// In the order they are tried: magic bytes first, then zips by their entries (an `.ndax`
    /// holds `.ndc` streams, an `.xlsx` `xl/workbook.xml`).
    public private(set) var formats: [ContainerFormat]

    /// Name of a file that has binary bytes (a NUL in its first 4 KiB) but no known format.
    public static let unknownBinary = "unknown_binary"

    public init(formats: [ContainerFormat]) {
        self.formats = formats
    }

    public static var builtIn: ContainerRegistry {
        ContainerRegistry(formats: [
            ContainerFormat(name: "biologic_mpr", isWorkbook: false, recognises: { $0.starts(with: "BIO-LOGIC MODULAR FILE") },
                            decode: { .records(try BioLogicMPRSource(url: URL(fileURLWithPath: try $0.requirePath()), limits: $0.limits)) }),
            ContainerFormat(name: "neware_nda", isWorkbook: false, recognises: { $0.starts(with: "NEWARE") },
                            decode: { .records(try NewareNDAReader.open(url: URL(fileURLWithPath: try $0.requirePath()), limits: $0.limits)) }),
            ContainerFormat(name: "arbin_res", isWorkbook: false, recognises: { $0.starts(with: "Standard Jet DB", at: 4) || $0.starts(with: "Standard ACE DB", at: 4) },
                            decode: { .records(try ArbinResSource(url: URL(fileURLWithPath: try $0.requirePath()), limits: $0.limits)) }),
            ContainerFormat(name: "neware_ndax", isWorkbook: false, recognises: { $0.zipHasEntry({ $0.hasSuffix(".ndc") }, spelled: ".ndc") },
                            decode: { .records(try NewareNDAXReader.decode($0.zipForDecoding())) }),
            ContainerFormat(name: "xlsx", isWorkbook: true, recognises: { $0.zipHasEntry({ $0 == "xl/workbook.xml" }, spelled: "xl/workbook.xml") },
                            decode: { .workbook(try XLSXWorkbook(zip: $0.zipForDecoding())) }),
        ])
    }

    /// The format of the file at `path` (whose first bytes are `head`), `unknownBinary` for
    /// binary bytes of no known format, nil for text.
    public func classify(path: String?, head: [UInt8], limits: BinaryReadLimits = .default) -> String? {
        classify(ContainerProbe(path: path, head: head, limits: limits))?.name
    }

    func classify(_ probe: ContainerProbe) -> ContainerFormat? {
        if let format = formats.first(where: { $0.recognises(probe) }) { return format }
        if probe.head.prefix(4096).contains(0) {
            return ContainerFormat(name: Self.unknownBinary, isWorkbook: false, recognises: { _ in true }, decode: { probe in
                throw CyclerReadError(file: probe.path ?? "(memory)", reason: "binary file of no known cycler format (and not a text export)")
            })
        }
        return nil
    }

    /// Classifies and decodes the file; nil when it is text (for the text readers).
    public func decode(path: String, head: [UInt8], limits: BinaryReadLimits = .default) throws -> (format: String, decoded: DecodedContainer)? {
        let probe = ContainerProbe(path: path, head: head, limits: limits)
        guard let format = classify(probe) else { return nil }
        return (format.name, try format.decode(probe))
    }

    /// Decodes the file as the named format, skipping recognition (the readers' tests do, to
    /// hold one decoder to another).
    public func open(container: String, path: String) throws -> any RawRecordSource {
        guard let format = formats.first(where: { $0.name == container }) else {
            if container == Self.unknownBinary {
                throw CyclerReadError(file: path, reason: "binary file of no known cycler format (and not a text export)")
            }
            throw CyclerReadError(file: path, reason: "recognised as \(container) but this build has no decoder for it")
        }
        return try Self.decoding(path, with: format.decode).recordSource(file: path)
    }

    /// A format's decoder run on the file at `path` (recognition skipped).
    private static func decoding(_ path: String, with decode: @Sendable (ContainerProbe) throws -> DecodedContainer) throws -> DecodedContainer {
        try decode(ContainerProbe(path: path, head: try TextLayoutSniffer.readHead(path: path), limits: .default))
    }

    /// The record decoders by name; setting one replaces that format's decoder (a test's stand-in).
    public var byContainer: [String: Open] {
        get { decoders(what: "a record stream") { if case .records(let source) = $0 { source } else { nil } } }
        set { replaceDecoders(newValue) { .records($0) } }
    }

    /// The workbook decoders by name; setting one replaces that format's decoder.
    public var workbooks: [String: OpenWorkbook] {
        get { decoders(what: "a workbook") { if case .workbook(let book) = $0 { book } else { nil } } }
        set { replaceDecoders(newValue) { .workbook($0) } }
    }

    /// Each format's decoder as a function of a path, for the formats that decode to `what`.
    private func decoders<Decoded>(what: String, _ extract: @escaping @Sendable (DecodedContainer) -> Decoded?) -> [String: @Sendable (String) throws -> Decoded] {
        var result: [String: @Sendable (String) throws -> Decoded] = [:]
        for format in formats where format.isWorkbook == (what == "a workbook") {
            let decode = format.decode
            result[format.name] = { path in
                guard let decoded = extract(try Self.decoding(path, with: decode)) else {
                    throw CyclerReadError(file: path, reason: "not \(what)")
                }
                return decoded
            }
        }
        return result
    }

    private mutating func replaceDecoders<Decoded>(_ replacements: [String: @Sendable (String) throws -> Decoded], as wrap: @escaping @Sendable (Decoded) -> DecodedContainer) {
        for index in formats.indices {
            guard let open = replacements[formats[index].name] else { continue }
            formats[index].decode = { wrap(try open(try $0.requirePath())) }
        }
    }
}

/// The registry under its earlier name (`CyclerFile.Options.decoders`).
public typealias RecordSourceDecoders = ContainerRegistry

/// Container formats recognised from their first bytes (and, for zips, their entries), so a
/// file is decoded by what it is rather than by its extension: the registry's classification
/// as an enum.
public enum BinaryContainerKind: String, Sendable, CaseIterable {
    case bioLogicMPR = "biologic_mpr"
    case newareNDA = "neware_nda"
    case newareNDAX = "neware_ndax"
    case xlsx = "xlsx"
    case arbinRes = "arbin_res"

    /// The kind of the file at `url`, or nil when it is none of the binary containers
    /// (a text export, or an unknown file).
    public static func sniff(url: URL) throws -> BinaryContainerKind? {
        ContainerRegistry.builtIn.classify(path: url.path, head: try ContainerProbe.readHead(url)).flatMap(BinaryContainerKind.init(rawValue:))
    }
}

/// Opens any supported binary container with the decoder the registry's rules call for, as
/// `CyclerFile` does (a workbook as the records of its sheets). Throws a `CyclerReadError`
/// naming the file when it is not a known binary container.
public func openRawSource(url: URL, limits: BinaryReadLimits = .default, registry: ContainerRegistry = .builtIn) throws -> any RawRecordSource {
    let probe = ContainerProbe(path: url.path, head: try ContainerProbe.readHead(url), limits: limits)
    guard let format = registry.classify(probe), format.name != ContainerRegistry.unknownBinary else {
        throw CyclerReadError(file: url.lastPathComponent, location: "byte 0", reason: "not a recognised binary cycler file (.mpr, .nda, .ndax, .xlsx, .res)")
    }
    return try format.decode(probe).recordSource(file: url.lastPathComponent)
}
