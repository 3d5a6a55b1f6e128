import Foundation
import RetainCore

extension Timestamp {
    /// The civil date of a day number (days since 1970-01-01, proleptic Gregorian), by
    /// H. Hinnant's `civil_from_days`; the inverse of ``daysFromCivil(year:month:day:)``.
    public static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// `YYYY-MM-DD` of a Unix time (UTC): the day it falls on.
    public static func dateText(_ t: Double) -> String {
        let (y, m, d) = civil(days: Int((t / 86_400).rounded(.down)))
        return String(format: "%04d-%02d-%02d", y, m, d)
    }
}
