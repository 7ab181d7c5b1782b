import Foundation

/// Reads a Neware `.ndax`: a zip of XML descriptions (TestInfo, Step, VersionInfo) and binary
/// `.ndc` streams. Older firmware writes every field into `data.ndc`; newer firmware splits
/// voltage/current (`data.ndc`), times/capacities (`data_runInfo.ndc`, not for every record),
/// step types (`data_step.ndc`) and aux channels (`data_AUX_*.ndc`). Records missing from
/// runInfo are filled the way NewareNDA fills them (forward integration of current over time),
/// so the output matches NewareNDA's.
public enum NewareNDAXReader {
    public static func open(url: URL, limits: BinaryReadLimits = .default) throws -> DecodedTableSource {
        try decode(ZipContainer(url: url, limits: limits))
    }

    public static func decode(data: Data, file: String, limits: BinaryReadLimits = .default) throws -> DecodedTableSource {
        try decode(ZipContainer(data: data, file: file, limits: limits))
    }

    /// Decodes from already-extracted streams (entry path → bytes), e.g. for tests and fuzzing
    /// of the `.ndc` decoders without the zip layer.
    public static func decode(streams: [String: [UInt8]], file: String) throws -> DecodedTableSource {
        try decode(InMemoryStreams(streams: streams, file: file))
    }

    static func decode(_ zip: some NDAXStreams) throws -> DecodedTableSource {
        var meta: [String: String] = [:]
        var auxDescriptions: [[String: String]] = []
        if zip.contains("VersionInfo.xml"), let xml = try? zip.read("VersionInfo.xml", limit: 1 << 20) {
            for (k, v) in XMLAttributes.first(tag: "ZwjVersion", in: xml) ?? [:] { meta["VersionInfo.\(k)"] = v }
        }
        if zip.contains("TestInfo.xml"), let xml = try? zip.read("TestInfo.xml", limit: 1 << 20) {
            for (k, v) in XMLAttributes.first(tag: "TestInfo", in: xml) ?? [:] { meta["TestInfo.\(k)"] = v }
            auxDescriptions = XMLAttributes.all(tagPrefix: "Aux", in: xml)
        }
        if zip.contains("Step.xml"), let xml = try? zip.read("Step.xml", limit: 4 << 20),
           let scq = XMLAttributes.first(tag: "SCQ", in: xml)?["Value"], let mass = Double(scq) {
            meta["active_mass_mg"] = String(mass / 1000)
        }
        guard zip.contains("data.ndc") else {
            throw CyclerReadError(file: zip.file, reason: "no data.ndc stream in the .ndax (unsupported layout)")
        }
        let data = try NDCStream(bytes: zip.read("data.ndc"), name: "data.ndc", file: zip.file)
        meta["ndc_version"] = String(data.version)
        var table = NewareRecordTable()
        switch data.fileType {
        case 1 where data.version == 2 || data.version == 5:
            try data.readFullRecords(into: &table)
        case 1:
            let scales = try data.voltageCurrentScales()
            guard zip.contains("data_runInfo.ndc"), zip.contains("data_step.ndc") else {
                throw CyclerReadError(file: zip.file, reason: "ndc version \(data.version) needs data_runInfo.ndc and data_step.ndc, which are missing")
            }
            let run = try NDCStream(bytes: zip.read("data_runInfo.ndc"), name: "data_runInfo.ndc", file: zip.file)
                .readRunInfo(maximumIndex: data.voltageCurrentSlots)
            let steps = try NDCStream(bytes: zip.read("data_step.ndc"), name: "data_step.ndc", file: zip.file).readSteps()
            NDCJoin.merge(data: data, scales: scales, run: run, steps: steps, into: &table)
        default:
            throw CyclerReadError(file: zip.file, location: "data.ndc", reason: "data.ndc has file type \(data.fileType), expected 1")
        }

        // Aux channels: files sorted by the numbers in their names, matched in order to the
        // <AuxN> entries of TestInfo.xml (the convention BTSDA follows).
        let auxFiles = auxStreamNames(zip.entryPaths)
        for (i, name) in auxFiles.enumerated() {
            let description = auxFiles.count == auxDescriptions.count ? auxDescriptions[i] : [:]
            let stream = try NDCStream(bytes: zip.read(name), name: name, file: zip.file)
            try stream.readAux(description: description, ordinal: i, into: &table)
        }

        guard table.count > 0 else {
            throw CyclerReadError(file: zip.file, reason: "no data records found (empty or corrupt .ndax)")
        }
        table.normalizeOrder()
        return table.makeSource(format: "neware_ndax", metadata: meta)
    }

