/// One record's numeric fields in our units, as the file writes them, before any rule that
/// depends on the records before it (derived time, resumed tests, cycle numbering, the sign
/// convention). `RecordAccess` reads them, `RecordNormaliser` turns them into a `CyclerRecord`.
/// Keeping the two apart is what lets the test-time scale be decided on the first records'
/// fields and those records be normalised afterwards, in order, from the same carried state
/// as the rest.
///
/// The state label travels beside these fields, not in them: a `String` made the struct
/// non-trivial, and the per-record path then copied and destroyed it out of line (a third of
/// the time of reading an `.mpr`). Plain numbers stay in registers.
struct RecordFields {
    /// 0-based index of the record in the source.
    var recordIndex: Int
    /// NaN when the record has none.
    var voltageVolts = Double.nan
    /// The test-time column in seconds, at the test-time scale it was read with.
    var testTimeSeconds: Double?
    /// Whether the test time was written as a duration (`1:02:03`), which no unit rescales.
    var testTimeIsText = false
    var clockUnixSeconds: Double?
    var stepTimeSeconds: Double?
    /// As written: before the profile's sign convention.
    var currentAmperes: Double?
    /// Read only when the record has no current (the fallbacks below likewise).
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

    @_transparent
    init(recordIndex: Int) {
        self.recordIndex = recordIndex
    }
}
