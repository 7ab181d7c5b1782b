import Foundation

/// Neware records gathered from an `.nda` or from the streams of an `.ndax`, before the
/// post-processing BTSDA itself applies: duplicate indices dropped, records ordered by index,
/// steps counted, and cycles numbered the BTSDA way (a new cycle starts at a charge step that
/// follows a discharge). Output columns are named as NewareNDA names them.
struct NewareRecordTable {
    var index: [UInt32] = []
    /// The step identifier whose changes are counted to number steps.
    var stepKey: [UInt64] = []
    var stepIndex: [UInt32] = []
    var status: [UInt8] = []
    /// Step time, s.
    var time: [Double] = []
    var voltage: [Double] = []
    var currentMilliamps: [Double] = []
    var chargeCapacity: [Double] = []
    var dischargeCapacity: [Double] = []
    var chargeEnergy: [Double] = []
    var dischargeEnergy: [Double] = []
    /// Seconds since 1970-01-01 (UTC when `timestampIsUTC`, tester wall clock otherwise); NaN when unknown.
    var timestamp: [Double] = []
    var timestampIsUTC = false
    var timestampHasMilliseconds = false  // informational: sub-second resolution recorded
    /// Aux channels: column name (`T1`, `V1`, `t2`…) → value per record index.
    var aux: [(name: String, values: [UInt32: Double])] = []

    var count: Int { index.count }

    mutating func reserve(_ n: Int) {
        let n = max(0, min(n, 50_000_000))
        index.reserveCapacity(n); stepKey.reserveCapacity(n); stepIndex.reserveCapacity(n); status.reserveCapacity(n)
        time.reserveCapacity(n); voltage.reserveCapacity(n); currentMilliamps.reserveCapacity(n)
        chargeCapacity.reserveCapacity(n); dischargeCapacity.reserveCapacity(n)
        chargeEnergy.reserveCapacity(n); dischargeEnergy.reserveCapacity(n); timestamp.reserveCapacity(n)
    }

    mutating func append(
        index i: UInt32, stepKey k: UInt64, stepIndex si: UInt32, status st: UInt8, time t: Double,
        voltage v: Double, current c: Double, chargeCapacity cc: Double, dischargeCapacity dc: Double,
        chargeEnergy ce: Double, dischargeEnergy de: Double, timestamp ts: Double
    ) {
        index.append(i); stepKey.append(k); stepIndex.append(si); status.append(st); time.append(t)
        voltage.append(v); currentMilliamps.append(c); chargeCapacity.append(cc); dischargeCapacity.append(dc)
        chargeEnergy.append(ce); dischargeEnergy.append(de); timestamp.append(ts)
    }

    mutating func addAux(_ name: String, index: UInt32, value: Double) {
        if let k = aux.firstIndex(where: { $0.name == name }) {
            if aux[k].values[index] == nil { aux[k].values[index] = value }
        } else {
            aux.append((name, [index: value]))
        }
    }

    /// Orders aux columns as NewareNDA's pivot of `.nda` aux records lays them out: all
    /// temperatures (`T1`, `T2`…), then all voltages (`V1`, `V2`…), channels ascending.
    mutating func orderAuxByKindThenChannel() {
        func key(_ name: String) -> (Int, Int, String) {
            let kind = name.first.map { "TV".firstIndex(of: $0).map { "TV".distance(from: "TV".startIndex, to: $0) } ?? 2 } ?? 2
            return (kind, Int(name.dropFirst()) ?? Int.max, name)
        }
        aux.sort { key($0.name) < key($1.name) }
    }

    /// Drops repeated indices (first wins) and orders by index, as BTSDA shows records.
    mutating func normalizeOrder() {
        // Usual case: indices already strictly increasing, nothing to do.
        var increasing = true
        for r in 1..<max(1, count) where index[r] <= index[r - 1] { increasing = false; break }
        if increasing { return }
        var monotonic = true
        var seen = Set<UInt32>()
        seen.reserveCapacity(count)
        var keep: [Int] = []
        keep.reserveCapacity(count)
        var last: UInt32? = nil
        for r in 0..<count where seen.insert(index[r]).inserted {
            if let l = last, index[r] < l { monotonic = false }
            last = index[r]
            keep.append(r)
        }
        if keep.count == count && monotonic { return }
        if !monotonic { keep.sort { index[$0] < index[$1] } }
        func pick<T>(_ a: [T]) -> [T] { keep.map { a[$0] } }
        index = pick(index); stepKey = pick(stepKey); stepIndex = pick(stepIndex); status = pick(status)
        time = pick(time); voltage = pick(voltage); currentMilliamps = pick(currentMilliamps)
        chargeCapacity = pick(chargeCapacity); dischargeCapacity = pick(dischargeCapacity)
        chargeEnergy = pick(chargeEnergy); dischargeEnergy = pick(dischargeEnergy); timestamp = pick(timestamp)
    }

    /// 1-based step counter that increases whenever the step identifier changes.
    func countedSteps() -> [Double] {
        var out = [Double](repeating: 0, count: count)
        var n = 0.0
        for r in 0..<count {
            if r == 0 || stepKey[r] != stepKey[r - 1] { n += 1 }
            out[r] = n
        }
        return out
    }