    static func auxStreamNames(_ paths: [String]) -> [String] {
        var found: [(String, [Int])] = []
        for p in paths where p.hasSuffix(".ndc") {
            let stem = p.dropLast(4)
            let parts = stem.split(separator: "_")
            if stem.hasPrefix("data_AUX_"), parts.count >= 5 {
                let nums = parts.suffix(3).compactMap { Int($0) }
                if nums.count == 3 { found.append((p, nums)); continue }
            }
            if let last = parts.last, let n = Int(last) { found.append((p, [n, 0, 0])) }
        }
        return found.sorted { $0.1.lexicographicallyPrecedes($1.1) }.map(\.0)
    }
}

/// Where the `.ndax` members come from: the zip itself, or bytes already in memory.
protocol NDAXStreams {
    var file: String { get }
    var entryPaths: [String] { get }
    func contains(_ path: String) -> Bool
    func read(_ path: String, limit: Int?) throws -> [UInt8]
}

extension NDAXStreams {
    func read(_ path: String) throws -> [UInt8] { try read(path, limit: nil) }
}

extension ZipContainer: NDAXStreams {}

struct InMemoryStreams: NDAXStreams {
    var streams: [String: [UInt8]]
    var file: String
    var entryPaths: [String] { streams.keys.sorted() }
    func contains(_ path: String) -> Bool { streams[path] != nil }
    func read(_ path: String, limit: Int?) throws -> [UInt8] {
        guard let s = streams[path] else { throw CyclerReadError(file: file, location: path, reason: "stream is missing") }
        return s
    }
}

/// One `.ndc` stream: a 4096-byte header page, then 4096-byte pages of fixed-width slots.
struct NDCStream {
    let b: LittleEndianBytes
    let name: String
    let fileType: Int
    let version: Int
    static let page = 4096

    init(bytes: [UInt8], name: String, file: String) throws {
        b = LittleEndianBytes(bytes, file: file)
        self.name = name
        guard bytes.count >= 3 else {
            throw CyclerReadError(file: file, location: name, reason: "stream of \(bytes.count) bytes is too short for an ndc header")
        }
        fileType = Int(bytes[0])
        version = Int(bytes[2])
    }

    func error(_ reason: String) -> CyclerReadError {
        CyclerReadError(file: b.file, location: name, reason: reason)
    }

    /// Calls `body` with the offset of every slot of `width` bytes in [start, 4096-endPad) of
    /// every page after the header.
    func forEachSlot(start: Int, endPad: Int, width: Int, _ body: (Int) throws -> Void) throws {
        guard b.count % Self.page == 0 else {
            throw error("\(b.count) bytes is not a whole number of 4096-byte pages (truncated)")
        }
        let perPage = (Self.page - start - endPad) / width
        var pageStart = Self.page
        while pageStart + Self.page <= b.count {
            for k in 0..<perPage { try body(pageStart + start + k * width) }
            pageStart += Self.page
        }
    }

