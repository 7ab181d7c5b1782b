import Foundation

/// Reads an EC-Lab / BT-Lab `.mpr` ("BIO-LOGIC MODULAR FILE"): a sequence of modules
/// (`VMP Set`, `VMP data`, `VMP LOG`, `VMP loop`), the data module holding fixed-width records
/// described by a list of column identifiers. Records are decoded straight from the file bytes
/// as they are requested; nothing is copied per column.
public struct BioLogicMPRSource: RawRecordSource {
    public let format = "biologic_mpr"
    public let columnNames: [String]
    public let metadata: [String: String]
    public private(set) var position: Int = 0
    /// Records the data module declares (and holds).
    public let recordCount: Int

    struct Field {
        var offset: Int
        var kind: BioLogicColumnKind
    }

    let bytes: LittleEndianBytes
    let fields: [Field]
    let dataStart: Int
    let recordSize: Int

    static let magic = Array("BIO-LOGIC MODULAR FILE".utf8)

    public init(url: URL, limits: BinaryReadLimits = .default) throws {
        try self.init(bytes: readFileDirectly(url, limits: limits), file: url.lastPathComponent)
    }

    public init(bytes raw: [UInt8], file: String) throws {
        let b = LittleEndianBytes(raw, file: file)
        guard b.matches(Self.magic, at: 0) else {
            throw CyclerReadError(file: file, location: "byte 0", reason: "not a BioLogic .mpr: missing 'BIO-LOGIC MODULAR FILE' signature")
        }
        let modules = try Self.readModules(b)
        guard let data = modules.first(where: { $0.shortName == "VMP data" }) else {
            throw CyclerReadError(file: file, reason: "no 'VMP data' module: the file holds no records")
        }
        var meta: [String: String] = [:]
        if let set = modules.first(where: { $0.shortName == "VMP Set" }) {
            meta["settings date"] = set.date
        }
        if let log = modules.first(where: { $0.shortName == "VMP LOG" }) {
            meta["log date"] = log.date
            if let start = Self.acquisitionStart(b, module: log) {
                meta["Acquisition started on"] = start
            }
        }
        meta["data module version"] = String(data.version)

        // Column identifiers, then the records.
        let n = Int(try b.u32(data.offset))
        let columnCount = Int(try b.u8(data.offset + 4))
        var ids: [Int] = []
        let recordsOffset: Int
        switch data.version {
        case 0:
            if try b.u8(data.offset + 5) != 0 {
                for i in 0..<columnCount { ids.append(Int(try b.u8(data.offset + 5 + i))) }
                recordsOffset = 100
            } else {
                for i in 0..<columnCount { ids.append(Int(try b.u8(data.offset + 5 + 2 * i + 1))) }
                recordsOffset = 1007
            }
        case 2, 3:
            for i in 0..<columnCount { ids.append(Int(try b.u16(data.offset + 5 + 2 * i))) }
            recordsOffset = data.version == 3 ? 406 : 405
        default:
            throw CyclerReadError(file: file, location: "byte \(data.offset)", reason: "unsupported 'VMP data' module version \(data.version)")
        }

        var names: [String] = []
        var fields: [Field] = []
        var nameCounts: [String: Int] = [:]
        var size = 0
        var flagsOffset: Int?
        func unique(_ name: String) -> String {
            let count = (nameCounts[name] ?? 0) + 1
            nameCounts[name] = count
            return count > 1 ? "\(name) \(count)" : name
        }
        for id in ids {
            if let flag = BioLogicColumnTable.flags[id] {
                if flagsOffset == nil { flagsOffset = size; size += 1 }
                names.append(unique(flag.name))
                fields.append(Field(offset: flagsOffset ?? 0, kind: .flag(mask: flag.mask)))
            } else if let column = BioLogicColumnTable.columns[id] {
                names.append(unique(column.name))
                fields.append(Field(offset: size, kind: column.kind))
                size += column.kind.byteWidth
            } else {
                throw CyclerReadError(
                    file: file, location: "byte \(data.offset + 5)",
                    reason: "unknown column id \(id) after column '\(names.last ?? "none")': record width cannot be known")
            }
        }
        guard size > 0 else {
            throw CyclerReadError(file: file, location: "byte \(data.offset)", reason: "data module declares no columns")
        }
        let start = data.offset + recordsOffset
        let available = data.offset + data.length - start
        let (needed, overflow) = n.multipliedReportingOverflow(by: size)
        guard start <= data.offset + data.length, !overflow, needed <= available else {
            throw CyclerReadError(
                file: file, location: "byte \(data.offset)",
                reason: "data module declares \(n) records of \(size) bytes but holds only \(max(0, available)) bytes (truncated or corrupt)")
        }
        self.bytes = b
        self.columnNames = names
        self.fields = fields
        self.dataStart = start
        self.recordSize = size
        self.recordCount = n
        self.metadata = meta
    }