    /// BTSDA's cycle numbering ("charge first"): the cycle increments at the first record of a
    /// CC/CCCV/CP charge step once a discharge (or a simulation step) has been seen since the
    /// last increment.
    func btsdaCycles() -> [Double] {
        var out = [Double](repeating: 1, count: count)
        var cycle = 1.0
        var dischargeSeen = false
        var previousWasIncrementStep = false
        for r in 0..<count {
            let s = status[r]
            let isIncrementStep = NewareStatus.startsCycle(s)
            let entersIncrementStep = r == 0 || (isIncrementStep && !previousWasIncrementStep)
            previousWasIncrementStep = isIncrementStep
            switch NewareStatus.direction(s) {
            case .charge, .discharge:
                if entersIncrementStep && dischargeSeen {
                    cycle += 1
                    dischargeSeen = false
                } else if NewareStatus.direction(s) == .discharge {
                    dischargeSeen = true
                }
            case .none:
                if s == NewareStatus.simulation { dischargeSeen = true }
            }
            out[r] = cycle
        }
        return out
    }

    /// The table as NewareNDA lays it out: fixed columns, then aux channels that hold data.
    func makeSource(format: String, metadata: [String: String]) -> DecodedTableSource {
        let steps = countedSteps()
        let cycles = btsdaCycles()
        var names = [
            "Index", "Cycle", "Step", "Step_Index", "Status", "Time", "Voltage", "Current(mA)",
            "Charge_Capacity(mAh)", "Discharge_Capacity(mAh)", "Charge_Energy(mWh)", "Discharge_Energy(mWh)", "Timestamp",
        ]
        var columns: [DecodedColumn] = [
            .numbers(index.map(Double.init)), .numbers(cycles), .numbers(steps), .numbers(stepIndex.map(Double.init)),
            .labels(codes: status, names: NewareStatus.names), .numbers(time), .numbers(voltage), .numbers(currentMilliamps),
            .numbers(chargeCapacity), .numbers(dischargeCapacity), .numbers(chargeEnergy), .numbers(dischargeEnergy),
            .numbers(timestamp),
        ]
        for channel in aux where !channel.values.isEmpty {
            names.append(channel.name)
            columns.append(.numbers(index.map { channel.values[$0] ?? .nan }))
        }
        var meta = metadata
        // Timestamp is a number, seconds since 1970-01-01T00:00:00, so no text is built and
        // parsed back per record; this key says which clock it counts on.
        meta["Timestamp zone"] = timestampIsUTC ? "UTC" : "tester local time"
        meta["Timestamp unit"] = "s since 1970-01-01T00:00:00"
        return DecodedTableSource(format: format, columnNames: names, columns: columns, metadata: meta)
    }
}

/// Neware's step-type codes (`Status`), as BTSDA labels them.
enum NewareStatus {
    static let simulation: UInt8 = 17

    static let known: [UInt8: String] = [
        1: "CC_Chg", 2: "CC_DChg", 3: "CV_Chg", 4: "Rest", 5: "Cycle", 7: "CCCV_Chg", 8: "CP_DChg",
        9: "CP_Chg", 10: "CR_DChg", 13: "Pause", 16: "Pulse", 17: "SIM", 19: "CV_DChg", 20: "CCCV_DChg",
        21: "Control", 22: "OCV", 26: "CPCV_DChg", 27: "CPCV_Chg",
    ]

    /// Label per code 0…255; codes BTSDA does not document stay visible as `Status_<n>`.
    static let names: [String] = (0...255).map { known[UInt8($0)] ?? "Status_\($0)" }

    enum Direction { case charge, discharge, none }

    /// Charge/discharge direction per code, from the label's suffix (`CC_Chg`, `CPCV_DChg`…).
    static let directions: [Direction] = (0...255).map { code in
        guard let name = known[UInt8(code)], let underscore = name.firstIndex(of: "_") else { return .none }
        let tail = name[name.index(after: underscore)...]
        if tail == "Chg" { return .charge }
        if tail == "DChg" { return .discharge }
        return .none
    }

    @inline(__always)
    static func direction(_ code: UInt8) -> Direction { directions[Int(code)] }

    /// Steps that open a new cycle once a discharge has been seen.
    static func startsCycle(_ code: UInt8) -> Bool { code == 1 || code == 7 || code == 9 }
}

/// Scale of Neware's integer current/capacity fields, set by the channel's current range.
enum NewareRange {
    static let multipliers: [Int32: Double] = [
        -100_000_000: 10, -200_000: 1e-2, -100_000: 1e-2, -60_000: 1e-2, -30_000: 1e-2, -50_000: 1e-2,
        -40_000: 1e-2, -20_000: 1e-2, -12_000: 1e-2, -10_000: 1e-2, -6_000: 1e-2, -5_000: 1e-2, -3_000: 1e-2,
        -2_000: 1e-2, -1_000: 1e-2, -500: 1e-3, -100: 1e-3, -50: 1e-4, -25: 1e-4, -20: 1e-4, -10: 1e-4,
        -5: 1e-5, -2: 1e-5, -1: 1e-5, 0: 0, 1: 1e-4, 2: 1e-4, 5: 1e-4, 10: 1e-3, 20: 1e-3, 25: 1e-3,
        50: 1e-3, 100: 1e-2, 200: 1e-2, 250: 1e-2, 500: 1e-2, 1_000: 1e-1, 6_000: 1e-1, 10_000: 1e-1,
        12_000: 1e-1, 20_000: 1e-1, 30_000: 1e-1, 40_000: 1e-1, 50_000: 1e-1, 60_000: 1e-1,
        100_000: 1e-1, 200_000: 1e-1,
    ]
}
