/// A calendar day in UTC, as a day number: days since 1970-01-01.
///
/// As-of dates, periods and the sample generator's calendar are days; event times are Unix
/// seconds. `Day` converts between the two and to and from `YYYY-MM-DD` text:
///
///     let asOf = try Day(parsing: "2025-10-28")
///     asOf.unixSeconds        // 1761609600, 00:00:00 UTC of that day
///     asOf.civil.month        // 10
///     (asOf + 1).description  // "2025-10-29"
public struct Day: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 1970-01-01 (negative before).
    public var daysSinceEpoch: Int

    /// Seconds in a day.
    public static let seconds = 86_400.0

    /// The day with number `daysSinceEpoch`.
    @inlinable
    public init(daysSinceEpoch: Int) { self.daysSinceEpoch = daysSinceEpoch }

    /// The day of a civil date, or nil when the month is not 1–12 or the day not in that month.
    public init?(_ date: CivilDate) {
        guard date.isValid else { return nil }
        self.init(daysSinceEpoch: date.daysSinceEpoch)
    }

    /// The day `year`-`month`-`day`, or nil when it does not exist (`2025-02-30`).
    public init?(year: Int, month: Int, day: Int) {
        self.init(CivilDate(year: year, month: month, day: day))
    }

    /// The UTC day containing the instant `unixSeconds` (rounded down, so −1 s is 1969-12-31).
    ///
    /// - Precondition: `unixSeconds` is finite.
    public init(containing unixSeconds: Double) {
        precondition(unixSeconds.isFinite, "a day needs a finite time")
        self.init(daysSinceEpoch: Int((unixSeconds / Day.seconds).rounded(.down)))
    }

    /// Parses `YYYY-MM-DD` (exactly four, two and two digits; a real date).
    ///
    /// - Throws: ``DayError/notADate(_:)`` otherwise, e.g. for `2025-13-01`, `2025-02-30` or `25-1-1`.
    public init(parsing text: String) throws {
        guard let day = Day.parse(text) else { throw DayError.notADate(text) }
        self = day
    }

    /// `YYYY-MM-DD` text to a day, or nil.
    static func parse(_ text: String) -> Day? {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
        func number(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10) else { return nil }
        return Day(year: y, month: m, day: d)
    }

    /// 00:00:00 UTC of this day, in Unix seconds.
    @inlinable
    public var unixSeconds: Double { Double(daysSinceEpoch) * Day.seconds }

    /// Year, month and day.
    @inlinable
    public var civil: CivilDate { CivilDate(daysSinceEpoch: daysSinceEpoch) }

    /// Day of the week, Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday).
    public var weekday: Int { ((daysSinceEpoch + 3) % 7 + 7) % 7 }

    /// `YYYY-MM-DD` (years padded to four digits; meant for years 0–9999).
    public var description: String {
        let c = civil
        return Day.pad(c.year, 4) + "-" + Day.pad(c.month, 2) + "-" + Day.pad(c.day, 2)
    }

    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// The day `days` later.
    public static func + (day: Day, days: Int) -> Day { Day(daysSinceEpoch: day.daysSinceEpoch + days) }
    /// The day `days` earlier.
    public static func - (day: Day, days: Int) -> Day { Day(daysSinceEpoch: day.daysSinceEpoch - days) }
    /// Days from `b` to `a`.
    public static func - (a: Day, b: Day) -> Int { a.daysSinceEpoch - b.daysSinceEpoch }
    public static func < (a: Day, b: Day) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }
}

/// Why a text is not a day.
public enum DayError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not `YYYY-MM-DD`, or no such date.
    case notADate(String)

    public var description: String {
        switch self {
        case let .notADate(text): return "'\(text)' is not a date: expected YYYY-MM-DD, e.g. 2025-10-28."
        }
    }
}
