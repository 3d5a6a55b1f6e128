import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainNumerics

extension KPIAccumulator {
    /// What one period's KPIs are computed from.
    struct Tallies {
        var counts: [Double]                   // `Counter.count` counters
        var atStart = 0.0, atEnd = 0.0
        var active = 0.0, purchasing = 0.0, repeaters = 0.0, clickers = 0.0, converted = 0.0
        var pageViews: [Double] = []           // per page
        var exits: [Double] = []               // per page
        subscript(_ c: Counter) -> Double { counts[c.rawValue] }
    }

    /// Pairs the ref-linked events, places each customer's lifetime, and computes the KPIs of
    /// the period and of every sub-period.
    ///
    /// - Parameters:
    ///   - customerIDs: The reader's interned customer ids, in index order.
    ///   - signups: Signup instants by customer id (customers.csv). A signup before the first
    ///     event is the acquisition; customers with a signup and no event join the base at signup.
    /// - Complexity: O(customers × sub-periods + refs + pages × sub-periods).
    public func finish(customerIDs: [String], signups: [String: Double] = [:]) -> KPIReport {
        let K = Self.K, P = self.P, C = customerCount
        var counts = self.counts
        var totalCounts = [Double](repeating: 0, count: K)

        // Customer base: one lifetime [acquired, lost) per customer.
        var signupOf = [Double](repeating: .nan, count: C)
        var signupOnly = [Double]()
        if !signups.isEmpty {
            var index = [String: Int](minimumCapacity: C)
            for (i, id) in customerIDs.prefix(C).enumerated() { index[id] = i }
            for (id, t) in signups where t.isFinite {
                if let i = index[id] { signupOf[i] = t } else { signupOnly.append(t) }
            }
        }
        var atStart = 0.0
        func place(acquired: Double, lost: Double) {
            guard acquired < to else { return }
            if acquired < from && lost >= from { atStart += 1 }
            let ka = period(acquired)
            if ka >= 0 { counts[ka * K + Counter.new.rawValue] += 1 }
            let kl = period(lost)
            if kl >= 0 { counts[kl * K + Counter.lost.rawValue] += 1 }
        }
        for c in 0..<C {
            let s = signupOf[c]
            let acquired = min(firstEvent[c], s.isNaN ? .infinity : s)
            guard acquired.isFinite else { continue }
            place(acquired: acquired, lost: loss(customer: c, acquired: acquired, signup: s))
        }
        for s in signupOnly {
            place(acquired: s, lost: spec.churn == .inactivity ? s + inactive : .infinity)
        }

        // Distinct customers per sub-period and over the whole period.
        var active = [Double](repeating: 0, count: P), purchasing = active, repeaters = active
        var clickers = active, converted = active
        var total = Tallies(counts: [])
        for c in 0..<C {
            var any = false
            for w in 0..<activeWords {
                var bits = activeBits[c * activeWords + w]
                any = any || bits != 0
                while bits != 0 {
                    active[w * 64 + bits.trailingZeroBitCount] += 1
                    bits &= bits - 1
                }
            }
            if any { total.active += 1 }
            var orders: Int32 = 0
            for k in 0..<P {
                let n = purchaseCount[c * P + k]
                if n > 0 { purchasing[k] += 1 }
                if n > 1 { repeaters[k] += 1 }
                orders += n
            }
            if orders > 0 { total.purchasing += 1 }
            if orders > 1 { total.repeaters += 1 }
            if tracksConversion {
                var click = Double.infinity, conversion = -Double.infinity
                for k in 0..<P {
                    let f = firstClick[c * P + k], l = lastConversion[c * P + k]
                    if f.isFinite {
                        clickers[k] += 1
                        if l >= f { converted[k] += 1 }
                    }
                    click = min(click, f)
                    conversion = max(conversion, l)
                }
                if click.isFinite {
                    total.clickers += 1
                    if conversion >= click { total.converted += 1 }
                }
            }
        }

        // Page-view sessions (by the first page view) and exits (by the last).
        let pages = pageNames.count
        var exits = [Double](repeating: 0, count: pages * P)
        for s in sessions where s.views > 0 {
            let k = period(s.first)
            if k >= 0 {
                counts[k * K + Counter.viewSessions.rawValue] += 1
                counts[k * K + Counter.sessionPageViews.rawValue] += Double(s.views)
                if s.views == 1 { counts[k * K + Counter.singlePageSessions.rawValue] += 1 }
            }
            let kl = period(s.last)
            if kl >= 0 && s.lastPage >= 0 { exits[Int(s.lastPage) * P + kl] += 1 }
        }
        // Tickets: the first resolution at or after the first opening.
        for ticket in tickets.values where ticket.opened.isFinite {
            guard let resolved = ticket.resolved.filter({ $0 >= ticket.opened }).min() else { continue }
            let k = period(resolved)
            guard k >= 0 else { continue }
            counts[k * K + Counter.resolutionSum.rawValue] += resolved - ticket.opened
            counts[k * K + Counter.resolutionCount.rawValue] += 1
            let contacts = ticket.contacts.filter { $0 >= ticket.opened && $0 <= resolved }.count
            if contacts <= 1 { counts[k * K + Counter.firstContact.rawValue] += 1 }
        }
        // Live events: in the period of their first attendance, else their last registration.
        for event in liveEvents.values {
            let k = period(event.firstAttendance.isFinite ? event.firstAttendance : event.lastRegistration)
            guard k >= 0 else { continue }
            counts[k * K + Counter.registrations.rawValue] += event.registrations
            counts[k * K + Counter.attendances.rawValue] += event.attendances
        }

        // Tallies per sub-period; the totals add up, except the distinct counts and the base.
        var rows = [Tallies]()
        var at = atStart
        for k in 0..<P {
            var t = Tallies(counts: Array(counts[(k * K)..<((k + 1) * K)]))
            t.atStart = at
            at += t[.new] - t[.lost]
            t.atEnd = at
            t.active = active[k]; t.purchasing = purchasing[k]; t.repeaters = repeaters[k]
            t.clickers = clickers[k]; t.converted = converted[k]
            t.pageViews = (0..<pages).map { pageViewCounts[$0 * P + k] }
            t.exits = (0..<pages).map { exits[$0 * P + k] }
            for j in 0..<K { totalCounts[j] += t.counts[j] }
            rows.append(t)
        }
        total.counts = totalCounts
        total.atStart = atStart
        total.atEnd = at
        total.pageViews = (0..<pages).map { p in (0..<P).reduce(0) { $0 + pageViewCounts[p * P + $1] } }
        total.exits = (0..<pages).map { p in (0..<P).reduce(0) { $0 + exits[p * P + $1] } }

        // What cannot be computed at all, and what the whole period lacks.
        var notComputed = [KPINotComputed]()
        var everywhere = Set<KPI>()
        var totalPeriod = kpiPeriod(total, start: from, end: to)
        for kpi in KPI.allCases where !kpi.isCount {
            if let reason = logReason(kpi) {
                notComputed.append(KPINotComputed(kpi: kpi, reason: reason))
                everywhere.insert(kpi)
                totalPeriod.values[kpi] = nil
                if kpi == .exitRate { totalPeriod.exitRates = [:] }
            } else if kpi == .exitRate ? totalPeriod.exitRates.isEmpty : totalPeriod[kpi] == nil {
                notComputed.append(KPINotComputed(kpi: kpi, reason: periodReason(kpi, total)))
            }
        }
        var periods = [KPIPeriod]()
        if spec.granularity != nil {
            for (k, t) in rows.enumerated() {
                var p = kpiPeriod(t, start: bounds[k], end: bounds[k + 1])
                for kpi in everywhere { p.values[kpi] = nil }
                if everywhere.contains(.exitRate) { p.exitRates = [:] }
                periods.append(p)
            }
        }
        return KPIReport(
            total: totalPeriod, periods: periods, notComputed: notComputed, spec: spec, eventsRead: eventsRead,
            eventsInPeriod: Int(totalCounts[Counter.events.rawValue]),
            firstEvent: earliest.isFinite ? earliest : nil, lastEvent: latest.isFinite ? latest : nil,
            conversionTypes: typeNames.indices.filter { typeConverts[$0] }.map { typeNames[$0] },
            warnings: warnings())
    }

