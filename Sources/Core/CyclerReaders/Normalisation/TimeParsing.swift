import Foundation

/// Parses the instrument's date-time and duration strings without Foundation formatters (they
/// are slow and locale-dependent): `2022-05-18 16:27:52`, `03/31/2016 16:05:31.123`,
/// `19.06.2023 17:56:53`, `10/21/2019 11:59:59 PM`; durations `144:02:18`, `1d 02:03:04.5`.
enum TimeParsing {
    enum DateOrder: String { case mdy, dmy, ymd }

    /// Seconds since 1970 of the naive wall-clock time (no zone applied), or nil.
    static func naiveEpochSeconds(_ text: Substring.UTF8View, order: DateOrder?) -> Double? {
        var copy = String(Substring(text))
        return copy.withUTF8 { naiveEpochSeconds(bytes: $0, order: order) }
    }

    static func naiveEpochSeconds(_ text: String, order: DateOrder?) -> Double? {
        var copy = text
        return copy.withUTF8 { naiveEpochSeconds(bytes: $0, order: order) }
    }

    static func naiveEpochSeconds(bytes text: UnsafeBufferPointer<UInt8>, order: DateOrder?) -> Double? {
        var numbers = SmallNumbers()
        var firstSeparator: UInt8 = 0
        var current: Double = 0
        var inNumber = false
        var fraction = false
        var fractionScale = 1.0
        var pm: Bool? = nil
        var previous: UInt8 = 0
        // Month names (`23-Nov-23 3:56:11 PM`): the first three letters of a word.
        var monthFromName = 0
        var word: UInt32 = 0
        var wordLength = 0
        func endWord() {
            if wordLength >= 3, monthFromName == 0 {
                let months: [UInt32] = [0x6a616e, 0x666562, 0x6d6172, 0x617072, 0x6d6179, 0x6a756e, 0x6a756c, 0x617567, 0x736570, 0x6f6374, 0x6e6f76, 0x646563]
                if let m = months.firstIndex(of: word) { monthFromName = m + 1 }
            }
            word = 0
            wordLength = 0
        }
        for c in text {
            let lower = c | 0x20
            if lower >= 0x61, lower <= 0x7A {
                if wordLength < 3 { word = word << 8 | UInt32(lower) }
                wordLength += 1
            } else if wordLength > 0 {
                endWord()
            }
            if c >= 0x30, c <= 0x39 {
                if fraction { fractionScale /= 10; current += Double(c - 0x30) * fractionScale } else { current = current * 10 + Double(c - 0x30) }
                inNumber = true
            } else {
                if c == UInt8(ascii: "."), inNumber, numbers.count >= (monthFromName > 0 ? 4 : 5) {
                    fraction = true
                    previous = c
                    continue
                }
                if inNumber { numbers.append(current); current = 0; inNumber = false; fraction = false; fractionScale = 1 }
                if c == UInt8(ascii: "P") || c == UInt8(ascii: "p") { pm = true }
                if (c == UInt8(ascii: "M") || c == UInt8(ascii: "m")) && (previous == UInt8(ascii: "A") || previous == UInt8(ascii: "a")) { pm = false }
                if c != 0x20, c != 0x09, firstSeparator == 0, numbers.count > 0 { firstSeparator = c }
            }
            previous = c
        }
        if inNumber { numbers.append(current) }
        if wordLength > 0 { endWord() }
        for k in 0..<min(numbers.count, 6) where !(numbers[k] < 100_000) { return nil }
        if monthFromName > 0 {
            // day, year, then the clock.
            guard numbers.count >= 2 else { return nil }
            var year = Int(numbers[1])
            if year < 100 { year += 2000 }
            let day = Int(numbers[0])
            guard (1...31).contains(day), (1900...2200).contains(year) else { return nil }
            var hour = numbers.count > 2 ? numbers[2] : 0
            let minute = numbers.count > 3 ? numbers[3] : 0
            let second = numbers.count > 4 ? numbers[4] : 0
            if let pm { if pm, hour < 12 { hour += 12 } else if !pm, hour == 12 { hour = 0 } }
            return Double(daysFromCivil(year: year, month: monthFromName, day: day)) * 86400 + hour * 3600 + minute * 60 + second
        }
        guard numbers.count >= 3 else { return nil }
        var year: Int, month: Int, day: Int
        let first = firstSeparator
        let effectiveOrder: DateOrder
        if numbers[0] >= 1000 { effectiveOrder = .ymd } else if let order { effectiveOrder = order } else { effectiveOrder = first == UInt8(ascii: ".") ? .dmy : .mdy }
        switch effectiveOrder {
        case .ymd: year = Int(numbers[0]); month = Int(numbers[1]); day = Int(numbers[2])
        case .mdy: month = Int(numbers[0]); day = Int(numbers[1]); year = Int(numbers[2])
        case .dmy: day = Int(numbers[0]); month = Int(numbers[1]); year = Int(numbers[2])
        }
        if year < 100 { year += 2000 }
        guard (1...12).contains(month), (1...31).contains(day), (1900...2200).contains(year) else { return nil }
        var hour = numbers.count > 3 ? numbers[3] : 0
        let minute = numbers.count > 4 ? numbers[4] : 0
        let second = numbers.count > 5 ? numbers[5] : 0
        if let pm {
            if pm, hour < 12 { hour += 12 } else if !pm, hour == 12 { hour = 0 }
        }
        guard hour < 24, minute < 60, second < 61 else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Double(days) * 86400 + hour * 3600 + minute * 60 + second
    }

