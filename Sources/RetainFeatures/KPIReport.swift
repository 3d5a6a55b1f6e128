import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainNumerics

/// One engagement KPI: its JSON key (the raw value), label, unit and definition.
///
/// Cases are in report order, grouped: customer base, surveys, email, web, support, social,
/// commerce, live events. The definitions (``formula``) are what `retain metrics --explain` prints.
public enum KPI: String, CaseIterable, Codable, Sendable, Comparable {
    // Customer base
    case customersAtStart = "customers_start"
    case customersAtEnd = "customers_end"
    case newCustomers = "new_customers"
    case lostCustomers = "lost_customers"
    case activeCustomers = "active_customers"
    case churnRate = "churn_rate"
    case retentionRate = "retention_rate"
    case subscriptionStarts = "subscription_starts"
    case subscriptionCancels = "subscription_cancels"
    // Surveys
    case npsResponses = "nps_responses"
    case promoters, passives, detractors, nps
    case csatResponses = "csat_responses"
    case csat
    case cesResponses = "ces_responses"
    case ces
    // Email
    case emailsSent = "emails_sent"
    case emailOpens = "email_opens"
    case emailClicks = "email_clicks"
    case unsubscribes
    case openRate = "open_rate"
    case clickThroughRate = "ctr"
    case unsubscribeRate = "unsubscribe_rate"
    case clickers
    case convertedClickers = "converted_clickers"
    case conversionRate = "conversion_rate"
    // Web
    case sessions
    case meanSessionDuration = "mean_session_duration_seconds"
    case pageViews = "page_views"
    case pageViewSessions = "page_view_sessions"
    case bounceRate = "bounce_rate"
    case pagesPerSession = "pages_per_session"
    case exitRate = "exit_rate"
    // Support
    case contacts
    case averageHandleTime = "average_handle_time_seconds"
    case ticketsOpened = "tickets_opened"
    case ticketsResolved = "tickets_resolved"
    case meanResolutionTime = "mean_resolution_time_seconds"
    case firstContactResolutionRate = "first_contact_resolution_rate"
    // Social
    case likes, shares, comments
    case socialEngagementRate = "social_engagement_rate"
    // Commerce
    case purchases, revenue
    case purchasingCustomers = "purchasing_customers"
    case averageOrderValue = "average_order_value"
    case purchaseFrequency = "purchase_frequency"
    case repeatPurchaseRate = "repeat_purchase_rate"
    case lifespan = "lifespan_periods"
    case clv
    // Live events
    case eventRegistrations = "event_registrations"
    case eventAttendance = "event_attendance"
    case attendanceRate = "attendance_rate"

    public static func < (a: KPI, b: KPI) -> Bool { a.order < b.order }

    private var order: Int { KPI.allCases.firstIndex(of: self)! }  // every case is in allCases

    /// How a value is expressed.
    public enum Unit: String, Sendable {
        case count, percent, score, seconds, money, ratio, periods
    }

    /// The unit of the values.
    public var unit: Unit {
        switch self {
        case .churnRate, .retentionRate, .csat, .openRate, .clickThroughRate, .unsubscribeRate, .conversionRate,
             .bounceRate, .exitRate, .firstContactResolutionRate, .socialEngagementRate, .repeatPurchaseRate, .attendanceRate:
            return .percent
        case .nps, .ces: return .score
        case .meanSessionDuration, .averageHandleTime, .meanResolutionTime: return .seconds
        case .revenue, .averageOrderValue, .clv: return .money
        case .pagesPerSession, .purchaseFrequency: return .ratio
        case .lifespan: return .periods
        default: return .count
        }
    }

    /// The report section: customer base, surveys, email, web, support, social, commerce, live events.
    public var group: String {
        if self <= .subscriptionCancels { return "customer base" }
        if self <= .ces { return "surveys" }
        if self <= .conversionRate { return "email" }
        if self <= .exitRate { return "web" }
        if self <= .firstContactResolutionRate { return "support" }
        if self <= .socialEngagementRate { return "social" }
        if self <= .clv { return "commerce" }
        return "live events"
    }

    /// The label without its unit (`CSAT`, `churn rate`), for sentences.
    public var name: String {
        var s = label
        for suffix in [" %", " (s)", " (periods)", " (mean score)", " (simple)", " (per page)"] where s.hasSuffix(suffix) {
            s.removeLast(suffix.count)
        }
        return s.hasSuffix(" %") ? String(s.dropLast(2)) : s
    }

    /// Whether the value is a count of events or customers (always computable; 0 when none).
    public var isCount: Bool { unit == .count }

