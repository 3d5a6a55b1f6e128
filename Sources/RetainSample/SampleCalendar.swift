import RetainCore
/// The sample generator's calendar: whole days since 1970-01-01 (UTC), as plain `Int`s, on top of
/// RetainCore's ``Day`` and ``CivilDate`` (the project's one civil-date conversion).
enum SampleCalendar {
    /// Days since 1970-01-01 of the date `y`-`m`-`d`.
    static func days(year y: Int, month m: Int, day d: Int) -> Int {
        CivilDate.daysSinceEpoch(year: y, month: m, day: d)
    }

    /// The date of day `z` since 1970-01-01.
    static func civil(_ z: Int) -> (year: Int, month: Int, day: Int) {
        let c = CivilDate(daysSinceEpoch: z)
        return (c.year, c.month, c.day)
    }

    /// Day of the week of day `z`, Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday).
    static func weekday(_ z: Int) -> Int { Day(daysSinceEpoch: z).weekday }

    /// Parses `YYYY-MM-DD` into days since 1970-01-01, or nil if it is not a real date.
    static func parse(_ text: String) -> Int? { (try? Day(parsing: text))?.daysSinceEpoch }

    /// `YYYY-MM-DD` of day `z` (years 0…9999).
    static func format(_ z: Int) -> String { Day(daysSinceEpoch: z).description }
}
