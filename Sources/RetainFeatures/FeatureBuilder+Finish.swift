import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainNumerics

/// NPS survey scores (0–10): promoters score 9–10, detractors 0–6.
enum NPS {
    static let detractorMaximum = 6.0
    static let promoterMinimum = 9.0
}

private let secondsPerHour = 3600.0

extension FeatureAccumulator {
    /// Turns the accumulators into the feature matrix.
    ///
    /// - Parameters:
    ///   - customerIDs: The reader's interned customer ids, in index order.
    ///   - signups: Signup instants by customer id (from customers.csv); customers here without
    ///     events get a row for every as-of date after their signup.
    /// - Returns: Rows sorted by as-of date, then customer id; columns as documented in the README.
    public func finish(customerIDs: [String], signups: [String: Double] = [:]) -> FeatureMatrix {
        var acc = self
        var ids = customerIDs
        if ids.count < acc.customerCount { ids += (ids.count..<acc.customerCount).map { "#\($0)" } }
        var signupOf = [Double](repeating: .nan, count: ids.count)
        if !signups.isEmpty {
            var index = [String: Int](minimumCapacity: ids.count)
            for (i, id) in ids.enumerated() { index[id] = i }
            for (id, t) in signups.sorted(by: { $0.key < $1.key }) {
                if let i = index[id] { signupOf[i] = t } else {
                    index[id] = ids.count
                    ids.append(id)
                    signupOf.append(t)
                }
            }
        }
        acc.reserveCustomers(ids.count)
        return acc.build(ids: ids, signupOf: signupOf)
    }

