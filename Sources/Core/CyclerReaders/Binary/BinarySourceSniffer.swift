import Foundation

/// Container formats recognised from their first bytes (and, for zips, their entries), so a
/// file is decoded by what it is rather than by its extension.
public enum BinaryContainerKind: String, Sendable, CaseIterable {
    case bioLogicMPR = "biologic_mpr"
    case newareNDA = "neware_nda"
    case newareNDAX = "neware_ndax"
    case xlsx = "xlsx"
    case arbinRes = "arbin_res"

    /// The kind of the file at `url`, or nil when it is none of the binary containers
    /// (a text export, or an unknown file).
    public static func sniff(url: URL) throws -> BinaryContainerKind? {
        let head: [UInt8]
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            head = [UInt8](try handle.read(upToCount: 32) ?? Data())
        } catch {
            throw CyclerReadError.wrapping(error, file: url.lastPathComponent)
        }
        guard let kind = sniff(head: head) else { return nil }
        if kind == .xlsx {
            // A zip: .ndax holds .ndc streams, .xlsx holds xl/workbook.xml.
            let zip = try ZipContainer(url: url, limits: .default)
            if zip.entryPaths.contains(where: { $0.hasSuffix(".ndc") }) { return .newareNDAX }
            if zip.contains("xl/workbook.xml") { return .xlsx }
            return nil
        }
        return kind
    }

    /// Classification from leading bytes alone (zips are reported as `.xlsx` pending a look inside).
    static func sniff(head: [UInt8]) -> BinaryContainerKind? {
        func starts(_ s: String, at offset: Int = 0) -> Bool {
            let p = Array(s.utf8)
            return head.count >= offset + p.count && Array(head[offset..<(offset + p.count)]) == p
        }
        if starts("BIO-LOGIC MODULAR FILE") { return .bioLogicMPR }
        if starts("NEWARE") { return .newareNDA }
        if head.count >= 4 && head[0] == 0x50 && head[1] == 0x4B && head[2] == 0x03 && head[3] == 0x04 { return .xlsx }
        if starts("Standard Jet DB", at: 4) || starts("Standard ACE DB", at: 4) { return .arbinRes }
        return nil
    }
}

/// Opens any supported binary container with the decoder its bytes call for. Throws a
/// `CyclerReadError` naming the file when it is not a known binary container.
public func openRawSource(url: URL, limits: BinaryReadLimits = .default) throws -> any RawRecordSource {
    guard let kind = try BinaryContainerKind.sniff(url: url) else {
        throw CyclerReadError(file: url.lastPathComponent, location: "byte 0", reason: "not a recognised binary cycler file (.mpr, .nda, .ndax, .xlsx, .res)")
    }
    switch kind {
    case .bioLogicMPR: return try BioLogicMPRSource(url: url, limits: limits)
    case .newareNDA: return try NewareNDAReader.open(url: url, limits: limits)
    case .newareNDAX: return try NewareNDAXReader.open(url: url, limits: limits)
    case .xlsx: return try WorkbookRecords.open(XLSXWorkbook(url: url, limits: limits), file: url.lastPathComponent).source
    case .arbinRes: return try ArbinResSource(url: url, limits: limits)
    }
}
