import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainNumerics

/// What to measure: the period and its sub-periods, the roles, the churn definition, the
/// conversion event and the audience size for social engagement.
public struct KPISpec: Sendable, Equatable {
    /// Event type → role mapping.
    public var roles: RoleMap
    /// Sub-period boundaries `[from, b1, …, to]` (Unix seconds, UTC), at least two, ascending.
    public var boundaries: [Double]
    /// How the period was cut (nil: not cut).
    public var granularity: KPIGranularity?
    /// When a customer is lost: after `inactiveDays` without events, or at a cancellation.
    public var churn: ChurnDefinition
    /// Days without any event after which a customer is lost (inactivity churn), ≥ 1.
    public var inactiveDays: Int
    /// The conversion event type; nil = every event type with the `purchase` role.
    public var conversionEventType: String?
    /// Audience size for the social engagement rate (followers); nil = rate not computed.
    public var followers: Double?

    /// The period's first instant.
    public var from: Double { boundaries[0] }
    /// The period's end (exclusive).
    public var to: Double { boundaries[boundaries.count - 1] }

    /// A spec for `[from, to)`, cut by month or week when `by` is given.
    ///
    /// - Throws: `FeaturesError` when `from ≥ to`, `inactiveDays < 1`, `followers ≤ 0`
    ///   or the conversion type is empty.
    public init(roles: RoleMap = RoleMap(), from: Double, to: Double, by: KPIGranularity? = nil,
                churn: ChurnDefinition = .inactivity, inactiveDays: Int = 30,
                conversionEventType: String? = nil, followers: Double? = nil) throws {
        guard from.isFinite, to.isFinite, from < to else {
            throw FeaturesError.emptyPeriod(from: formatDate(from), to: formatDate(to))
        }
        guard inactiveDays >= 1 else {
            throw FeaturesError.invalidInactiveDays(inactiveDays)
        }
        if let followers, !(followers > 0 && followers.isFinite) {
            throw FeaturesError.invalidFollowers(followers)
        }
        if let c = conversionEventType, c.isEmpty {
            throw FeaturesError.emptyConversionType
        }
        self.roles = roles
        self.boundaries = KPICalendar.boundaries(from: from, to: to, by: by)
        self.granularity = by
        self.churn = churn
        self.inactiveDays = inactiveDays
        self.conversionEventType = conversionEventType
        self.followers = followers
    }
}

/// Streams events into per-period counters for the engagement KPIs.
///
/// ```swift
/// var acc = KPIAccumulator(spec: spec)
/// let reader = EventLogReader(source: .csv(path: "events.csv"))
/// _ = try reader.read { batch in acc.setEventTypes(reader.eventTypes); acc.add(batch) }
/// let report = acc.finish(customerIDs: reader.customerIDs, signups: customers.signups)
/// ```
///
/// Events at or after `to` are ignored; events before `from` only shape customer lifetimes
/// (acquisition, last event) and the ref-linked sessions, tickets and live events. The input
/// need not be sorted: every result is independent of event order.
///
/// Memory: O(customers × sub-periods) (first/last event, purchases, clicks and conversions, one
/// activity bit per sub-period) plus O(refs) for page-view sessions, tickets and live events,
/// independent of the number of events.
public struct KPIAccumulator {
    let spec: KPISpec
    let bounds: [Double]
    /// Number of sub-periods.
    let P: Int
    let from: Double, to: Double
    let inactive: Double

    // Event types, as the reader interns them.
    private(set) var typeNames: [String] = []
    var typeRole: [Role?] = []
    var typeConverts: [Bool] = []
    /// Page index of page-view types without a value (-1: not yet assigned).
    var typePage: [Int32] = []

