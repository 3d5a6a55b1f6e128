/// A date of the proleptic Gregorian calendar: year, month 1–12, day 1–31.
///
/// The conversions to and from day numbers (days since 1970-01-01) are Howard Hinnant's
/// `days_from_civil` / `civil_from_days` (<https://howardhinnant.github.io/date_algorithms.html>):
/// exact for any year, no Foundation calendars or time zones. This is the one place the project
/// converts between dates and day numbers; ``Day`` wraps it.
public struct CivilDate: Hashable, Comparable, Sendable {
    /// The year (any integer; ISO text supports 0000–9999).
    public var year: Int
    /// The month, 1–12.
    public var month: Int
    /// The day of the month, 1–31.
    public var day: Int

    /// A date from its parts, unchecked (use ``isValid`` or ``Day/init(year:month:day:)`` to check).
    @inlinable
    public init(year: Int, month: Int, day: Int) {
        self.year = year; self.month = month; self.day = day
    }

    /// The date of day number `days` (days since 1970-01-01; negative before).
    ///
    /// - Complexity: O(1).
    @inlinable
    public init(daysSinceEpoch days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097                                            // [0, 146096]
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365       // [0, 399]
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)                      // [0, 365]
        let mp = (5 * doy + 2) / 153                                           // [0, 11], March = 0
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }

    /// Days from 1970-01-01 to this date (negative before). Valid for any year when `month` is
    /// 1–12 and `day` 1–31; a day past the month's end counts on into the next month.
    @inlinable
    public var daysSinceEpoch: Int { Self.daysSinceEpoch(year: year, month: month, day: day) }

    /// Days from 1970-01-01 to `year`-`month`-`day` without building a value (the timestamp
    /// parser's hot path).
    @inlinable @inline(__always)
    public static func daysSinceEpoch(year: Int, month m: Int, day d: Int) -> Int {
        let y = m <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400                                         // [0, 399]
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1       // [0, 365]
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy                 // [0, 146096]
        return era * 146_097 + doe - 719_468
    }

    /// Whether `year` is a Gregorian leap year (divisible by 4, except centuries not divisible by 400).
    @inlinable @inline(__always)
    public static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// Days in `month` (1–12) of `year`.
    @inlinable @inline(__always)
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Whether the month is 1–12 and the day within that month.
    @inlinable
    public var isValid: Bool {
        (1...12).contains(month) && day >= 1 && day <= Self.daysInMonth(year: year, month: month)
    }

    public static func < (a: CivilDate, b: CivilDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }
}
