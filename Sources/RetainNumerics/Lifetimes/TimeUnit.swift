import RetainCore
/// The unit in which recency, age, model rates and prediction horizons are measured.
///
/// Every quantity of the customer-lifetime-value models carries its unit explicitly: an RFM
/// table says which unit its recency and age are in, a fitted model answers in that unit, and a
/// CLV horizon and its discount rate name the period they step by. A month is the mean
/// Gregorian month, 365.25 / 12 = 30.4375 days (4.348 weeks), not 30 days and not 4 weeks.
public enum TimeUnit: String, Sendable, Codable, CaseIterable {
    /// One calendar day.
    case day
    /// Seven days.
    case week
    /// 30.4375 days (365.25 / 12).
    case month

    /// Length of one unit in days.
    public var days: Double {
        switch self {
        case .day: return 1
        case .week: return 7
        case .month: return 30.4375
        }
    }

    /// `value` units of `self` expressed in `unit` (e.g. `TimeUnit.month.convert(1, to: .week)` = 4.348).
    public func convert(_ value: Double, to unit: TimeUnit) -> Double {
        self == unit ? value : value * (days / unit.days)
    }
}