    /// Instruments write the same date on thousands of consecutive records: remembers the day
    /// of the last `<date> <h:m:s(.f)>` timestamp so that the next one with the same date bytes
    /// costs a compare and a clock parse. Gives exactly what `naiveEpochSeconds` gives (the
    /// date part alone parses to its midnight, and the clock adds as the full parse adds it);
    /// anything else goes to the full parser.
    struct DateCache {
        private var prefix: [UInt8] = []
        private var prefixSeconds = 0.0
        private var prefixOrder: DateOrder?
        private var valid = false

        mutating func naiveEpochSeconds(bytes text: UnsafeBufferPointer<UInt8>, order: DateOrder?) -> Double? {
            guard let base = text.baseAddress, let space = text.firstIndex(of: 0x20),
                  let clock = Self.simpleClock(UnsafeBufferPointer(rebasing: text[(space + 1)...])) else {
                return TimeParsing.naiveEpochSeconds(bytes: text, order: order)
            }
            let prefixCount = space + 1
            let hit = valid && prefixOrder == order && prefix.count == prefixCount && prefix.withUnsafeBufferPointer { memcmp($0.baseAddress!, base, prefixCount) == 0 }
            if !hit {
                let datePart = UnsafeBufferPointer(start: base, count: prefixCount)
                guard Self.isPlainDate(datePart), let midnight = TimeParsing.naiveEpochSeconds(bytes: datePart, order: order) else {
                    valid = false
                    return TimeParsing.naiveEpochSeconds(bytes: text, order: order)
                }
                prefix = Array(datePart)
                prefixSeconds = midnight
                prefixOrder = order
                valid = true
            }
            guard clock.hour < 24, clock.minute < 60, clock.second < 61 else { return nil }
            return prefixSeconds + clock.hour * 3600 + clock.minute * 60 + clock.second
        }

        /// Exactly three digit runs, a separator after the first, no letters (no month names,
        /// no AM/PM): then the full parser reads the date from these bytes alone.
        private static func isPlainDate(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            var runs = 0
            var inRun = false
            var separatorAfterFirst = false
            for c in bytes {
                if c >= 0x30, c <= 0x39 {
                    if !inRun { runs += 1; inRun = true }
                } else {
                    let lower = c | 0x20
                    if lower >= 0x61, lower <= 0x7A { return false }
                    if c != 0x20, c != 0x09, runs > 0 { separatorAfterFirst = true }
                    inRun = false
                }
            }
            return runs == 3 && separatorAfterFirst
        }