    /// Old layout (ndc 2 / 5): self-contained records tagged 0x55.
    func readFullRecords(into t: inout NewareRecordTable) throws {
        t.timestampIsUTC = false
        t.timestampHasMilliseconds = false
        // Offsets of the 0x55 records first (bounds settled here), then one pass that decodes them.
        var offsets: [Int] = []
        if version == 5 {
            try checkWholePages()
            offsets.reserveCapacity(b.count / 87)
            b.storage.withUnsafeBufferPointer { raw in
                forEachSlotUnchecked(start: 125, endPad: 56, width: 87) { o in
                    if raw[o + 7] == 0x55 { offsets.append(o) }
                }
            }
        } else {
            // ndc 2: 94-byte records located by the 8-byte tag at offset 517.
            let tag = Array(try b.slice(517, 8))
            var at = b.firstIndex(of: tag)
            while let o = at {
                if o + 94 <= b.count, b.storage[o] == 0x55 { offsets.append(o) }
                at = b.firstIndex(of: tag, from: o + 94)
            }
        }
        t.reserve(offsets.count)
        let skipZeroIndex = version != 5
        var lastRange: Int32? = nil
        var multiplier = 0.0
        try b.storage.withUnsafeBytes { raw in
            @inline(__always) func u8(_ o: Int) -> Int64 { Int64(raw[o]) }
            @inline(__always) func u32(_ o: Int) -> UInt32 { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
            @inline(__always) func i32(_ o: Int) -> Int32 { Int32(bitPattern: u32(o)) }
            @inline(__always) func i64(_ o: Int) -> Double { Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int64.self))) }
            for o in offsets {
                // Every field read below lies within the 87 (ndc 5) or 94 (ndc 2) bytes at `o`.
                let index = u32(o + 8)
                if index == 0 && skipZeroIndex { continue }
                let range = i32(o + 82)
                if range != lastRange {
                    guard let m = NewareRange.multipliers[range] else {
                        throw error("record \(index): unknown current range \(range)")
                    }
                    multiplier = m
                    lastRange = range
                }
                let m = multiplier
                let stepIndex = raw[o + 16]
                let year = Int64(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: o + 75, as: UInt16.self)))
                t.append(
                    index: index, stepKey: UInt64(stepIndex), stepIndex: UInt32(stepIndex), status: raw[o + 17],
                    time: Double(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: o + 23, as: UInt64.self))) / 1000,
                    voltage: Double(i32(o + 31)) / 10000, current: Double(i32(o + 35)) * m,
                    chargeCapacity: i64(o + 43) * m / 3600, dischargeCapacity: i64(o + 51) * m / 3600,
                    chargeEnergy: i64(o + 59) * m / 3600, dischargeEnergy: i64(o + 67) * m / 3600,
                    timestamp: NewareNDAReader.calendarSeconds(
                        year: year, month: u8(o + 77), day: u8(o + 78), hour: u8(o + 79), minute: u8(o + 80), second: u8(o + 81)))
            }
        }
    }

    /// Newer layout, data.ndc: (voltage, current) float pairs, the slot number being the record
    /// index; the scales of the two floats (V, mA) for this version.
    func voltageCurrentScales() throws -> (voltage: Double, current: Double) {
        try checkWholePages()
        switch version {
        case 11, 16: return (1e-4, 1)
        case 14, 17: return (1, 1000)
        default: throw error("ndc version \(version) (file type 1) is not supported")
        }
    }

    /// Number of (voltage, current) slots in data.ndc: the largest record index it can hold.
    var voltageCurrentSlots: UInt32 {
        UInt32(clamping: max(0, b.count / Self.page - 1) * ((Self.page - 132 - 4) / 8))
    }

    func checkWholePages() throws {
        guard b.count % Self.page == 0 else {
            throw error("\(b.count) bytes is not a whole number of 4096-byte pages (truncated)")
        }
    }

    /// `forEachSlot` for hot loops that read fixed offsets inside each slot: the caller has
    /// checked `checkWholePages()`, so every slot lies inside the buffer.
    @inline(__always)
    func forEachSlotUnchecked(start: Int, endPad: Int, width: Int, _ body: (Int) -> Void) {
        let perPage = (Self.page - start - endPad) / width
        var pageStart = Self.page
        while pageStart + Self.page <= b.count {
            var o = pageStart + start
            for _ in 0..<perPage {
                body(o)
                o += width
            }
            pageStart += Self.page
        }
    }

    struct RunInfo {
        var time: Double, dt: Double, chargeCapacity: Double, dischargeCapacity: Double
        var chargeEnergy: Double, dischargeEnergy: Double, timestamp: Double, step: Int
    }

    /// For each record index, where in data_runInfo.ndc the entry describing it lies (first
    /// wins) and the step count at that entry; entries are decoded when the join asks for them.
    struct RunInfoTable {
        let bytes: [UInt8]
        let scale: Double
        /// Record index → byte offset of its entry, or -1 when runInfo skipped that record.
        var offsetOfIndex: [Int32] = []
        var stepOfIndex: [Int32] = []

        /// The entry at byte `o` of `raw` (the stream's bytes).
        @inline(__always)
        func entry(at o: Int, step: Int, in raw: UnsafeRawBufferPointer) -> RunInfo {
            @inline(__always) func u32(_ o: Int) -> UInt32 { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
            @inline(__always) func i32(_ o: Int) -> Double { Double(Int32(bitPattern: u32(o))) }
            @inline(__always) func f32(_ o: Int) -> Double { Double(Float(bitPattern: u32(o))) }
            let milliseconds = Int16(littleEndian: raw.loadUnaligned(fromByteOffset: o + 45, as: Int16.self))
            return RunInfo(
                time: i32(o) / 1000, dt: i32(o + 29) / 1000,
                chargeCapacity: f32(o + 5) * scale, dischargeCapacity: f32(o + 9) * scale,
                chargeEnergy: f32(o + 13) * scale, dischargeEnergy: f32(o + 17) * scale,
                timestamp: i32(o + 33) + Double(milliseconds) / 1000, step: step)
        }
    }

    /// data_runInfo.ndc: times, capacities, energies, keyed by record index (first wins).
    func readRunInfo(maximumIndex: UInt32) throws -> RunInfoTable {
        guard fileType == 18 else { throw error("expected file type 18, found \(fileType)") }
        let (width, endPad, scale): (Int, Int, Double)
        switch version {
        case 11: (width, endPad, scale) = (47, 16, 1.0 / 3600)
        case 14: (width, endPad, scale) = (55, 4, 1000)
        case 16: (width, endPad, scale) = (100, 64, 1.0 / 3600)
        case 17: (width, endPad, scale) = (100, 64, 1000)
        default: throw error("ndc version \(version) (runInfo) is not supported")
        }
        try checkWholePages()
        guard b.count <= Int(Int32.max) else { throw error("\(b.count) bytes is too large for a runInfo stream") }
        // Indexed by record index; indices beyond data.ndc's cannot match a record.
        var out = RunInfoTable(bytes: b.storage, scale: scale)
        out.offsetOfIndex = [Int32](repeating: -1, count: Int(maximumIndex) + 1)
        out.stepOfIndex = [Int32](repeating: 0, count: Int(maximumIndex) + 1)
        var lastStepRaw: Int32? = nil
        var stepCount: Int32 = 0
        b.storage.withUnsafeBytes { raw in
            forEachSlotUnchecked(start: 132, endPad: endPad, width: width) { o in
                let index = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o + 41, as: UInt32.self))
                guard index != 0 else { return }
                let stepRaw = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: o + 37, as: Int32.self))
                if stepRaw != lastStepRaw { stepCount &+= 1; lastStepRaw = stepRaw }
                guard index <= maximumIndex, out.offsetOfIndex[Int(index)] < 0 else { return }
                out.offsetOfIndex[Int(index)] = Int32(o)
                out.stepOfIndex[Int(index)] = stepCount
            }
        }
        return out
    }

    struct StepInfo { var cycle: UInt32, stepIndex: UInt32, status: UInt8 }

    /// data_step.ndc: one entry per step, in order (entry k describes step k+1).
    func readSteps() throws -> [StepInfo] {
        guard fileType == 7 else { throw error("expected file type 7, found \(fileType)") }
        var out: [StepInfo] = []
        switch version {
        case 11, 14:
            try forEachSlot(start: 132, endPad: 5, width: 37) { o in
                let stepIndex = try b.u32(o + 4)
                guard stepIndex != 0 else { return }
                out.append(StepInfo(cycle: try b.u32(o) &+ 1, stepIndex: stepIndex, status: try b.u8(o + 24)))
            }
        case 16, 17:
            try forEachSlot(start: 132, endPad: 64, width: 100) { o in
                guard (try b.u32(o + 33)) != 0 else { return }
                out.append(StepInfo(cycle: try b.u32(o) &+ 1, stepIndex: try b.u32(o + 4), status: try b.u8(o + 24)))
            }
        default: throw error("ndc version \(version) (steps) is not supported")
        }
        return out
    }

    /// data_AUX_*.ndc: temperatures / voltages / humidity of one aux channel.
    func readAux(description: [String: String], ordinal: Int, into t: inout NewareRecordTable) throws {
        guard fileType == 5 else { throw error("expected aux file type 5, found \(fileType)") }
        let auxID = description["AuxID"] ?? "\(-(ordinal + 1))"
        let kind: String
        switch description["ChlType"] {
        case "103": kind = "T"
        case "335": kind = "t"
        case "345": kind = "H"
        default: kind = "?"
        }
        switch version {
        case 14, 17:
            var slot: UInt32 = 0
            try forEachSlot(start: 132, endPad: 4, width: 4) { o in
                slot &+= 1
                t.addAux("\(kind)\(auxID)", index: slot, value: Double(try b.f32(o)))
            }
        case 16:
            var slot: UInt32 = 0
            try forEachSlot(start: 132, endPad: 2, width: 7) { o in
                slot &+= 1
                t.addAux("V\(auxID)", index: slot, value: Double(try b.f32(o + 1)) * 1e-4)
                t.addAux("T\(auxID)", index: slot, value: Double(try b.i16(o + 5)) / 10)
            }
        case 5:
            try forEachSlot(start: 125, endPad: 56, width: 87) { o in
                let tag = b.storage[o + 7]
                guard tag == 0x65 || tag == 0x74 else { return }
                let channel = try b.u8(o + 3)
                let id = description["AuxID"] ?? String(channel)
                let index = try b.u32(o + 8)
                t.addAux("V\(id)", index: index, value: Double(try b.i32(o + 31)) / 10000)
                t.addAux("T\(id)", index: index, value: Double(try b.i16(o + 41)) / 10)
                if tag == 0x74 { t.addAux("t\(id)", index: index, value: Double(try b.i16(o + 43)) / 10) }
            }
        default:
            throw error("aux ndc version \(version) is not supported")
        }
    }
}

