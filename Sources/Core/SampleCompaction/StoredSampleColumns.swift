/// Rows of the `samples` table, by column, as stored: every column but `seq` may be NULL (a
/// NaN measurement is stored as NULL, a cycler may not record a column at all). This is what a
/// chunk holds and gives back, bit for bit.
public struct StoredSampleColumns: Sendable, Equatable {
    public var seq: [Int64] = []
    public var unixTimeSeconds: [Double?] = []
    public var testTimeSeconds: [Double?] = []
    public var voltageVolts: [Double?] = []
    public var currentAmperes: [Double?] = []
    public var capacityAmpHours: [Double?] = []
    public var energyWattHours: [Double?] = []
    public var temperatureCelsius: [Double?] = []
    public var stepIndex: [Int32?] = []
    public var stepType: [Int16?] = []
    public var cycleIndex: [Int32?] = []

    public init() {}

    public var count: Int { seq.count }

    /// The names of the `samples` columns, in the order a chunk stores them.
    public static let columnNames = [
        "seq", "unix_time_s", "test_time_s", "voltage_v", "current_a", "capacity_ah", "energy_wh",
        "temperature_c", "step_index", "step_type", "cycle_index",
    ]

    /// Every column as long as `seq`.
    public var isRectangular: Bool {
        let n = seq.count
        return [unixTimeSeconds.count, testTimeSeconds.count, voltageVolts.count, currentAmperes.count, capacityAmpHours.count,
                energyWattHours.count, temperatureCelsius.count, stepIndex.count, stepType.count, cycleIndex.count].allSatisfy { $0 == n }
    }

    public mutating func reserveCapacity(_ rows: Int) {
        seq.reserveCapacity(rows)
        for path in Self.doubleColumns { self[keyPath: path].reserveCapacity(rows) }
        stepIndex.reserveCapacity(rows)
        stepType.reserveCapacity(rows)
        cycleIndex.reserveCapacity(rows)
    }

    /// Bit for bit: `==` on doubles takes NaN for unequal and −0 for +0; compaction promises more.
    public func isBitIdentical(to other: StoredSampleColumns) -> Bool {
        guard seq == other.seq, stepIndex == other.stepIndex, stepType == other.stepType, cycleIndex == other.cycleIndex else { return false }
        return Self.doubleColumns.allSatisfy { path in
            self[keyPath: path].map { $0?.bitPattern } == other[keyPath: path].map { $0?.bitPattern }
        }
    }

    static var doubleColumns: [WritableKeyPath<StoredSampleColumns, [Double?]>] {
        [\.unixTimeSeconds, \.testTimeSeconds, \.voltageVolts, \.currentAmperes, \.capacityAmpHours, \.energyWattHours, \.temperatureCelsius]
    }
}

extension StoredSampleColumns {
    /// One stored row.
    public struct Row: Sendable, Equatable {
        public var seq: Int64
        public var unixTimeSeconds: Double?
        public var testTimeSeconds: Double?
        public var voltageVolts: Double?
        public var currentAmperes: Double?
        public var capacityAmpHours: Double?
        public var energyWattHours: Double?
        public var temperatureCelsius: Double?
        public var stepIndex: Int32?
        public var stepType: Int16?
        public var cycleIndex: Int32?

        public init(seq: Int64, unixTimeSeconds: Double?, testTimeSeconds: Double?, voltageVolts: Double?, currentAmperes: Double?,
                    capacityAmpHours: Double?, energyWattHours: Double?, temperatureCelsius: Double?, stepIndex: Int32?, stepType: Int16?,
                    cycleIndex: Int32?) {
            self.seq = seq
            self.unixTimeSeconds = unixTimeSeconds
            self.testTimeSeconds = testTimeSeconds
            self.voltageVolts = voltageVolts
            self.currentAmperes = currentAmperes
            self.capacityAmpHours = capacityAmpHours
            self.energyWattHours = energyWattHours
            self.temperatureCelsius = temperatureCelsius
            self.stepIndex = stepIndex
            self.stepType = stepType
            self.cycleIndex = cycleIndex
        }
    }

    public init(rows: some Collection<Row>) {
        self.init()
        reserveCapacity(rows.count)
        for row in rows { append(row) }
    }

    public mutating func append(_ row: Row) {
        seq.append(row.seq)
        unixTimeSeconds.append(row.unixTimeSeconds)
        testTimeSeconds.append(row.testTimeSeconds)
        voltageVolts.append(row.voltageVolts)
        currentAmperes.append(row.currentAmperes)
        capacityAmpHours.append(row.capacityAmpHours)
        energyWattHours.append(row.energyWattHours)
        temperatureCelsius.append(row.temperatureCelsius)
        stepIndex.append(row.stepIndex)
        stepType.append(row.stepType)
        cycleIndex.append(row.cycleIndex)
    }

    public var rows: [Row] {
        seq.indices.map { index in
            Row(seq: seq[index], unixTimeSeconds: unixTimeSeconds[index], testTimeSeconds: testTimeSeconds[index],
                voltageVolts: voltageVolts[index], currentAmperes: currentAmperes[index], capacityAmpHours: capacityAmpHours[index],
                energyWattHours: energyWattHours[index], temperatureCelsius: temperatureCelsius[index], stepIndex: stepIndex[index],
                stepType: stepType[index], cycleIndex: cycleIndex[index])
        }
    }

    /// Bit i: column i of `columnNames` has a value in some row; bit 11: some `step_type` is
    /// other than 0 (migration 0011's `column_mask`).
    public var columnMask: Int {
        var mask = seq.isEmpty ? 0 : 1
        for (offset, path) in Self.doubleColumns.enumerated() where self[keyPath: path].contains(where: { $0 != nil }) { mask |= 1 << (1 + offset) }
        if stepIndex.contains(where: { $0 != nil }) { mask |= 1 << 8 }
        if stepType.contains(where: { $0 != nil }) { mask |= 1 << 9 }
        if cycleIndex.contains(where: { $0 != nil }) { mask |= 1 << 10 }
        if stepType.contains(where: { $0 != nil && $0 != 0 }) { mask |= 1 << 11 }
        return mask
    }
}