    public mutating func next(into row: inout [RawValue]) throws -> Bool {
        guard position < recordCount else { return false }
        if row.count != fields.count { row = Array(repeating: .missing, count: fields.count) }
        let base = dataStart + position * recordSize
        guard bytes.contains(base, recordSize) else {
            throw bytes.error(base, "record \(position) runs past the end of the file")
        }
        bytes.storage.withUnsafeBytes { raw in
            row.withUnsafeMutableBufferPointer { out in
            for i in 0..<min(fields.count, out.count) {
                let f = fields[i]
                let o = base + f.offset
                let v: Double
                switch f.kind {
                case .float32: v = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self))))
                case .float64: v = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self)))
                case .uint8: v = Double(raw[o])
                case .uint16: v = Double(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
                case .uint32: v = Double(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
                case .flag(let mask):
                    let byte = raw[o] & mask
                    v = Double(byte >> UInt8(mask.trailingZeroBitCount))
                }
                out[i] = .number(v)
            }
            }
        }
        position += 1
        return true
    }

    /// Skips to record `index`, for resuming a file that grew since it was last read.
    public mutating func seek(to index: Int) {
        position = min(max(0, index), recordCount)
    }

    // MARK: modules

    struct Module {
        var shortName: String
        var length: Int
        var version: Int
        var date: String
        /// Offset of the module's payload.
        var offset: Int
    }

    static func readModules(_ b: LittleEndianBytes) throws -> [Module] {
        var modules: [Module] = []
        var o = 52
        let moduleMagic = Array("MODULE".utf8)
        while o < b.count {
            guard b.matches(moduleMagic, at: o) else {
                throw b.error(o, "expected 'MODULE' header, found other bytes (corrupt module chain)")
            }
            let h = o + 6
            let short = try b.text(h, 10)
            let isV2 = try b.u32(h + 35) == 0xFFFF_FFFF
            let length: Int
            let version: Int
            let date: String
            let payload: Int
            if isV2 {
                length = Int(try b.u32(h + 39))
                version = Int(try b.u32(h + 43))
                date = try b.text(h + 51, 8)
                payload = h + 59
            } else {
                length = Int(try b.u32(h + 35))
                version = Int(try b.u32(h + 39))
                date = try b.text(h + 43, 8)
                payload = h + 51
            }
            guard b.contains(payload, length) else {
                throw b.error(o, "module '\(short)' declares \(length) bytes but only \(max(0, b.count - payload)) remain (truncated)")
            }
            modules.append(Module(shortName: short, length: length, version: version, date: date, offset: payload))
            o = payload + length
        }
        return modules
    }

    /// The start of acquisition is an OLE automation date (days since 1899-12-30) at one of a
    /// few offsets in the LOG module, depending on the EC-Lab version; a plausible value
    /// (years 2009–2064) identifies it.
    static func acquisitionStart(_ b: LittleEndianBytes, module: Module) -> String? {
        for rel in [465, 469, 473, 585] where rel + 8 <= module.length {
            guard let days = try? b.f64(module.offset + rel), days > 40000, days < 60000 else { continue }
            return formatOLEDate(days)
        }
        return nil
    }

    /// Formats like EC-Lab's header: `MM/DD/YYYY HH:MM:SS.fff` (tester local time).
    static func formatOLEDate(_ days: Double) -> String {
        let totalMillis = Int64((days * 86_400_000).rounded())
        let dayNumber = totalMillis / 86_400_000
        var ms = totalMillis - dayNumber * 86_400_000
        let (y, m, d) = CivilDate.fromDays(dayNumber - 25569)  // 1899-12-30 → 1970-01-01
        let h = ms / 3_600_000; ms -= h * 3_600_000
        let mi = ms / 60_000; ms -= mi * 60_000
        let s = ms / 1000; ms -= s * 1000
        return "\(pad(m, 2))/\(pad(d, 2))/\(y) \(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)).\(pad(ms, 3))"
    }
}