/// Joins the split newer-firmware streams into full records, filling records that runInfo
/// skipped by integrating forward from the last one it has (NewareNDA's `_data_interpolation`).
enum NDCJoin {
    static func merge(data: NDCStream, scales: (voltage: Double, current: Double), run: NDCStream.RunInfoTable,
                      steps: [NDCStream.StepInfo], into t: inout NewareRecordTable) {
        t.timestampIsUTC = true
        t.timestampHasMilliseconds = true
        t.reserve(Int(data.voltageCurrentSlots))
        var last: NDCStream.RunInfo? = nil
        var dt = Double.nan
        var timeInc = 0.0, capInc = 0.0, energyInc = 0.0
        var step = 0
        let (vScale, iScale) = scales
        run.bytes.withUnsafeBytes { runRaw in
            data.b.storage.withUnsafeBytes { raw in
                var slot: UInt32 = 0
                // data.ndc's pages were checked whole by voltageCurrentScales().
                data.forEachSlotUnchecked(start: 132, endPad: 4, width: 8) { o in
                    slot &+= 1
                    let vf = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
                    guard vf != 0 else { return }
                    let index = slot
                    let v = Double(vf) * vScale
                    let i = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o + 4, as: UInt32.self)))) * iScale
                    var time = Double.nan, stamp = Double.nan
                    var cc = Double.nan, dc = Double.nan, ce = Double.nan, de = Double.nan
                    let at = Int(index) < run.offsetOfIndex.count ? Int(run.offsetOfIndex[Int(index)]) : -1
                    if at >= 0 {
                        let info = run.entry(at: at, step: Int(run.stepOfIndex[Int(index)]), in: runRaw)
                        last = info
                        dt = info.dt
                        timeInc = 0; capInc = 0; energyInc = 0
                        step = info.step
                        time = info.time; stamp = info.timestamp
                        cc = info.chargeCapacity; dc = info.dischargeCapacity; ce = info.chargeEnergy; de = info.dischargeEnergy
                    } else if let l = last {
                        timeInc += dt
                        let capacity = dt * i / 3600
                        capInc += capacity
                        energyInc += capacity * v
                        time = l.time + timeInc
                        stamp = l.timestamp + timeInc
                        cc = abs(l.chargeCapacity) + max(0, capInc)
                        dc = abs(l.dischargeCapacity) + abs(min(0, capInc))
                        ce = abs(l.chargeEnergy) + max(0, energyInc)
                        de = abs(l.dischargeEnergy) + abs(min(0, energyInc))
                    }
                    let info: NDCStream.StepInfo? = step >= 1 && step <= steps.count ? steps[step - 1] : nil
                    t.append(
                        index: index, stepKey: UInt64(step), stepIndex: info?.stepIndex ?? 0, status: info?.status ?? 0,
                        time: time, voltage: v, current: i, chargeCapacity: cc, dischargeCapacity: dc,
                        chargeEnergy: ce, dischargeEnergy: de, timestamp: stamp)
                }
            }
        }
    }
}