    /// Caveats when the log covers less than the period needs.
    private func warnings() -> [String] {
        guard earliest.isFinite else { return ["the log has no events."] }
        var out = [String]()
        let days = spec.inactiveDays
        if spec.churn == .inactivity && earliest > from - inactive {
            out.append("the log starts on \(formatDate(earliest)), less than \(days) days before \(formatDate(from)): "
                + "customers whose last event came before it are not seen, so losses before \(formatDate(earliest + inactive)) "
                + "are undercounted and customers at start rely on signup dates.")
        }
        if latest < to - secondsPerDay {
            out.append("the log ends on \(formatDate(latest)), before \(formatDate(to)): customers with no event in its last "
                + "\(days) days count as lost before the period ends even if they came back later (churn overstated).")
        }
        return out
    }

    /// When customer `c` (acquired at `acquired`) is lost: after `inactiveDays` without events
    /// (inactivity), or at their last cancellation not followed by a start (cancellation);
    /// infinity when not lost.
    private func loss(customer c: Int, acquired: Double, signup s: Double) -> Double {
        switch spec.churn {
        case .inactivity:
            let lastActivity = max(lastEvent[c], s.isNaN || s >= to ? -.infinity : s)
            return lastActivity + inactive
        case .cancellation:
            let cancel = lastCancel[c]
            return cancel.isFinite && cancel >= lastStart[c] ? max(cancel, acquired) : .infinity
        }
    }

