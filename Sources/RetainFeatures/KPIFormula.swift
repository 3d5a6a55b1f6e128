import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainNumerics

/// The engagement KPI formulas of DESIGN.md, as pure functions of counts.
///
/// Rates are percentages (0–100). A formula whose denominator is zero returns `nil`: the KPI is
/// undefined, not zero.
public enum KPIFormula {
    /// `part / whole × 100`, or nil when `whole` is 0.
    public static func percent(_ part: Double, of whole: Double) -> Double? {
        whole > 0 ? part / whole * 100 : nil
    }

    /// `sum / count`, or nil when `count` is 0.
    public static func mean(sum: Double, count: Double) -> Double? {
        count > 0 ? sum / count : nil
    }

    // MARK: Customer base

    /// Churn rate = customers lost in the period / customers at its start × 100.
    ///
    /// 100 lost of 1,000 at the start is 10 %.
    public static func churnRate(lost: Double, atStart: Double) -> Double? {
        percent(lost, of: atStart)
    }

    /// Retention rate = (customers at end − new customers in the period) / customers at start × 100.
    ///
    /// 10,000 at the start, 12,000 at the end with 5,000 new is (12,000 − 5,000) / 10,000 = 70 %
    /// (not (12,000 − 10,000) / 10,000 = 20 %, the growth rate one source document computes).
    public static func retentionRate(atEnd: Double, new: Double, atStart: Double) -> Double? {
        percent(atEnd - new, of: atStart)
    }

    // MARK: Surveys

    /// NPS category of a 0–10 score: promoter 9–10, passive 7–8, detractor 0–6.
    public enum NPSCategory: Sendable, Equatable { case promoter, passive, detractor }

    /// The category of `score`, or nil when it is not a number in 0…10.
    /// Non-integer scores: ≥ 9 promoter, ≥ 7 passive, else detractor.
    public static func npsCategory(_ score: Double) -> NPSCategory? {
        guard score >= 0 && score <= 10 else { return nil }
        return score >= 9 ? .promoter : score >= 7 ? .passive : .detractor
    }

    /// Net Promoter Score = % promoters (9–10) − % detractors (0–6), in −100…100.
    ///
    /// 300 promoters, 100 passives and 100 detractors of 500 is 60 − 20 = 40.
    public static func nps(promoters: Double, passives: Double, detractors: Double) -> Double? {
        let n = promoters + passives + detractors
        guard n > 0 else { return nil }
        return (promoters - detractors) / n * 100
    }

    /// Whether a 1–5 CSAT score is positive (4 or 5); nil when it is not a number in 1…5.
    public static func isSatisfied(_ score: Double) -> Bool? {
        guard score >= 1 && score <= 5 else { return nil }
        return score >= 4
    }

    /// CSAT = positive responses (4–5 of 5) / responses × 100.
    public static func csat(positive: Double, responses: Double) -> Double? {
        percent(positive, of: responses)
    }

    /// CES = mean effort score (on the business's own scale, e.g. 1–7).
    public static func ces(sum: Double, responses: Double) -> Double? {
        mean(sum: sum, count: responses)
    }

    // MARK: Email

    /// Open rate = opens / sends × 100.
    public static func openRate(opens: Double, sends: Double) -> Double? { percent(opens, of: sends) }

    /// Click-through rate = clicks / sends (impressions) × 100. 100 clicks of 1,000 sends is 10 %.
    public static func clickThroughRate(clicks: Double, sends: Double) -> Double? { percent(clicks, of: sends) }

    /// Unsubscribe rate = unsubscribes / sends × 100.
    public static func unsubscribeRate(unsubscribes: Double, sends: Double) -> Double? { percent(unsubscribes, of: sends) }

    /// Conversion rate = clickers who converted / clickers × 100.
    public static func conversionRate(converted: Double, clickers: Double) -> Double? { percent(converted, of: clickers) }

    // MARK: Web

    /// Bounce rate = single-page sessions / sessions × 100.
    public static func bounceRate(singlePageSessions: Double, sessions: Double) -> Double? {
        percent(singlePageSessions, of: sessions)
    }

    /// Exit rate of a page = sessions that ended on it / its page views × 100.
    public static func exitRate(exits: Double, pageViews: Double) -> Double? { percent(exits, of: pageViews) }

    /// Pages per session = page views in sessions / sessions.
    public static func pagesPerSession(pageViews: Double, sessions: Double) -> Double? {
        mean(sum: pageViews, count: sessions)
    }

    // MARK: Support

    /// First-contact resolution rate = tickets resolved at the first contact / resolved tickets × 100.
    public static func firstContactResolutionRate(resolvedAtFirstContact: Double, resolved: Double) -> Double? {
        percent(resolvedAtFirstContact, of: resolved)
    }

    // MARK: Social

    /// Social engagement rate = (likes + shares + comments) / followers × 100.
    ///
    /// 750 interactions with 10,000 followers is 7.5 %.
    public static func socialEngagementRate(likes: Double, shares: Double, comments: Double, followers: Double) -> Double? {
        percent(likes + shares + comments, of: followers)
    }

    // MARK: Commerce

    /// Average order value = revenue / orders (orders with an amount).
    public static func averageOrderValue(revenue: Double, orders: Double) -> Double? { mean(sum: revenue, count: orders) }

    /// Purchase frequency = orders / customers who ordered.
    public static func purchaseFrequency(orders: Double, customers: Double) -> Double? { mean(sum: orders, count: customers) }

    /// Repeat purchase rate = customers with two or more orders / customers with one or more × 100.
    public static func repeatPurchaseRate(repeatCustomers: Double, customers: Double) -> Double? {
        percent(repeatCustomers, of: customers)
    }

    /// Expected customer lifespan in periods = 1 / churn per period = 100 / churn rate (%).
    ///
    /// nil when the churn rate is 0 or negative (the lifespan is unbounded).
    public static func lifespan(churnRate: Double) -> Double? {
        churnRate > 0 ? 100 / churnRate : nil
    }

    /// Simple customer lifetime value = average order value × purchase frequency × lifespan.
    ///
    /// `purchaseFrequency` and `lifespan` must use the same period (orders per period, periods).
    public static func simpleCLV(averageOrderValue: Double, purchaseFrequency: Double, lifespan: Double) -> Double {
        averageOrderValue * purchaseFrequency * lifespan
    }

    // MARK: Live events

    /// Attendance rate = attendances / registrations × 100.
    public static func attendanceRate(attended: Double, registered: Double) -> Double? { percent(attended, of: registered) }
}
