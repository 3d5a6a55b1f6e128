import Foundation
import RetainCore

/// What every customer shares: the calendar of the window, its seasonality, the email campaigns
/// and the live events (webinars). Drawn once per seed from its own random stream.
struct SampleSchedule: Sendable {
    /// An email campaign: sent from `time` (seconds since the window start) over 90 minutes.
    struct Campaign: Sendable {
        var time: Int
        /// 1-based, in time order; written as `cmp001`.
        var number: Int
        /// Share of consenting customers it is sent to.
        var reach: Double
        /// Open-rate multiplier (subject line, offer).
        var appeal: Double
    }

    /// A live event customers register for and attend; written as `ev01`.
    struct LiveEvent: Sendable {
        var time: Int
        var number: Int
    }

    static let secondsPerDay = 86_400

    /// Days since 1970-01-01 of the window's first day.
    let startDay: Int
    /// Length of the window in days.
    let days: Int
    /// Activity multiplier per window day: weekday × season (mean ≈ 1).
    let activity: [Double]
    /// Purchase multiplier per window day: Black Friday to Cyber Monday, December, January sales.
    let purchase: [Double]
    let campaigns: [Campaign]
    let liveEvents: [LiveEvent]

    /// Weekday multipliers, Monday first.
    static let weekdayFactor: [Double] = [1.05, 1.08, 1.06, 1.03, 0.96, 0.86, 0.96]

    init(startDay: Int, days: Int, seed: UInt64) {
        self.startDay = startDay
        self.days = days
        var rng = SeededGenerator.stream(seed: seed, index: UInt64.max)
        var activity = [Double](repeating: 1, count: days)
        var purchase = [Double](repeating: 1, count: days)
        for d in 0..<days {
            let z = startDay + d
            let c = SampleCalendar.civil(z)
            let doy = z - SampleCalendar.days(year: c.year, month: 1, day: 1)
            // Winter peak (mid-January), summer trough: ±12 %.
            let season = 1 + 0.12 * Foundation.cos(2 * Double.pi * Double(doy - 14) / 365.25)
            activity[d] = Self.weekdayFactor[SampleCalendar.weekday(z)] * season
            let blackFriday = Self.blackFriday(year: c.year)
            if z >= blackFriday && z <= blackFriday + 3 {
                purchase[d] = 2.2
            } else if c.month == 12 && c.day <= 22 {
                purchase[d] = 1.45
            } else if c.month == 1 && c.day <= 7 {
                purchase[d] = 1.3
            }
        }
        self.activity = activity
        self.purchase = purchase

        // Campaigns: a newsletter every fourth Tuesday, one promotion a month, Black Friday and
        // Cyber Monday.
        var raw: [(time: Int, reach: Double, appeal: Double)] = []
        let day = Self.secondsPerDay
        var firstTuesday = 0
        while SampleCalendar.weekday(startDay + firstTuesday) != 1 { firstTuesday += 1 }
        for d in stride(from: firstTuesday, to: days, by: 28) {
            raw.append((d * day + 8 * 3600, 0.85, rng.logNormal(median: 1, sigma: 0.15)))
        }
        var year = SampleCalendar.civil(startDay).year, month = SampleCalendar.civil(startDay).month
        while true {
            let promoDay = SampleCalendar.days(year: year, month: month, day: 8 + rng.below(15)) - startDay
            if promoDay >= days { break }
            if promoDay >= 0 { raw.append((promoDay * day + 15 * 3600, 0.45, rng.logNormal(median: 0.9, sigma: 0.2))) }
            if month == 11 {
                let bf = Self.blackFriday(year: year) - startDay
                for (offset, appeal) in [(0, 1.3), (3, 1.15)] where bf + offset >= 0 && bf + offset < days {
                    raw.append(((bf + offset) * day + 7 * 3600, 0.95, appeal))
                }
            }
            month += 1
            if month == 13 { month = 1; year += 1 }
        }
        raw.sort { $0.time < $1.time }
        campaigns = raw.enumerated().map { Campaign(time: $0.element.time, number: $0.offset + 1, reach: $0.element.reach, appeal: $0.element.appeal) }

        // Webinars every four weeks on Thursdays at 17:00 UTC, from the second week on.
        var firstThursday = 7
        while SampleCalendar.weekday(startDay + firstThursday) != 3 { firstThursday += 1 }
        liveEvents = stride(from: firstThursday, to: days, by: 28).enumerated().map {
            LiveEvent(time: $0.element * day + 17 * 3600, number: $0.offset + 1)
        }
    }

    /// The day after the fourth Thursday of November (US Thanksgiving).
    static func blackFriday(year: Int) -> Int {
        let first = SampleCalendar.days(year: year, month: 11, day: 1)
        let firstThursday = first + (3 - SampleCalendar.weekday(first) + 7) % 7
        return firstThursday + 21 + 1
    }
}