    // Per customer.
    private(set) var customerCount = 0
    var firstEvent: [Double] = []        // earliest event before `to`
    var lastEvent: [Double] = []         // latest event before `to`
    var lastStart: [Double] = []         // latest subscription_start before `to`
    var lastCancel: [Double] = []        // latest subscription_cancel before `to`
    var activeBits: [UInt64] = []        // activity bit per sub-period, `activeWords` words per customer
    let activeWords: Int
    var purchaseCount: [Int32] = []      // customer × P
    var firstClick: [Double] = []        // customer × P, allocated at the first click or conversion
    var lastConversion: [Double] = []    // customer × P
    var tracksConversion = false

    // Per sub-period counters: `counts[k * Counter.count + counter]`.
    var counts: [Double]

    // Per role: events in the whole log, those with a ref; those before `to` with a valid value.
    var roleEvents = [Int](repeating: 0, count: Role.allCases.count)
    var roleRefs = [Int](repeating: 0, count: Role.allCases.count)
    var roleValues = [Int](repeating: 0, count: Role.allCases.count)
    var conversionEvents = 0

    // Page-view sessions, by ref index.
    struct Session { var views: Int32 = 0; var lastPage: Int32 = -1; var first = Double.infinity; var last = -Double.infinity }
    var sessions: [Session] = []
    // Pages: identity → index; page views per page and sub-period (`pageViews[page * P + k]`).
    struct PageKey: Hashable { var type: Int32; var value: UInt64 }
    var pageIndex: [PageKey: Int32] = [:]
    var pageNames: [String] = []
    var pageViewCounts: [Double] = []

    // Tickets and live events, by ref index.
    struct Ticket { var opened = Double.infinity; var resolved: [Double] = []; var contacts: [Double] = [] }
    var tickets: [Int32: Ticket] = [:]
    struct LiveEvent { var registrations = 0.0; var attendances = 0.0; var firstAttendance = Double.infinity; var lastRegistration = -Double.infinity }
    var liveEvents: [Int32: LiveEvent] = [:]

    private(set) var eventsRead = 0
    private(set) var earliest = Double.infinity
    private(set) var latest = -Double.infinity

    /// Per sub-period counters.
    enum Counter: Int, CaseIterable {
        case events
        case promoters, passives, detractors
        case csatPositive, csatResponses, cesSum, cesResponses
        case sent, opens, clicks, unsubscribes
        case sessions, durationSum, durationCount
        case pageViews, viewSessions, singlePageSessions, sessionPageViews
        case contacts, handleSum, handleCount
        case ticketsOpened, ticketsResolved, resolutionSum, resolutionCount, firstContact
        case likes, shares, comments
        case purchases, revenue, valuedPurchases
        case registrations, attendances
        case subscriptionStarts, subscriptionCancels
        case new, lost
    }
    static let K = Counter.allCases.count

    /// Creates an empty accumulator.
    public init(spec: KPISpec) {
        self.spec = spec
        bounds = spec.boundaries
        P = bounds.count - 1
        from = spec.from
        to = spec.to
        inactive = Double(spec.inactiveDays) * secondsPerDay
        activeWords = (P + 63) / 64
        counts = [Double](repeating: 0, count: P * Self.K)
    }

    /// Registers the event types known so far (the reader's interned names, in index order).
    public mutating func setEventTypes(_ names: [String]) {
        guard names.count > typeNames.count else { return }
        for name in names[typeNames.count...] {
            typeNames.append(name)
            let role = spec.roles.role(of: name)
            typeRole.append(role)
            typeConverts.append(spec.conversionEventType.map { $0 == name } ?? (role == .purchase))
            typePage.append(-1)
        }
    }

    /// Makes room for customers with index < `count`.
    public mutating func reserveCustomers(_ count: Int) {
        guard count > customerCount else { return }
        let add = count - customerCount
        firstEvent.append(contentsOf: repeatElement(.infinity, count: add))
        lastEvent.append(contentsOf: repeatElement(-.infinity, count: add))
        lastStart.append(contentsOf: repeatElement(-.infinity, count: add))
        lastCancel.append(contentsOf: repeatElement(-.infinity, count: add))
        activeBits.append(contentsOf: repeatElement(0, count: add * activeWords))
        purchaseCount.append(contentsOf: repeatElement(0, count: add * P))
        if tracksConversion {
            firstClick.append(contentsOf: repeatElement(.infinity, count: add * P))
            lastConversion.append(contentsOf: repeatElement(-.infinity, count: add * P))
        }
        customerCount = count
    }