    private func build(ids: [String], signupOf: [Double]) -> FeatureMatrix {
        let groups = Set(spec.config.features)
        let C = ids.count
        let presentTypes = typeNames.indices.sorted { typeNames[$0] < typeNames[$1] }
        var rolesPresent = Set<Role>()
        for r in typeRole { if let r { rolesPresent.insert(r) } }
        let refs = refFeatures(customers: C)
        let hasBounce = refs.hasPageViews
        let hasResolution = refs.hasResolutions

        // Column plan: name + closure computing the value for (customer, snapshot).
        var names = [String]()
        var columns = [(Int, Int) -> Double]()
        func col(_ name: String, _ f: @escaping (Int, Int) -> Double) { names.append(name); columns.append(f) }
        let T = snapshots
        let W = self.W
        func fixedAt(_ c: Int, _ k: Int, _ slot: Int) -> Double { fixed[(c * S + k) * stride + slot] }
        func typeAt(_ c: Int, _ k: Int, _ ty: Int, _ slot: Int) -> Double { perType[(c * S + k) * typeStride + ty * typeSlots + slot] }
        func roleCount(_ c: Int, _ k: Int, _ role: Role, _ slot: Int) -> Double {
            var s = 0.0
            for ty in typeNames.indices where typeRole[ty] == role { s += typeAt(c, k, ty, slot) }
            return s
        }
        func roleLast(_ c: Int, _ k: Int, _ role: Role) -> Double {
            var last = -Double.infinity
            for ty in typeNames.indices where typeRole[ty] == role { last = max(last, typeAt(c, k, ty, tLastSlot)) }
            return last
        }
        func ratio(_ a: Double, _ b: Double) -> Double { b > 0 ? a / b : .nan }
        func days(_ c: Int, _ k: Int, _ since: Double) -> Double { since.isFinite ? (T[k] - since) / secondsPerDay : .nan }
        let tenure: (Int, Int) -> Double = { c, k in
            let s = signupOf[c]
            if !s.isNaN && s < T[k] { return (T[k] - s) / secondsPerDay }
            let first = fixedAt(c, k, Slot.first)
            return first.isFinite ? (T[k] - first) / secondsPerDay : .nan
        }

        if groups.contains(.tenure) { col("tenure_days", tenure) }
        if groups.contains(.recency) {
            col("recency_days") { c, k in days(c, k, fixedAt(c, k, Slot.last)) }
            for role in rolesPresent.sorted() {
                col("recency_\(role.rawValue)_days") { c, k in days(c, k, roleLast(c, k, role)) }
            }
        }
        if groups.contains(.counts) {
            for ty in presentTypes { for (w, d) in windowDays.enumerated() {
                col("n_\(typeNames[ty])_\(d)d") { c, k in typeAt(c, k, ty, w) }
            } }
        }
        if groups.contains(.activity) {
            for d in windowDays {
                col("active_days_\(d)d") { c, k in
                    var n = 0
                    let base = (c * S + k) * dayWords
                    for word in 0..<((d + 63) / 64) {
                        var bits = self.days[base + word]
                        let hi = min(64, d - word * 64)
                        if hi < 64 { bits &= (1 << UInt64(hi)) - 1 }
                        n += bits.nonzeroBitCount
                    }
                    return Double(n)
                }
            }
        }
        if groups.contains(.purchase) && rolesPresent.contains(.purchase) {
            for (w, d) in windowDays.enumerated() { col("sum_purchase_\(d)d") { c, k in fixedAt(c, k, Slot.count + w) } }
            for (w, d) in windowDays.enumerated() {
                col("aov_\(d)d") { c, k in ratio(fixedAt(c, k, Slot.count + w), fixedAt(c, k, Slot.count + W + w)) }
            }
            col("purchase_frequency_per_30d") { c, k in
                let t = tenure(c, k)
                return t > 0 ? roleCount(c, k, .purchase, self.tAllSlot) / t * FeatureWindow.frequencyDays : .nan
            }
        }
        if groups.contains(.sessions) {
            if rolesPresent.contains(.session) {
                for (w, d) in windowDays.enumerated() {
                    col("mean_session_seconds_\(d)d") { c, k in ratio(fixedAt(c, k, Slot.count + 2 * W + w), fixedAt(c, k, Slot.count + 3 * W + w)) }
                }
            }
            if hasBounce {
                for (w, d) in windowDays.enumerated() {
                    col("bounce_rate_\(d)d") { c, k in ratio(refs.at(refs.bounces, c, k, w), refs.at(refs.sessions, c, k, w)) }
                }
            }
        }
        if groups.contains(.email) {
            if rolesPresent.contains(.emailSent) && rolesPresent.contains(.emailOpen) {
                for (w, d) in windowDays.enumerated() {
                    col("email_open_rate_\(d)d") { c, k in ratio(roleCount(c, k, .emailOpen, w), roleCount(c, k, .emailSent, w)) }
                }
            }
            if rolesPresent.contains(.emailSent) && rolesPresent.contains(.emailClick) {
                for (w, d) in windowDays.enumerated() {
                    col("email_ctr_\(d)d") { c, k in ratio(roleCount(c, k, .emailClick, w), roleCount(c, k, .emailSent, w)) }
                }
            }
            if rolesPresent.contains(.emailUnsubscribe) {
                col("email_unsubscribed") { c, k in roleCount(c, k, .emailUnsubscribe, self.tAllSlot) > 0 ? 1 : 0 }
            }
        }
        if groups.contains(.support) && rolesPresent.contains(.ticketOpened) {
            for (w, d) in windowDays.enumerated() { col("tickets_\(d)d") { c, k in roleCount(c, k, .ticketOpened, w) } }
            if hasResolution {
                for (w, d) in windowDays.enumerated() {
                    col("mean_resolution_hours_\(d)d") { c, k in ratio(refs.at(refs.resolutionHours, c, k, w), refs.at(refs.resolved, c, k, w)) }
                }
                for (w, d) in windowDays.enumerated() {
                    col("fcr_rate_\(d)d") { c, k in ratio(refs.at(refs.firstContact, c, k, w), refs.at(refs.resolved, c, k, w)) }
                }
            }
        }
        if groups.contains(.surveys) {
            if rolesPresent.contains(.nps) {
                let last: (Int, Int) -> Double = { c, k in fixedAt(c, k, Slot.npsTime).isFinite ? fixedAt(c, k, Slot.npsValue) : .nan }
                col("nps_last", last)
                col("nps_detractor") { c, k in let v = last(c, k); return v.isNaN ? .nan : (v <= NPS.detractorMaximum ? 1 : 0) }
                col("nps_promoter") { c, k in let v = last(c, k); return v.isNaN ? .nan : (v >= NPS.promoterMinimum ? 1 : 0) }
            }
            if rolesPresent.contains(.csat) { col("csat_mean_180d") { c, k in ratio(fixedAt(c, k, Slot.csatSum), fixedAt(c, k, Slot.csatN)) } }
            if rolesPresent.contains(.ces) { col("ces_mean_180d") { c, k in ratio(fixedAt(c, k, Slot.cesSum), fixedAt(c, k, Slot.cesN)) } }
        }
        if groups.contains(.social) && !rolesPresent.isDisjoint(with: Role.social) {
            for (w, d) in windowDays.enumerated() {
                col("social_interactions_\(d)d") { c, k in Role.social.reduce(0) { $0 + roleCount(c, k, $1, w) } }
            }
        }
        if groups.contains(.trends), let w30 = windowDays.firstIndex(of: FeatureWindow.trendDays) {
            for ty in presentTypes {
                col("trend_\(typeNames[ty])_30d") { c, k in (typeAt(c, k, ty, w30) + 1) / (typeAt(c, k, ty, self.tPriorSlot) + 1) }
            }
        }
        // Custom features: aggregates, then ratios (which may refer to any column before them).
        for (q, cf) in spec.config.custom.enumerated() where cf.ratio == nil {
            let s = customSlot[q], dayOffset = customDayOffset[q]
            let name = cf.name
            switch cf.aggregate! {
            case .count, .sum: col(name) { c, k in fixedAt(c, k, s) }
            case .mean: col(name) { c, k in ratio(fixedAt(c, k, s), fixedAt(c, k, s + 1)) }
            case .min, .max: col(name) { c, k in let v = fixedAt(c, k, s); return v.isFinite ? v : .nan }
            case .daysSinceLast: col(name) { c, k in days(c, k, fixedAt(c, k, s)) }
            case .distinctDays:
                let d = cf.windowDays ?? FeatureWindow.defaultDistinctDays
                col(name) { c, k in
                    var n = 0
                    let base = (c * S + k) * dayWords + dayOffset
                    for word in 0..<((d + 63) / 64) { n += self.days[base + word].nonzeroBitCount }
                    return Double(n)
                }
            }
        }
        var ratioColumns = [(String, Int, Int)]()
        for cf in spec.config.custom where cf.ratio != nil {
            let r = cf.ratio!
            if let a = names.firstIndex(of: r[0]), let b = names.firstIndex(of: r[1]) {
                names.append(cf.name)
                columns.append { _, _ in .nan }   // filled below from the row
                ratioColumns.append((cf.name, a, b))
            } else {
                // Unknown operand: the column is all empty (the CLI warns; see `missingRatioOperands`).
                names.append(cf.name)
                columns.append { _, _ in .nan }
            }
        }
        if spec.label {
            let cancellation = spec.config.churn.definition == .cancellation
            // Inactivity: no own event (business events excluded) in [T, T + horizon).
            col("churned") { c, k in
                cancellation ? fixedAt(c, k, Slot.horizonCancel) : (fixedAt(c, k, Slot.horizonOwn) == 1 ? 0 : 1)
            }
        }

        // Rows: per snapshot (ascending date), customers with an event or a signup before T, by id.
        let order = ids.indices.sorted { ids[$0] < ids[$1] }
        let snapOrder = snapshots.indices.sorted { snapshots[$0] < snapshots[$1] }
        var outIDs = [String](), outAsOf = [Double](), values = [Double]()
        var states = [Lifecycle](), ownRecency = [Double](), subscribed = [Bool]()
        let rules = LifecycleRules(newDays: newDays, lapsedDays: lapsedDays)
        let ratioIndex = ratioColumns.map { r in (names.firstIndex(of: r.0)!, r.1, r.2) }
        for k in snapOrder {
            for c in order {
                let active = fixedAt(c, k, Slot.first).isFinite || (!signupOf[c].isNaN && signupOf[c] < T[k])
                guard active else { continue }
                outIDs.append(ids[c])
                outAsOf.append(T[k])
                let start = values.count
                for f in columns { values.append(f(c, k)) }
                for (j, a, b) in ratioIndex { values[start + j] = ratio(values[start + a], values[start + b]) }
                states.append(lifecycle(c, k, signup: signupOf[c], rules: rules))
                ownRecency.append(days(c, k, fixedAt(c, k, Slot.ownLast)))
                let sub = (c * S + k) * SubSlot.count
                subscribed.append(subscriptions[sub + SubSlot.time].isFinite && subscriptions[sub + SubSlot.kind] != SubscriptionKind.cancel)
            }
        }
        var m = FeatureMatrix(names: names, customerIDs: outIDs, asOf: outAsOf, values: values,
                              lifecycle: states, ownRecencyDays: ownRecency)
        m.subscribed = subscribed
        m.universeNeedsSubscription = spec.config.churn.definition == .cancellation
        return m
    }