    /// The KPI values of one period's tallies.
    private func kpiPeriod(_ t: Tallies, start: Double, end: Double) -> KPIPeriod {
        var v = [KPI: Double]()
        v[.customersAtStart] = t.atStart
        v[.customersAtEnd] = t.atEnd
        v[.newCustomers] = t[.new]
        v[.lostCustomers] = t[.lost]
        v[.activeCustomers] = t.active
        v[.churnRate] = KPIFormula.churnRate(lost: t[.lost], atStart: t.atStart)
        v[.retentionRate] = KPIFormula.retentionRate(atEnd: t.atEnd, new: t[.new], atStart: t.atStart)
        v[.subscriptionStarts] = t[.subscriptionStarts]
        v[.subscriptionCancels] = t[.subscriptionCancels]
        v[.promoters] = t[.promoters]
        v[.passives] = t[.passives]
        v[.detractors] = t[.detractors]
        v[.npsResponses] = t[.promoters] + t[.passives] + t[.detractors]
        v[.nps] = KPIFormula.nps(promoters: t[.promoters], passives: t[.passives], detractors: t[.detractors])
        v[.csatResponses] = t[.csatResponses]
        v[.csat] = KPIFormula.csat(positive: t[.csatPositive], responses: t[.csatResponses])
        v[.cesResponses] = t[.cesResponses]
        v[.ces] = KPIFormula.ces(sum: t[.cesSum], responses: t[.cesResponses])
        v[.emailsSent] = t[.sent]
        v[.emailOpens] = t[.opens]
        v[.emailClicks] = t[.clicks]
        v[.unsubscribes] = t[.unsubscribes]
        v[.openRate] = KPIFormula.openRate(opens: t[.opens], sends: t[.sent])
        v[.clickThroughRate] = KPIFormula.clickThroughRate(clicks: t[.clicks], sends: t[.sent])
        v[.unsubscribeRate] = KPIFormula.unsubscribeRate(unsubscribes: t[.unsubscribes], sends: t[.sent])
        v[.clickers] = t.clickers
        v[.convertedClickers] = t.converted
        v[.conversionRate] = KPIFormula.conversionRate(converted: t.converted, clickers: t.clickers)
        v[.sessions] = t[.sessions]
        v[.meanSessionDuration] = KPIFormula.mean(sum: t[.durationSum], count: t[.durationCount])
        v[.pageViews] = t[.pageViews]
        v[.pageViewSessions] = t[.viewSessions]
        v[.bounceRate] = KPIFormula.bounceRate(singlePageSessions: t[.singlePageSessions], sessions: t[.viewSessions])
        v[.pagesPerSession] = KPIFormula.pagesPerSession(pageViews: t[.sessionPageViews], sessions: t[.viewSessions])
        v[.contacts] = t[.contacts]
        v[.averageHandleTime] = KPIFormula.mean(sum: t[.handleSum], count: t[.handleCount])
        v[.ticketsOpened] = t[.ticketsOpened]
        v[.ticketsResolved] = t[.ticketsResolved]
        v[.meanResolutionTime] = KPIFormula.mean(sum: t[.resolutionSum], count: t[.resolutionCount])
        v[.firstContactResolutionRate] = KPIFormula.firstContactResolutionRate(
            resolvedAtFirstContact: t[.firstContact], resolved: t[.resolutionCount])
        v[.likes] = t[.likes]
        v[.shares] = t[.shares]
        v[.comments] = t[.comments]
        if let followers = spec.followers {
            v[.socialEngagementRate] = KPIFormula.socialEngagementRate(
                likes: t[.likes], shares: t[.shares], comments: t[.comments], followers: followers)
        }
        v[.purchases] = t[.purchases]
        v[.revenue] = t[.revenue]
        v[.purchasingCustomers] = t.purchasing
        let aov = KPIFormula.averageOrderValue(revenue: t[.revenue], orders: t[.valuedPurchases])
        let frequency = KPIFormula.purchaseFrequency(orders: t[.purchases], customers: t.purchasing)
        v[.averageOrderValue] = aov
        v[.purchaseFrequency] = frequency
        v[.repeatPurchaseRate] = KPIFormula.repeatPurchaseRate(repeatCustomers: t.repeaters, customers: t.purchasing)
        let lifespan = v[.churnRate].flatMap { KPIFormula.lifespan(churnRate: $0) }
        v[.lifespan] = lifespan
        if let aov, let frequency, let lifespan {
            v[.clv] = KPIFormula.simpleCLV(averageOrderValue: aov, purchaseFrequency: frequency, lifespan: lifespan)
        }
        v[.eventRegistrations] = t[.registrations]
        v[.eventAttendance] = t[.attendances]
        v[.attendanceRate] = KPIFormula.attendanceRate(attended: t[.attendances], registered: t[.registrations])
        var exitRates = [String: Double]()
        for (p, name) in pageNames.enumerated() where p < t.pageViews.count {
            if let r = KPIFormula.exitRate(exits: t.exits[p], pageViews: t.pageViews[p]) { exitRates[name] = r }
        }
        if pageNames.count < 2 { exitRates = [:] }
        return KPIPeriod(start: start, end: end, values: v, exitRates: exitRates)
    }