        /// `h:m:s` with an optional `.fraction`, accumulated digit by digit as the full parser does.
        private static func simpleClock(_ bytes: UnsafeBufferPointer<UInt8>) -> (hour: Double, minute: Double, second: Double)? {
            var values = (0.0, 0.0, 0.0)
            var field = 0
            var digits = 0
            var current = 0.0
            var fraction = false
            var fractionScale = 1.0
            for c in bytes {
                if c >= 0x30, c <= 0x39 {
                    if fraction { fractionScale /= 10; current += Double(c - 0x30) * fractionScale } else { current = current * 10 + Double(c - 0x30) }
                    digits += 1
                } else if c == UInt8(ascii: ":"), !fraction, digits > 0, field < 2 {
                    if field == 0 { values.0 = current } else { values.1 = current }
                    field += 1
                    current = 0
                    digits = 0
                } else if c == UInt8(ascii: "."), !fraction, digits > 0, field == 2 {
                    fraction = true
                    digits = 0
                } else {
                    return nil
                }
            }
            guard field == 2, digits > 0 else { return nil }
            values.2 = current
            return (values.0, values.1, values.2)
        }
    }

    /// Up to eight numbers without a heap allocation.
    struct SmallNumbers {
        private var storage: (Double, Double, Double, Double, Double, Double, Double, Double) = (0, 0, 0, 0, 0, 0, 0, 0)
        private(set) var count = 0
        mutating func append(_ v: Double) {
            guard count < 8 else { return }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: v, toByteOffset: count * 8, as: Double.self) }
            count += 1
        }
        subscript(i: Int) -> Double {
            withUnsafeBytes(of: storage) { $0.load(fromByteOffset: i * 8, as: Double.self) }
        }
    }

    /// Howard Hinnant's days-from-civil: days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// `HH:MM:SS(.fff)`, `MM:SS`, `Nd HH:MM:SS`, with `.` or `,` before the fraction. Hours may
    /// exceed 24 (BTSDA writes `144:02:18`).
    static func durationSeconds(_ text: Substring.UTF8View) -> Double? {
        var copy = String(Substring(text))
        return copy.withUTF8 { durationSeconds(bytes: $0) }
    }

    static func durationSeconds(_ text: String) -> Double? {
        var copy = text
        return copy.withUTF8 { durationSeconds(bytes: $0) }
    }

    static func durationSeconds(bytes text: UnsafeBufferPointer<UInt8>) -> Double? {
        var seconds = 0.0
        var days: Double = 0
        var current: Double = 0
        var inNumber = false
        var fraction = false
        var scale = 1.0
        var negative = false
        var sawColon = false
        for c in text {
            if c >= 0x30, c <= 0x39 {
                if fraction { scale /= 10; current += Double(c - 0x30) * scale } else { current = current * 10 + Double(c - 0x30) }
                inNumber = true
            } else if c == UInt8(ascii: ":") {
                seconds = seconds * 60 + current
                current = 0; inNumber = false; fraction = false; scale = 1; sawColon = true
            } else if c == UInt8(ascii: ".") || c == UInt8(ascii: ",") {
                fraction = true
            } else if c == UInt8(ascii: "d") || c == UInt8(ascii: "D") {
                days = current; current = 0; inNumber = false; fraction = false; scale = 1
            } else if c == UInt8(ascii: "-"), !inNumber, !sawColon {
                negative = true
            } else if c == 0x20 || c == 0x09 {
                continue
            } else {
                return nil
            }
        }
        guard sawColon, inNumber || fraction else { return nil }
        seconds = seconds * 60 + current + days * 86400
        return negative ? -seconds : seconds
    }
}

/// Converts naive wall-clock seconds to Unix time in the instrument's zone, caching the offset
/// per hour so zones with daylight saving cost one lookup per hour of data.
struct WallClock {
    let zone: TimeZone
    private var cachedHour: Int = .min
    private var cachedOffset: Double = 0

    init(zone: TimeZone) { self.zone = zone }

    mutating func unixSeconds(naive: Double) -> Double {
        if zone.identifier == "UTC" || zone.identifier == "GMT" { return naive }
        let hour = Int((naive / 3600).rounded(.down))
        if hour != cachedHour {
            let guess = Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: naive)))
            cachedOffset = Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: naive - guess)))
            cachedHour = hour
        }
        return naive - cachedOffset
    }
}