    /// The lifecycle state of customer `c` as of snapshot `k` (see ``Lifecycle``).
    private func lifecycle(_ c: Int, _ k: Int, signup: Double, rules: LifecycleRules) -> Lifecycle {
        let block = c * S + k
        let f = block * stride, s = block * SubSlot.count
        let evidence = LifecycleEvidence(
            signup: signup, firstAny: fixed[f + Slot.first],
            ownFirst: fixed[f + Slot.ownFirst], ownLast: fixed[f + Slot.ownLast],
            subscriptionTime: subscriptions[s + SubSlot.time],
            subscriptionIsCancel: subscriptions[s + SubSlot.kind] == SubscriptionKind.cancel,
            cancelTime: subscriptions[s + SubSlot.cancelTime])
        let base = block * dayWords + ownDayOffset
        return rules.state(asOf: snapshots[k], evidence) { d in
            d < ownDays && days[base + (d >> 6)] & (1 << UInt64(d & 63)) != 0
        }
    }

    var tAllSlot: Int { W + 1 }
    var tPriorSlot: Int { W }
    var tLastSlot: Int { W + 2 }

    /// Features of ref-linked events, per (customer, snapshot, window).
    struct RefFeatures {
        let S: Int, W: Int
        var sessions: [Double], bounces: [Double]
        var resolved: [Double], resolutionHours: [Double], firstContact: [Double]
        var hasPageViews = false, hasResolutions = false
        func at(_ a: [Double], _ c: Int, _ k: Int, _ w: Int) -> Double { a[(c * S + k) * W + w] }
    }

