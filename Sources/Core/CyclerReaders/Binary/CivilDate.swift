/// Calendar arithmetic without Foundation's Calendar (which is slow per row and
/// locale-dependent): days since 1970-01-01 ↔ proleptic Gregorian year/month/day.
enum CivilDate {
    /// Howard Hinnant's `civil_from_days`.
    static func fromDays(_ z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Howard Hinnant's `days_from_civil`.
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// ISO 8601 text `YYYY-MM-DDTHH:MM:SS[.fff][Z]` for seconds since the Unix epoch.
    /// Out-of-range values (corrupt input) give nil rather than a trap.
    static func iso8601(epochSeconds t: Double, milliseconds: Bool, utc: Bool) -> String? {
        guard t.isFinite, abs(t) < 1e13 else { return nil }
        let totalMs = Int64((t * 1000).rounded())
        var days = totalMs / 86_400_000
        var ms = totalMs - days * 86_400_000
        if ms < 0 { ms += 86_400_000; days -= 1 }
        return format(days: days, millisOfDay: ms, milliseconds: milliseconds, utc: utc)
    }

    static func format(days: Int64, millisOfDay: Int64, milliseconds: Bool, utc: Bool) -> String {
        let (y, m, d) = fromDays(days)
        var ms = millisOfDay
        let h = ms / 3_600_000; ms -= h * 3_600_000
        let mi = ms / 60_000; ms -= mi * 60_000
        let s = ms / 1000; ms -= s * 1000
        var out = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2))"
        if milliseconds { out += ".\(pad(ms, 3))" }
        if utc { out += "Z" }
        return out
    }
}
