/// What a column name may mean, from the words and units cyclers and their export software use
/// (gathered from our profiles and the peers' column maps, `agents/profiles/README.md`). A name
/// gets one or more claims — a role with a confidence — and role inference settles which claim
/// wins. Confidences are ordinal, not probabilities: 0.9 and up for a vendor's own spelling with a
/// unit that fits, about 0.7 for the right word without a unit (the unit is then assumed), below
/// 0.5 for a unit alone with words we do not know.
enum RoleVocabulary {
    struct Claim: Sendable, Hashable {
        var role: ColumnRole
        var confidence: Double
        /// Profile unit (`mA`, `s`, `text`), nil for roles without one (cycle, step, state).
        var unit: String?
        /// The name does not say the unit: it was assumed (and may be decided from the numbers).
        var unitIsAssumed: Bool
    }

    /// Words that make a name a limit, a statistic or a derived quantity rather than a measurement.
    static let notAMeasurement: Set<String> = [
        "control", "limit", "set", "setpoint", "max", "min", "start", "end", "avg", "average", "mean", "upper", "lower",
        "cutoff", "specific", "spec", "density", "dq", "dv", "dqdv", "dvdq", "cmpeng", "mass", "areal", "retention",
        "efficiency", "eff", "ref", "reference", "aux", "target", "nominal", "range", "rate",
    ]
    static let chargeWords: Set<String> = ["chg", "charge", "charging", "ch", "充电"]
    static let dischargeWords: Set<String> = ["dchg", "discharge", "discharging", "dis", "dch", "放电"]
    static let capacityWords: Set<String> = ["capacity", "cap", "capacitance", "ah", "q", "容量"]
    static let energyWords: Set<String> = ["energy", "ener", "engy", "wh", "能量"]
    static let testTimeQualifiers: Set<String> = ["test", "total", "cumulative", "run", "elapsed", "experiment", "testtime"]
    static let timestampNames: Set<String> = [
        "date", "date time", "datetime", "dpt time", "dpt", "realtime", "real time", "systime", "sys time", "system time",
        "timestamp", "time stamp", "absolute time", "date and time", "绝对时间", "系统时间", "unix time", "wall time", "recorded datetime",
    ]
    static let recordIndexNames: Set<String> = [
        "rec", "record", "record id", "record index", "record number", "data point", "datapoint", "data set", "dataset",
        "index", "point", "point number", "row", "序号", "数据序号",
    ]
    static let cycleQualifiers: Set<String> = ["index", "id", "number", "no", "nr", "count", "c", "p"]
    static let stepNames: Set<String> = ["step", "step index", "step id", "step number", "step no", "step nr", "step count", "ns", "工步序号", "工步号"]
    static let stateNames: Set<String> = ["state", "md", "status", "step type", "step name", "command", "工步类型", "工步名称", "状态"]
    static let temperatureWords: Set<String> = ["temperature", "temp", "t1", "温度"]