    /// Pairs ref-linked events: page views by session ref (bounce = a session with exactly one page
    /// view in the window), tickets by ticket ref (opened → first resolution; first-contact
    /// resolution = at most one `contact` event up to the resolution, the opening being the first).
    func refFeatures(customers C: Int) -> RefFeatures {
        let n = refRef.count
        var r = RefFeatures(S: S, W: W,
                            sessions: [], bounces: [], resolved: [], resolutionHours: [], firstContact: [])
        guard n > 0 else { return r }
        let size = C * S * W
        r.sessions = [Double](repeating: 0, count: size); r.bounces = r.sessions
        r.resolved = r.sessions; r.resolutionHours = r.sessions; r.firstContact = r.sessions
        let order = (0..<n).sorted { (a: Int, b: Int) -> Bool in
            if refRef[a] != refRef[b] { return refRef[a] < refRef[b] }
            if refTime[a] != refTime[b] { return refTime[a] < refTime[b] }
            return refKind[a].rawValue < refKind[b].rawValue
        }
        var g = 0
        while g < n {
            var e = g
            while e < n && refRef[order[e]] == refRef[order[g]] { e += 1 }
            let group = order[g..<e]
            let views = group.filter { refKind[$0] == .pageView }
            if let firstView = views.first {
                r.hasPageViews = true
                let c = Int(refCustomer[firstView])
                for k in 0..<S { for w in 0..<W {
                    let T = snapshots[k], lo = T - windows[w]
                    let inWindow = views.filter { refTime[$0] >= lo && refTime[$0] < T }.count
                    if inWindow > 0 {
                        r.sessions[(c * S + k) * W + w] += 1
                        if inWindow == 1 { r.bounces[(c * S + k) * W + w] += 1 }
                    }
                } }
            }
            if let opened = group.first(where: { refKind[$0] == .ticketOpened }),
               let resolved = group.first(where: { refKind[$0] == .ticketResolved && refTime[$0] >= refTime[opened] }) {
                r.hasResolutions = true
                let c = Int(refCustomer[opened])
                let o = refTime[opened], res = refTime[resolved]
                let contacts = group.filter { refKind[$0] == .contact && refTime[$0] >= o && refTime[$0] <= res }.count
                for k in 0..<S { for w in 0..<W {
                    let T = snapshots[k]
                    guard res < T && res >= T - windows[w] else { continue }
                    let i = (c * S + k) * W + w
                    r.resolved[i] += 1
                    r.resolutionHours[i] += (res - o) / secondsPerHour
                    if contacts <= 1 { r.firstContact[i] += 1 }
                } }
            }
            g = e
        }
        return r
    }
}