    /// A short human label.
    public var label: String {
        switch self {
        case .customersAtStart: return "customers at start"
        case .customersAtEnd: return "customers at end"
        case .newCustomers: return "new customers"
        case .lostCustomers: return "lost customers"
        case .activeCustomers: return "active customers"
        case .churnRate: return "churn rate %"
        case .retentionRate: return "retention rate %"
        case .subscriptionStarts: return "subscription starts"
        case .subscriptionCancels: return "subscription cancels"
        case .npsResponses: return "NPS responses"
        case .promoters: return "promoters (9-10)"
        case .passives: return "passives (7-8)"
        case .detractors: return "detractors (0-6)"
        case .nps: return "NPS"
        case .csatResponses: return "CSAT responses"
        case .csat: return "CSAT %"
        case .cesResponses: return "CES responses"
        case .ces: return "CES (mean score)"
        case .emailsSent: return "emails sent"
        case .emailOpens: return "email opens"
        case .emailClicks: return "email clicks"
        case .unsubscribes: return "unsubscribes"
        case .openRate: return "open rate %"
        case .clickThroughRate: return "CTR %"
        case .unsubscribeRate: return "unsubscribe rate %"
        case .clickers: return "clickers"
        case .convertedClickers: return "converted clickers"
        case .conversionRate: return "conversion rate %"
        case .sessions: return "sessions"
        case .meanSessionDuration: return "mean session duration (s)"
        case .pageViews: return "page views"
        case .pageViewSessions: return "page-view sessions"
        case .bounceRate: return "bounce rate %"
        case .pagesPerSession: return "pages per session"
        case .exitRate: return "exit rate % (per page)"
        case .contacts: return "support contacts"
        case .averageHandleTime: return "average handle time (s)"
        case .ticketsOpened: return "tickets opened"
        case .ticketsResolved: return "tickets resolved"
        case .meanResolutionTime: return "mean resolution time (s)"
        case .firstContactResolutionRate: return "first-contact resolution %"
        case .likes: return "likes"
        case .shares: return "shares"
        case .comments: return "comments"
        case .socialEngagementRate: return "social engagement rate %"
        case .purchases: return "purchases"
        case .revenue: return "revenue"
        case .purchasingCustomers: return "purchasing customers"
        case .averageOrderValue: return "average order value"
        case .purchaseFrequency: return "purchase frequency"
        case .repeatPurchaseRate: return "repeat purchase rate %"
        case .lifespan: return "lifespan (periods)"
        case .clv: return "CLV (simple)"
        case .eventRegistrations: return "event registrations"
        case .eventAttendance: return "event attendance"
        case .attendanceRate: return "attendance rate %"
        }
    }

    /// The definition and formula, as `retain metrics --explain` prints it.
    ///
    /// Role names (`purchase`, `nps`, …) are the roles of DESIGN.md: event types mapped to them
    /// by the config or `--role`, or named like them.
    public var formula: String {
        switch self {
        case .customersAtStart:
            return "customers in the base at 00:00 UTC of the period's first day. The base: a customer joins at acquisition "
                + "(the earlier of the signup date in customers.csv and the first event) and leaves when lost; "
                + "in the base at instant t = acquired before t and not lost before t."
        case .customersAtEnd:
            return "customers in the base at the period's end (exclusive). Under inactivity churn: the customers with an event "
                + "in the inactive-days window before the end (or a signup in it). Always = at start + new − lost."
        case .newCustomers:
            return "customers acquired (signup, else first event) in [start, end)."
        case .lostCustomers:
            return "customers whose loss falls in [start, end), those acquired in the period included. Inactivity churn "
                + "(default): lost at last event + inactive days (default 30, the churn horizon), the last event being "
                + "the last one before the report's end, so a customer who comes back before then was never lost. "
                + "Cancellation churn: lost at their last subscription_cancel if no subscription_start follows it."
        case .activeCustomers:
            return "distinct customers with at least one event (any type) in the period."
        case .churnRate:
            return "lost customers / customers at start × 100."
        case .retentionRate:
            return "(customers at end − new customers) / customers at start × 100. With the base above it equals "
                + "100 − churn rate."
        case .subscriptionStarts: return "subscription_start events in the period."
        case .subscriptionCancels: return "subscription_cancel events in the period."
        case .npsResponses: return "nps events in the period whose value is a score 0–10 (every response counts)."
        case .promoters: return "NPS responses scoring 9–10."
        case .passives: return "NPS responses scoring 7–8."
        case .detractors: return "NPS responses scoring 0–6 (below 7)."
        case .nps: return "% promoters − % detractors of the NPS responses, in −100…100."
        case .csatResponses: return "csat events in the period whose value is a score 1–5."
        case .csat: return "responses scoring 4–5 / CSAT responses × 100."
        case .cesResponses: return "ces events in the period with a numeric value."
        case .ces: return "mean ces value (on the survey's own scale; the sample's is 1–7, 7 = easiest)."
        case .emailsSent: return "email_sent events in the period."
        case .emailOpens: return "email_open events in the period (events, not unique opens)."
        case .emailClicks: return "email_click events in the period."
        case .unsubscribes: return "email_unsubscribe events in the period."
        case .openRate: return "email opens / emails sent × 100."
        case .clickThroughRate: return "email clicks / emails sent × 100."
        case .unsubscribeRate: return "unsubscribes / emails sent × 100."
        case .clickers: return "distinct customers with an email click in the period."
        case .convertedClickers:
            return "clickers with a conversion event (default: the purchase role; --conversion TYPE) at or after "
                + "their first click of the period, in the same period."
        case .conversionRate: return "converted clickers / clickers × 100."
        case .sessions: return "session events in the period."
        case .meanSessionDuration: return "mean value (seconds) of the session events in the period that have one."
        case .pageViews: return "page_view events in the period."
        case .pageViewSessions:
            return "page-view sessions: page_view events grouped by ref (the session id), counted in the period of "
                + "their first page view. Page views without a ref belong to no session."
        case .bounceRate: return "page-view sessions with exactly one page view / page-view sessions × 100."
        case .pagesPerSession: return "page views of the page-view sessions / page-view sessions."
        case .exitRate:
            return "per page: page-view sessions whose last page view was on the page / page views of the page × 100, "
                + "each counted in the period of the page view. Page identity: the event type of the page_view "
                + "event, with its value (a numeric page id) when it has one, e.g. `view_pricing` or `page_view:17`; "
                + "needs at least two pages."
        case .contacts: return "contact events in the period."
        case .averageHandleTime: return "mean value (seconds) of the contact events in the period that have one."
        case .ticketsOpened: return "ticket_opened events in the period."
        case .ticketsResolved: return "ticket_resolved events in the period."
        case .meanResolutionTime:
            return "mean of resolution − opening (seconds) over tickets (by ref) resolved in the period: the first "
                + "ticket_resolved at or after the first ticket_opened of the ref."
        case .firstContactResolutionRate:
            return "tickets resolved in the period with at most one contact event (same ref) between opening and "
                + "resolution / those tickets × 100 (the rule of the fcr_rate feature)."
        case .likes: return "like events in the period."
        case .shares: return "share events in the period."
        case .comments: return "comment events in the period."
        case .socialEngagementRate: return "(likes + shares + comments) / followers (--followers N) × 100."
        case .purchases: return "purchase events in the period (orders)."
        case .revenue: return "sum of the purchase values in the period."
        case .purchasingCustomers: return "distinct customers with a purchase in the period."
        case .averageOrderValue: return "revenue / purchases that have a value."
        case .purchaseFrequency: return "purchases / purchasing customers (orders per buyer in the period)."
        case .repeatPurchaseRate: return "purchasing customers with 2+ purchases in the period / purchasing customers × 100."
        case .lifespan:
            return "expected customer lifespan, in periods of the row's length: 1 / churn per period = 100 / churn rate."
        case .clv:
            return "simple CLV = average order value × purchase frequency × lifespan (all per the row's period)."
        case .eventRegistrations:
            return "event_registration events, counted in the period of the live event they refer to (ref): its first "
                + "attendance, else its last registration; events without a ref in their own period."
        case .eventAttendance: return "event_attendance events, counted like registrations."
        case .attendanceRate: return "event attendance / event registrations × 100."
        }
    }
}

