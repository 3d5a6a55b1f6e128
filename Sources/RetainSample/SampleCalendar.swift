import RetainCore
/// Proleptic Gregorian calendar arithmetic on whole days since 1970-01-01 (UTC), after Howard
/// Hinnant's `days_from_civil` / `civil_from_days`: exact for any year, no Foundation time zones.
enum SampleCalendar {
    /// Days since 1970-01-01 of the date `y`-`m`-`d`.
    static func days(year y: Int, month m: Int, day d: Int) -> Int {
        let y = m <= 2 ? y - 1 : y
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of day `z` since 1970-01-01.
    static func civil(_ z: Int) -> (year: Int, month: Int, day: Int) {
        let z = z + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Day of the week of day `z`, Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday).
    static func weekday(_ z: Int) -> Int { ((z + 3) % 7 + 7) % 7 }

    /// Parses `YYYY-MM-DD` into days since 1970-01-01, or nil if it is not a real date.
    static func parse(_ text: String) -> Int? {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard let y = num(0..<4), let m = num(5..<7), let d = num(8..<10), (1...12).contains(m), d >= 1 else { return nil }
        let z = days(year: y, month: m, day: d)
        guard civil(z) == (y, m, d) else { return nil }   // rejects 2025-02-30
        return z
    }

    /// `YYYY-MM-DD` of day `z` (years 0…9999).
    static func format(_ z: Int) -> String {
        let c = civil(z)
        return pad(c.year, 4) + "-" + pad(c.month, 2) + "-" + pad(c.day, 2)
    }

    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