@inline(__always)
func pad(_ v: Int64, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

extension BioLogicMPRSource: ColumnBlockSource {
    func blockKind(ofColumn index: Int) -> ColumnBlockKind? {
        index >= 0 && index < fields.count ? .numbers(nanIsMissing: false) : nil
    }

    /// The column decoded straight from the records' bytes, one tight loop per column.
    func copyColumn(_ index: Int, from start: Int, count: Int, into out: UnsafeMutablePointer<Double>) throws {
        precondition(start >= 0 && count >= 0 && start + count <= recordCount, "block outside the data module")
        if count == 0 { return }
        // The first record that `next(into:)` would have refused (none: `init` checked the module's length).
        let first = dataStart + start * recordSize
        guard bytes.contains(first, count * recordSize) else {
            var bad = start
            while bytes.contains(dataStart + bad * recordSize, recordSize) { bad += 1 }
            throw bytes.error(dataStart + bad * recordSize, "record \(bad) runs past the end of the file")
        }
        let f = fields[index]
        let size = recordSize
        bytes.storage.withUnsafeBytes { raw in
            var o = first + f.offset
            switch f.kind {
            case .float32:
                for k in 0..<count { out[k] = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)))); o += size }
            case .float64:
                for k in 0..<count { out[k] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self))); o += size }
            case .uint8:
                for k in 0..<count { out[k] = Double(raw[o]); o += size }
            case .uint16:
                for k in 0..<count { out[k] = Double(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt16.self))); o += size }
            case .uint32:
                for k in 0..<count { out[k] = Double(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self))); o += size }
            case .flag(let mask):
                let shift = UInt8(mask.trailingZeroBitCount)
                for k in 0..<count { out[k] = Double((raw[o] & mask) >> shift); o += size }
            }
        }
    }
}

/// The whole file in one allocation filled by `read(2)`. `readWholeFile` (Foundation's
/// attribute lookup, `FileHandle.readToEnd` into `Data`, then a copy into `[UInt8]`) cost as
/// much as decoding and normalising a small `.mpr`. Anything unusual (the file cannot be opened
/// or sized, or changes size while read) goes to `readWholeFile`, whose errors callers know.
func readFileDirectly(_ url: URL, limits: BinaryReadLimits) throws -> [UInt8] {
    let fd = open(url.path, O_RDONLY)
    guard fd >= 0 else { return try readWholeFile(url, limits: limits) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0 else {
        return try readWholeFile(url, limits: limits)
    }
    let size = Int(info.st_size)
    if size > limits.maximumFileBytes {
        throw CyclerReadError(file: url.lastPathComponent, reason: "file is \(size) bytes, above the \(limits.maximumFileBytes)-byte limit")
    }
    var complete = false
    let bytes = [UInt8](unsafeUninitializedCapacity: size + 1) { buffer, count in
        var got = 0
        // One byte more than the size, to see that the file did not grow meanwhile.
        while got <= size {
            let n = read(fd, buffer.baseAddress! + got, size + 1 - got)
            if n > 0 { got += n; continue }
            if n < 0, errno == EINTR { continue }
            break
        }
        complete = got == size
        count = min(got, size)
    }
    return complete ? bytes : try readWholeFile(url, limits: limits)
}
