import Foundation

/// Why features, labels or KPIs cannot be computed for the dates and settings asked for.
///
/// Messages say what to change in terms of the request (dates, counts), never CLI flags; the
/// command line adds the flag names.
public enum FeaturesError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A feature build was asked for with no as-of date.
    case noAsOfDates
    /// A KPI period whose start is not before its end (dates as `YYYY-MM-DD`).
    case emptyPeriod(from: String, to: String)
    /// The inactivity threshold for KPI churn is below one day.
    case invalidInactiveDays(Int)
    /// The follower count for the social engagement rate is not a positive number.
    case invalidFollowers(Double)
    /// The conversion event type is empty.
    case emptyConversionType

    public var description: String {
        switch self {
        case .noAsOfDates:
            return "give at least one as-of date."
        case let .emptyPeriod(from, to):
            return "the period is empty: its start \(from) must be before its end \(to)."
        case let .invalidInactiveDays(days):
            return "inactive days must be at least 1, got \(days)."
        case let .invalidFollowers(followers):
            return "the follower count must be a positive number, got \(followers)."
        case .emptyConversionType:
            return "the conversion event type is empty: name the event that counts as a conversion, e.g. purchase."
        }
    }
}

extension FeaturesError: LocalizedError {
    public var errorDescription: String? { description }
}