    static func claims(_ a: ColumnNameAnatomy) -> [Claim] {
        let words = a.words
        let w = Set(words)
        let joined = words.joined(separator: " ")
        let quantity = a.unit?.quantity
        let hasUnit = a.writtenUnit != nil
        if quantity == .other { return [] }
        // A unit we could not read: say nothing rather than guess its scale.
        if hasUnit, a.unit == nil { return [] }
        let excluded = !w.isDisjoint(with: notAMeasurement)
        var claims: [Claim] = []
        func claim(_ role: ColumnRole, _ confidence: Double, unit: String? = nil, assumed: Bool = false) {
            claims.append(Claim(role: role, confidence: confidence, unit: unit, unitIsAssumed: assumed))
        }
        let declared = a.unit?.profileUnit

        // Charge and energy counters first: `Amp-hr`, `Chg. Cap.(Ah)`, `Watt-hr` hold words of other roles.
        let isAmpHour = joined == "amp hr" || joined == "amp hrs" || joined == "ah"
        let isWattHour = joined == "watt hr" || joined == "watt hrs" || joined == "wh"
        if !excluded, quantity == .charge || (!hasUnit && (isAmpHour || !w.isDisjoint(with: capacityWords) && !w.contains("time"))) {
            let discharge = !w.isDisjoint(with: dischargeWords)
            let charge = !w.isDisjoint(with: chargeWords)
            let role: ColumnRole
            if w.contains("q"), charge, discharge { role = .signedCapacity }
            else if discharge { role = .dischargeCapacity }
            else if charge { role = .chargeCapacity }
            else if w == ["dq"] { role = .chargeIncrement }
            else { role = .capacity }
            if quantity == .charge {
                claim(role, w.isDisjoint(with: capacityWords) && !isAmpHour ? 0.6 : 0.9, unit: declared)
            } else if isAmpHour {
                claim(role, 0.85, unit: "Ah")
            } else {
                claim(role, 0.6, unit: "Ah", assumed: true)
            }
            return claims
        }
        if !excluded, quantity == .energy || (!hasUnit && (isWattHour || !w.isDisjoint(with: energyWords))) {
            let discharge = !w.isDisjoint(with: dischargeWords)
            let charge = !w.isDisjoint(with: chargeWords)
            let role: ColumnRole = discharge ? .dischargeEnergy : charge ? .chargeEnergy : .energy
            if quantity == .energy { claim(role, w.isDisjoint(with: energyWords) && !isWattHour ? 0.6 : 0.9, unit: declared) }
            else if isWattHour { claim(role, 0.85, unit: "Wh") }
            else { claim(role, 0.6, unit: "Wh", assumed: true) }
            return claims
        }
        if joined == "half cycle" || joined == "half cycle count" || joined == "half cycle index" {
            if !hasUnit { claim(.halfCycle, 0.9) }
            return claims
        }
        // Step columns: the step's number, its type (a state label) or its elapsed time.
        if w.contains("step") || w.contains("工步序号") || joined == "ns" || joined == "line" {
            if quantity == .time || quantity == .duration || w.contains("time") {
                claim(.stepTime, hasUnit ? 0.9 : 0.75, unit: declared ?? "s", assumed: !hasUnit)
            } else if stateNames.contains(joined) || w.contains("type") || w.contains("name") || w.contains("mode") {
                claim(.state, 0.85)
            } else if stepNames.contains(joined), !hasUnit {
                claim(.step, joined == "ns" ? 0.7 : 0.85)
            } else if joined == "line", !hasUnit {
                claim(.step, 0.5)
            }
            return claims
        }
        if let first = words.first, first == "cycle" || first == "cyc" || first == "循环序号" || first == "循环",
           !hasUnit, words.dropFirst().allSatisfy({ cycleQualifiers.contains($0) }) {
            claim(.cycle, words.last == "p" ? 0.8 : 0.9)
            return claims
        }
        if timestampNames.contains(joined) || (w.contains("date") && !excluded) {
            // `Date(h:min:s.ms)` is a clock text in Neware's exports, whatever its "unit".
            if quantity == nil || quantity == .duration { claim(.timestamp, timestampNames.contains(joined) ? 0.85 : 0.75, unit: "text") }
            return claims
        }
        if joined == "relative time", quantity == nil || quantity == .time || quantity == .duration {
            // Neware's `Relative Time(h:min:s.ms)` is the time within the step.
            claim(.stepTime, 0.7, unit: declared ?? "s", assumed: !hasUnit)
            return claims
        }
        let timeQuantity = quantity == .time || quantity == .duration
        if !excluded, w.contains("time") || (timeQuantity && !w.isDisjoint(with: testTimeQualifiers)) || joined == "总时间" || joined == "累计时间" || joined == "elapsed" {
            guard quantity == nil || timeQuantity else { return claims }
            if w.contains("charge") || w.contains("discharge") || w.contains("rest") { return claims }  // cycle statistics
            if !w.isDisjoint(with: testTimeQualifiers) || joined == "总时间" || joined == "累计时间" {
                claim(.testTime, hasUnit ? 0.9 : 0.75, unit: declared ?? "s", assumed: !hasUnit)
            } else if joined == "time" || joined == "t" {
                // A bare `Time` is the test time in most exports, the step time in Neware's.
                claim(.testTime, hasUnit ? 0.7 : 0.6, unit: declared ?? "s", assumed: !hasUnit)
                claim(.stepTime, hasUnit ? 0.55 : 0.5, unit: declared ?? "s", assumed: !hasUnit)
            } else {
                claim(.testTime, hasUnit ? 0.5 : 0.35, unit: declared ?? "s", assumed: !hasUnit)
            }
            return claims
        }
        let voltageWords: Set<String> = ["voltage", "volts", "volt", "potential", "ewe", "ecell", "vcell", "电压"]
        let weakVoltageWords: Set<String> = ["u", "e", "v", "ucell", "ewe", "ece"]
        if !excluded, !w.isDisjoint(with: voltageWords) || (!w.isDisjoint(with: weakVoltageWords) && quantity == .voltage) {
            guard quantity == nil || quantity == .voltage else { return claims }
            if w.contains("charge") || w.contains("discharge") { return claims }  // a charge voltage limit
            if quantity == .voltage { claim(.voltage, w.isDisjoint(with: voltageWords) ? 0.85 : 0.95, unit: declared) }
            else if w.contains("volts") { claim(.voltage, 0.85, unit: "V") }
            else { claim(.voltage, 0.7, unit: "V", assumed: true) }
            return claims
        }
        let currentWords: Set<String> = ["current", "curr", "电流"]
        if !excluded, !w.isDisjoint(with: currentWords) || w.contains("amps") || w.contains("amp") || (words == ["i"] && quantity == .current) {
            guard quantity == nil || quantity == .current else { return claims }
            if quantity == .current { claim(.current, words == ["i"] ? 0.9 : 0.95, unit: declared) }
            else if w.contains("amps") || w.contains("amp") { claim(.current, 0.85, unit: "A") }
            else { claim(.current, 0.7, unit: "A", assumed: true) }
            return claims
        }
        if quantity == .temperature || !w.isDisjoint(with: temperatureWords) {
            guard quantity == nil || quantity == .temperature else { return claims }
            let environment = w.contains("ev") || w.contains("ambient") || w.contains("chamber") || excluded
            if quantity == .temperature { claim(.temperature, environment ? 0.5 : 0.9, unit: declared) }
            else { claim(.temperature, environment ? 0.4 : 0.7, unit: "C", assumed: true) }
            return claims
        }
        if recordIndexNames.contains(joined), !hasUnit {
            claim(.recordIndex, 0.85)
            return claims
        }
        if stateNames.contains(joined), !hasUnit {
            claim(.state, 0.8)
            return claims
        }
        // Words we do not know, with a unit that says what the numbers are.
        if excluded { return claims }
        switch quantity {
        case .voltage?: claim(.voltage, 0.45, unit: declared)
        case .current?: claim(.current, 0.45, unit: declared)
        case .time?, .duration?: claim(.testTime, 0.4, unit: declared)
        case .temperature?: claim(.temperature, 0.4, unit: declared)
        default: break
        }
        return claims
    }
}
