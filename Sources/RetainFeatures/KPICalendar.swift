import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainNumerics

/// How a reporting period is cut into sub-periods (and how cohorts are bucketed).
public enum KPIGranularity: String, CaseIterable, Codable, Sendable {
    /// Calendar months (UTC), starting on the 1st.
    case month
    /// ISO weeks (UTC), starting on Monday.
    case week
}

/// Calendar arithmetic on Unix seconds (UTC) for periods and cohorts: month and week buckets.
///
/// A *bucket* is a calendar month or an ISO week, numbered so that consecutive buckets have
/// consecutive numbers: months since 0000-01 (`year × 12 + month − 1`), weeks since Monday
/// 1969-12-29 (week 0).
public enum KPICalendar {
    /// The boundaries of `[from, to)` cut at every bucket start strictly inside it:
    /// `[from, b1, b2, …, to]` (just `[from, to]` when `by` is nil).
    ///
    /// A period that does not start on a bucket start gets a shorter first sub-period; likewise
    /// at the end. So `--from 2025-01-15 --to 2025-03-01 --by month` gives
    /// [01-15, 02-01) and [02-01, 03-01).
    ///
    /// - Precondition: `from < to`, both finite.
    /// - Complexity: O(number of sub-periods).
    public static func boundaries(from: Double, to: Double, by: KPIGranularity?) -> [Double] {
        precondition(from.isFinite && to.isFinite && from < to, "a period needs from < to")
        var out = [from]
        if let by {
            var b = bucket(from, by: by) + 1
            while true {
                let start = bucketStart(index: b, by: by)
                if start >= to { break }
                out.append(start)
                b += 1
            }
        }
        out.append(to)
        return out
    }

    /// The bucket containing instant `t` (Unix seconds, UTC).
    public static func bucket(_ t: Double, by: KPIGranularity) -> Int {
        let days = Int((t / 86_400).rounded(.down))
        switch by {
        case .month:
            let (y, m, _) = civil(days: days)
            return y * 12 + m - 1
        case .week:
            // 1970-01-01 was a Thursday: Monday 1969-12-29 is day -3.
            return floorDiv(days + 3, 7)
        }
    }

    /// The first instant (00:00:00 UTC of the 1st, or of the Monday) of bucket `index`.
    public static func bucketStart(index: Int, by: KPIGranularity) -> Double {
        switch by {
        case .month:
            let y = floorDiv(index, 12), m = index - y * 12 + 1
            return Double(Timestamp.daysFromCivil(year: y, month: m, day: 1)) * 86_400
        case .week:
            return Double(index * 7 - 3) * 86_400
        }
    }

    /// A bucket's label: `2025-03` for a month, the Monday's date `2025-03-03` for a week.
    public static func label(index: Int, by: KPIGranularity) -> String {
        switch by {
        case .month:
            let y = floorDiv(index, 12), m = index - y * 12 + 1
            return String(format: "%04d-%02d", y, m)
        case .week:
            return formatDate(bucketStart(index: index, by: .week))
        }
    }

    /// The civil date of a day number (days since 1970-01-01), by H. Hinnant's `civil_from_days`.
    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
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

    private static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