    /// Why the log cannot give `kpi` at all (a role or a setting is missing), or nil.
    private func logReason(_ kpi: KPI) -> String? {
        func missing(_ role: Role) -> String? {
            roleEvents[role.index] > 0 ? nil
                : "no \(role.rawValue) events in the log (map one with --role \(role.rawValue)=TYPE)"
        }
        func noRef(_ role: Role, _ what: String) -> String? {
            roleRefs[role.index] > 0 ? nil : "the \(role.rawValue) events carry no ref (\(what))"
        }
        let churn: String? = spec.churn == .cancellation && roleEvents[Role.subscriptionCancel.index] == 0
            ? "churn is defined by cancellation but the log has no subscription_cancel events "
                + "(map one with --role subscription_cancel=TYPE, or use inactivity churn)"
            : nil
        let tickets = missing(.ticketOpened) ?? missing(.ticketResolved)
            ?? noRef(.ticketOpened, "the ticket id that links opening and resolution")
            ?? noRef(.ticketResolved, "the ticket id that links opening and resolution")
        let pageSessions = missing(.pageView) ?? noRef(.pageView, "the session id: sessions are page views grouped by ref")
        switch kpi {
        case .churnRate, .retentionRate, .lifespan: return churn
        case .nps: return missing(.nps)
        case .csat: return missing(.csat)
        case .ces: return missing(.ces)
        case .openRate: return missing(.emailSent) ?? missing(.emailOpen)
        case .clickThroughRate: return missing(.emailSent) ?? missing(.emailClick)
        case .unsubscribeRate: return missing(.emailSent) ?? missing(.emailUnsubscribe)
        case .conversionRate:
            if let m = missing(.emailClick) { return m }
            guard conversionEvents == 0 else { return nil }
            if let type = spec.conversionEventType { return "no '\(type)' events (the --conversion event type) in the log" }
            return "no purchase events in the log, the default conversion (map one with --role purchase=TYPE, or give --conversion TYPE)"
        case .meanSessionDuration: return missing(.session)
        case .bounceRate, .pagesPerSession: return pageSessions
        case .exitRate:
            if let m = pageSessions { return m }
            return pageNames.count >= 2 ? nil
                : "the page views carry no page identity (one page-view event type, \(pageNames.first ?? "page_view"), "
                    + "and no value): map one event type per page (--role page_view=TYPE, repeatable) or put a numeric page id in value"
        case .averageHandleTime: return missing(.contact)
        case .meanResolutionTime: return tickets
        case .firstContactResolutionRate:
            return tickets ?? missing(.contact) ?? noRef(.contact, "the ticket id that links a contact to its ticket")
        case .socialEngagementRate:
            if Role.social.allSatisfy({ roleEvents[$0.index] == 0 }) {
                return "no like, share or comment events in the log (map them with --role like=TYPE, --role share=TYPE, --role comment=TYPE)"
            }
            return spec.followers == nil ? "needs the audience size: give --followers N" : nil
        case .averageOrderValue, .purchaseFrequency, .repeatPurchaseRate: return missing(.purchase)
        case .clv: return missing(.purchase) ?? churn
        case .attendanceRate: return missing(.eventRegistration) ?? missing(.eventAttendance)
        default: return nil
        }
    }

