/// One record's fields in our units, as the file writes them, before any rule that depends on
/// the records before it (derived time, resumed tests, cycle numbering, the sign convention).
/// `RecordAccess` reads them, `RecordNormaliser` turns them into a `CyclerRecord`. Keeping the
/// two apart is what lets the test-time scale be decided on the first records' fields and
/// those records be normalised afterwards, in order, from the same carried state as the rest.
struct RecordFields {
    /// 0-based index of the record in the source.
    var recordIndex: Int
    /// NaN when the record has none.
    var voltageVolts = Double.nan
    var stateLabel: String?
    /// The test-time column in seconds, at the test-time scale it was read with.
    var testTimeSeconds: Double?
    /// Whether the test time was written as a duration (`1:02:03`), which no unit rescales.
    var testTimeIsText = false
    var clockUnixSeconds: Double?
    var stepTimeSeconds: Double?
    /// As written: before the profile's sign convention.
    var currentAmperes: Double?
    var chargeIncrementAmpHours: Double?
    var signedCapacityAmpHours: Double?
    var capacityAmpHours: Double?
    var chargeCapacityAmpHours: Double?
    var dischargeCapacityAmpHours: Double?
    var energyWattHours: Double?
    var chargeEnergyWattHours: Double?
    var dischargeEnergyWattHours: Double?
    var temperatureCelsius: Double?
    var cycle: Int?
    var halfCycle: Int?
    var step: Int?

    init(recordIndex: Int) {
        self.recordIndex = recordIndex
    }
}