    private mutating func startTrackingConversion() {
        tracksConversion = true
        firstClick = [Double](repeating: .infinity, count: customerCount * P)
        lastConversion = [Double](repeating: -.infinity, count: customerCount * P)
    }

    /// The sub-period containing `t`, or -1 outside `[from, to)`.
    @inline(__always)
    func period(_ t: Double) -> Int {
        guard t >= from && t < to else { return -1 }
        var lo = 0, hi = P           // bounds[lo] <= t < bounds[hi]
        while hi - lo > 1 {
            let mid = (lo + hi) >> 1
            if t < bounds[mid] { hi = mid } else { lo = mid }
        }
        return lo
    }

    /// Adds a block of events from the reader.
    public mutating func add(_ batch: EventBatch) {
        batch.customer.withUnsafeBufferPointer { c in batch.time.withUnsafeBufferPointer { t in
            batch.type.withUnsafeBufferPointer { ty in batch.value.withUnsafeBufferPointer { v in
                batch.ref.withUnsafeBufferPointer { r in
                    add(customer: c, time: t, type: ty, value: v, ref: r.count == c.count ? r : nil)
                } } } } }
    }

    /// Adds a block of events (columnar; `customer` and `type` are the reader's dense indices,
    /// `value` NaN when absent, `ref` -1 when absent).
    ///
    /// - Complexity: O(count × log sub-periods).
    public mutating func add(customer: UnsafeBufferPointer<Int32>, time: UnsafeBufferPointer<Double>,
                             type: UnsafeBufferPointer<Int32>, value: UnsafeBufferPointer<Double>,
                             ref: UnsafeBufferPointer<Int32>?) {
        let n = customer.count
        guard n > 0 else { return }
        var maxCustomer: Int32 = -1
        for i in 0..<n where customer[i] > maxCustomer { maxCustomer = customer[i] }
        reserveCustomers(Int(maxCustomer) + 1)
        eventsRead += n
        let K = Self.K, P = self.P
        for i in 0..<n {
            let t = time[i]
            if t < earliest { earliest = t }
            if t > latest { latest = t }
            let ty = Int(type[i])
            let r = ref.map { $0[i] } ?? -1
            let role = typeRole[ty]
            if let role {
                roleEvents[role.index] += 1
                if r >= 0 { roleRefs[role.index] += 1 }
            }
            if typeConverts[ty] { conversionEvents += 1 }
            guard t < to else { continue }
            let c = Int(customer[i]), v = value[i]
            if t < firstEvent[c] { firstEvent[c] = t }
            if t > lastEvent[c] { lastEvent[c] = t }
            let k = period(t)
            let base = k * K
            if k >= 0 {
                counts[base + Counter.events.rawValue] += 1
                activeBits[c * activeWords + k >> 6] |= 1 << UInt64(k & 63)
            }
            if typeConverts[ty] {
                if k >= 0 {
                    if !tracksConversion { startTrackingConversion() }
                    if t > lastConversion[c * P + k] { lastConversion[c * P + k] = t }
                }
            }
            guard let role else { continue }
            func count(_ counter: Counter, _ amount: Double = 1) {
                if k >= 0 { counts[base + counter.rawValue] += amount }
            }
            switch role {
            case .subscriptionStart:
                if t > lastStart[c] { lastStart[c] = t }
                count(.subscriptionStarts)
            case .subscriptionCancel:
                if t > lastCancel[c] { lastCancel[c] = t }
                count(.subscriptionCancels)
            case .purchase:
                count(.purchases)
                if k >= 0 { purchaseCount[c * P + k] += 1 }
                if v.isFinite {
                    roleValues[role.index] += 1
                    count(.revenue, v)
                    count(.valuedPurchases)
                }
            case .session:
                count(.sessions)
                if v.isFinite && v >= 0 {
                    roleValues[role.index] += 1
                    count(.durationSum, v)
                    count(.durationCount)
                }
            case .pageView:
                let page = pageOf(type: ty, value: v)
                if k >= 0 {
                    counts[base + Counter.pageViews.rawValue] += 1
                    pageViewCounts[Int(page) * P + k] += 1
                }
                if r >= 0 {
                    let ri = Int(r)
                    if ri >= sessions.count { sessions.append(contentsOf: repeatElement(Session(), count: ri + 1 - sessions.count)) }
                    sessions[ri].views += 1
                    if t < sessions[ri].first { sessions[ri].first = t }
                    if t >= sessions[ri].last { sessions[ri].last = t; sessions[ri].lastPage = page }
                }
            case .emailSent: count(.sent)
            case .emailOpen: count(.opens)
            case .emailClick:
                count(.clicks)
                if k >= 0 {
                    if !tracksConversion { startTrackingConversion() }
                    if t < firstClick[c * P + k] { firstClick[c * P + k] = t }
                }
            case .emailUnsubscribe: count(.unsubscribes)
            case .ticketOpened:
                count(.ticketsOpened)
                if r >= 0 {
                    let opened = min(tickets[r]?.opened ?? .infinity, t)
                    tickets[r, default: Ticket()].opened = opened
                }
            case .ticketResolved:
                count(.ticketsResolved)
                if r >= 0 { tickets[r, default: Ticket()].resolved.append(t) }
            case .contact:
                count(.contacts)
                if v.isFinite && v >= 0 {
                    roleValues[role.index] += 1
                    count(.handleSum, v)
                    count(.handleCount)
                }
                if r >= 0 { tickets[r, default: Ticket()].contacts.append(t) }
            case .nps:
                if let category = KPIFormula.npsCategory(v) {
                    roleValues[role.index] += 1
                    switch category {
                    case .promoter: count(.promoters)
                    case .passive: count(.passives)
                    case .detractor: count(.detractors)
                    }
                }
            case .csat:
                if let satisfied = KPIFormula.isSatisfied(v) {
                    roleValues[role.index] += 1
                    count(.csatResponses)
                    if satisfied { count(.csatPositive) }
                }
            case .ces:
                if v.isFinite {
                    roleValues[role.index] += 1
                    count(.cesSum, v)
                    count(.cesResponses)
                }
            case .like: count(.likes)
            case .share: count(.shares)
            case .comment: count(.comments)
            case .eventRegistration:
                if r >= 0 {
                    var e = liveEvents[r] ?? LiveEvent()
                    e.registrations += 1
                    e.lastRegistration = max(e.lastRegistration, t)
                    liveEvents[r] = e
                } else {
                    count(.registrations)
                }
            case .eventAttendance:
                if r >= 0 {
                    var e = liveEvents[r] ?? LiveEvent()
                    e.attendances += 1
                    e.firstAttendance = min(e.firstAttendance, t)
                    liveEvents[r] = e
                } else {
                    count(.attendances)
                }
            }
        }
    }

    /// The page index of a page view: its event type, with its value when it has one.
    private mutating func pageOf(type ty: Int, value v: Double) -> Int32 {
        if v.isNaN, typePage[ty] >= 0 { return typePage[ty] }
        let key = PageKey(type: Int32(ty), value: v.isNaN ? Double.nan.bitPattern : v.bitPattern)
        if let p = pageIndex[key] { return p }
        let p = Int32(pageNames.count)
        pageIndex[key] = p
        let name = typeNames[ty]
        if v.isNaN {
            pageNames.append(name)
            typePage[ty] = p
        } else {
            let text = v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
            pageNames.append("\(name):\(text)")
        }
        pageViewCounts.append(contentsOf: repeatElement(0, count: P))
        return p
    }
}