    /// Why `kpi` is undefined over the whole period although the log has what it needs.
    private func periodReason(_ kpi: KPI, _ t: Tallies) -> String {
        let span = "between \(formatDate(from)) and \(formatDate(to))"
        switch kpi {
        case .churnRate, .retentionRate, .lifespan, .clv:
            if t.atStart == 0 {
                let first = earliest.isFinite ? "the log's first event is on \(formatDate(earliest))" : "the log is empty"
                return "no customers in the base at \(formatDate(from)): \(first) and no customer signed up earlier "
                    + "(give --customers with signup dates, or a later --from)"
            }
            if kpi == .clv && (t[.valuedPurchases] == 0 || t.purchasing == 0) { return "no purchases with an amount (value) \(span)" }
            return "no customer was lost \(span) (churn 0 %): the lifespan is unbounded"
        case .nps:
            return roleValues[Role.nps.index] == 0 ? "the nps events carry no score 0–10 in value" : "no NPS responses \(span)"
        case .csat:
            return roleValues[Role.csat.index] == 0 ? "the csat events carry no score 1–5 in value" : "no CSAT responses \(span)"
        case .ces:
            return roleValues[Role.ces.index] == 0 ? "the ces events carry no score in value" : "no CES responses \(span)"
        case .openRate, .clickThroughRate, .unsubscribeRate: return "no emails sent \(span)"
        case .conversionRate: return "no email clicks \(span)"
        case .meanSessionDuration:
            return roleValues[Role.session.index] == 0 ? "the session events carry no duration (seconds) in value" : "no sessions with a duration \(span)"
        case .bounceRate, .pagesPerSession, .exitRate: return "no page-view sessions \(span)"
        case .averageHandleTime:
            return roleValues[Role.contact.index] == 0 ? "the contact events carry no handle time (seconds) in value" : "no contacts with a handle time \(span)"
        case .meanResolutionTime, .firstContactResolutionRate:
            return "no ticket resolved \(span) whose opening is in the log (ticket_opened and ticket_resolved with the same ref)"
        case .averageOrderValue:
            return roleValues[Role.purchase.index] == 0 ? "the purchase events carry no amount in value" : "no purchases with an amount \(span)"
        case .purchaseFrequency, .repeatPurchaseRate: return "no purchases \(span)"
        case .attendanceRate: return "no event registrations \(span)"
        default: return "no data for it \(span)"
        }
    }
}
