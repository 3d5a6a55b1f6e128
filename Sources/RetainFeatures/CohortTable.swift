import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainNumerics

/// What a cohort triangle measures.
public enum CohortMetric: String, CaseIterable, Codable, Sendable {
    /// Customers of the cohort with at least one event (any type) in the bucket, and their share of the cohort.
    case active
    /// Purchase revenue of the cohort's customers in the bucket, in total and per cohort customer.
    case revenue
}

/// The classic cohort triangle: customers grouped by the month (or week) they joined, × buckets since.
///
/// A customer's cohort is the bucket of their signup date when customers.csv gives one, else of
/// their first event. Cell `m` of a cohort is the bucket `cohort + m`; it is `nil` (not observed)
/// when that bucket is outside the buckets the log covers (from its first to its last event), so
/// cohorts older than the log have empty leading cells and every cohort ends at the log's last
/// bucket. Events before a customer's cohort (activity before signup) are ignored.
public struct CohortTable: Sendable, Equatable {
    /// How cohorts were assigned.
    public enum Basis: String, Sendable, Codable {
        case signup
        case firstActivity = "first_activity"
        /// Signup where customers.csv gives one, first event for the rest.
        case signupOrFirstActivity = "signup_or_first_activity"
    }

    /// One cohort's row.
    public struct Cohort: Sendable, Equatable {
        /// Bucket number (see ``KPICalendar``).
        public var bucket: Int
        /// `2025-03` (month) or the Monday `2025-03-03` (week).
        public var label: String
        /// Customers in the cohort.
        public var size: Int
        /// Customers active in bucket `cohort + m`; nil when not observed.
        public var active: [Double?]
        /// Purchase revenue in bucket `cohort + m`; nil when not observed.
        public var revenue: [Double?]

        /// Share of the cohort active in bucket `cohort + m`, in %: active / size × 100.
        public var activePercent: [Double?] {
            active.map { a in a.flatMap { size > 0 ? $0 / Double(size) * 100 : nil } }
        }

        /// Revenue per cohort customer in bucket `cohort + m`: revenue / size.
        public var revenuePerCustomer: [Double?] {
            revenue.map { r in r.flatMap { size > 0 ? $0 / Double(size) : nil } }
        }
    }

    /// Month or week buckets.
    public var granularity: KPIGranularity
    /// How customers were put into cohorts.
    public var basis: Basis
    /// The first and last bucket with an event (nil when the log is empty).
    public var observed: ClosedRange<Int>?
    /// Cohorts in time order (only non-empty ones, none after the log's last bucket).
    public var cohorts: [Cohort]

    /// Number of bucket columns (m = 0 ..< columns).
    public var columns: Int { cohorts.map(\.active.count).max() ?? 0 }

    /// The triangle as CSV: `cohort,customers,measure,m0,m1,…`, one block of rows per measure
    /// (`active` and `active_pct`, or `revenue` and `revenue_per_customer`); unobserved cells empty.
    public func csv(metric: CohortMetric) -> String {
        let n = columns
        var out = "cohort,customers,measure" + (0..<n).map { ",m\($0)" }.joined() + "\n"
        func block(_ name: String, _ digits: Int, _ cells: (Cohort) -> [Double?]) {
            for c in cohorts {
                out += "\(c.label),\(c.size),\(name)"
                let values = cells(c)
                for m in 0..<n {
                    out += ","
                    if m < values.count, let v = values[m] { out += digits == 0 ? String(Int(v.rounded())) : String(format: "%.\(digits)f", v) }
                }
                out += "\n"
            }
        }
        switch metric {
        case .active:
            block("active", 0) { $0.active }
            block("active_pct", 2) { $0.activePercent }
        case .revenue:
            block("revenue", 2) { $0.revenue }
            block("revenue_per_customer", 2) { $0.revenuePerCustomer }
        }
        return out
    }
}
