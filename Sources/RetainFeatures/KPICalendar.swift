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
        let days = Int((t / Day.seconds).rounded(.down))
        switch by {
        case .month:
            let date = CivilDate(daysSinceEpoch: days)
            return date.year * 12 + date.month - 1
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
            return Day(daysSinceEpoch: CivilDate(year: y, month: m, day: 1).daysSinceEpoch).unixSeconds
        case .week:
            return Day(daysSinceEpoch: index * 7 - 3).unixSeconds
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

    private static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