/// The KPIs of one period `[start, end)`.
public struct KPIPeriod: Sendable, Equatable {
    /// First instant (Unix seconds, UTC).
    public var start: Double
    /// End instant (exclusive).
    public var end: Double
    /// KPI values; a KPI is absent when it is undefined (zero denominator) or not computed.
    public var values: [KPI: Double]
    /// Exit rate (%) per page identity (see ``KPI/exitRate``); empty when not computed.
    public var exitRates: [String: Double]

    public init(start: Double, end: Double, values: [KPI: Double] = [:], exitRates: [String: Double] = [:]) {
        self.start = start
        self.end = end
        self.values = values
        self.exitRates = exitRates
    }

    /// The value of `kpi`, nil when undefined or not computed.
    public subscript(_ kpi: KPI) -> Double? { values[kpi] }
}

/// A KPI the log cannot give, and why (what to add or map).
public struct KPINotComputed: Sendable, Equatable, Codable {
    public var kpi: KPI
    public var reason: String

    public init(kpi: KPI, reason: String) {
        self.kpi = kpi
        self.reason = reason
    }
}

/// The KPIs of a period and its sub-periods, computed from one read of the event log.
public struct KPIReport: Sendable, Equatable {
    /// The whole period `[from, to)`.
    public var total: KPIPeriod
    /// The sub-periods (calendar months or weeks), empty when none were asked for.
    public var periods: [KPIPeriod]
    /// KPIs that could not be computed for the whole period, with the reason.
    public var notComputed: [KPINotComputed]
    /// The settings used.
    public var spec: KPISpec
    /// Events read (all of them, including those outside the period).
    public var eventsRead: Int
    /// Events with a timestamp in `[from, to)`.
    public var eventsInPeriod: Int
    /// Earliest and latest event timestamps in the log (nil when it has no events).
    public var firstEvent: Double?
    public var lastEvent: Double?
    /// The conversion event types found in the log.
    public var conversionTypes: [String]
    /// Caveats about the numbers (the log starts or ends inside the period), for stderr.
    public var warnings: [String]

    /// The reason `kpi` was not computed, if it was not.
    public func reason(_ kpi: KPI) -> String? { notComputed.first { $0.kpi == kpi }?.reason }
}
