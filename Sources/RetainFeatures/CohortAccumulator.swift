import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainNumerics

/// Streams events into per-customer activity buckets and revenue, then builds the cohort triangle.
///
/// ```swift
/// var acc = CohortAccumulator(granularity: .month)
/// _ = try reader.read { batch in acc.setEventTypes(reader.eventTypes); acc.add(batch) }
/// let table = acc.finish(customerIDs: reader.customerIDs, signups: customers.signups)
/// ```
///
/// Memory: one bit per customer and bucket spanned by the log, plus one entry per
/// (customer, bucket) with a purchase; independent of the number of events. The input need not
/// be sorted.
public struct CohortAccumulator {
    public let granularity: KPIGranularity
    let roles: RoleMap
    private(set) var typeIsPurchase: [Bool] = []

    private(set) var customerCount = 0
    var firstEvent: [Double] = []
    /// Activity bits: bucket `base + j` is bit `j` of the customer's `words` words.
    var bits: [UInt64] = []
    var base = 0
    var words = 0
    /// Purchase revenue by (customer << 32 | bucket as 32 bits).
    var revenue: [Int64: Double] = [:]
    var minBucket = Int.max, maxBucket = Int.min

    /// Creates an empty accumulator; `roles` says which event types are purchases.
    public init(granularity: KPIGranularity, roles: RoleMap = RoleMap()) {
        self.granularity = granularity
        self.roles = roles
    }

    /// Registers the event types known so far (the reader's interned names, in index order).
    public mutating func setEventTypes(_ names: [String]) {
        guard names.count > typeIsPurchase.count else { return }
        for name in names[typeIsPurchase.count...] { typeIsPurchase.append(roles.role(of: name) == .purchase) }
    }

    /// Makes room for customers with index < `count`.
    public mutating func reserveCustomers(_ count: Int) {
        guard count > customerCount else { return }
        firstEvent.append(contentsOf: repeatElement(.infinity, count: count - customerCount))
        bits.append(contentsOf: repeatElement(0, count: (count - customerCount) * words))
        customerCount = count
    }

    /// Adds a block of events from the reader.
    public mutating func add(_ batch: EventBatch) {
        let n = batch.count
        guard n > 0 else { return }
        reserveCustomers(Int(batch.customer.max() ?? -1) + 1)
        for i in 0..<n {
            let c = Int(batch.customer[i]), t = batch.time[i]
            if t < firstEvent[c] { firstEvent[c] = t }
            let b = KPICalendar.bucket(t, by: granularity)
            if b < minBucket { minBucket = b }
            if b > maxBucket { maxBucket = b }
            if words == 0 || b < base || b >= base + 64 * words { relayout(covering: b) }
            let j = b - base
            bits[c * words + j >> 6] |= 1 << UInt64(j & 63)
            if typeIsPurchase[Int(batch.type[i])] {
                let v = batch.value[i]
                if v.isFinite { revenue[Int64(c) << 32 | Int64(UInt32(truncatingIfNeeded: b)), default: 0] += v }
            }
        }
    }

    /// Widens the bucket range to include `b`, at least doubling it so re-layouts stay rare.
    private mutating func relayout(covering b: Int) {
        let oldBase = base, oldWords = words
        var lo = words == 0 ? b : min(base, b), hi = words == 0 ? b + 1 : max(base + 64 * words, b + 1)
        if words > 0 {
            let span = 64 * words
            if b < base { lo = min(lo, base - span) } else { hi = max(hi, base + 2 * span) }
        }
        let newWords = (hi - lo + 63) / 64
        var next = [UInt64](repeating: 0, count: customerCount * newWords)
        for c in 0..<customerCount {
            for w in 0..<oldWords {
                var x = bits[c * oldWords + w]
                while x != 0 {
                    let j = oldBase + w * 64 + x.trailingZeroBitCount - lo
                    next[c * newWords + j >> 6] |= 1 << UInt64(j & 63)
                    x &= x - 1
                }
            }
        }
        bits = next
        base = lo
        words = newWords
    }

    /// Builds the triangle.
    ///
    /// - Parameters:
    ///   - customerIDs: The reader's interned customer ids, in index order.
    ///   - signups: Signup instants by customer id (customers.csv); a customer with one is in
    ///     the cohort of their signup, others in that of their first event. Customers with a
    ///     signup and no event count in their cohort's size.
    /// - Complexity: O(customers × buckets + purchase cells).
    public func finish(customerIDs: [String], signups: [String: Double] = [:]) -> CohortTable {
        let C = customerCount
        var cohortOf = [Int](repeating: Int.min, count: C)
        var bySignup = 0, byActivity = 0
        var extra = [Int]()
        var index = [String: Int](minimumCapacity: signups.isEmpty ? 0 : C)
        if !signups.isEmpty { for (i, id) in customerIDs.prefix(C).enumerated() { index[id] = i } }
        for c in 0..<C {
            if c < customerIDs.count, let s = signups[customerIDs[c]], s.isFinite {
                cohortOf[c] = KPICalendar.bucket(s, by: granularity)
                bySignup += 1
            } else if firstEvent[c].isFinite {
                cohortOf[c] = KPICalendar.bucket(firstEvent[c], by: granularity)
                byActivity += 1
            }
        }
        for (id, s) in signups where s.isFinite && index[id] == nil {
            extra.append(KPICalendar.bucket(s, by: granularity))
            bySignup += 1
        }
        guard minBucket <= maxBucket else {
            return CohortTable(granularity: granularity, basis: bySignup > 0 ? .signup : .firstActivity, observed: nil, cohorts: [])
        }
        let last = maxBucket
        var sizes = [Int: Int]()
        for cb in cohortOf where cb != Int.min && cb <= last { sizes[cb, default: 0] += 1 }
        for cb in extra where cb <= last { sizes[cb, default: 0] += 1 }
        let keys = sizes.keys.sorted()
        guard let first = keys.first else {
            return CohortTable(granularity: granularity, basis: .firstActivity, observed: minBucket...maxBucket, cohorts: [])
        }
        let columns = last - first + 1
        var row = [Int: Int]()
        for (r, k) in keys.enumerated() { row[k] = r }
        var active = [[Double]](repeating: [Double](repeating: 0, count: columns), count: keys.count)
        var money = active
        for c in 0..<C {
            let cb = cohortOf[c]
            guard cb != Int.min, let r = row[cb] else { continue }
            for w in 0..<words {
                var x = bits[c * words + w]
                while x != 0 {
                    let m = base + w * 64 + x.trailingZeroBitCount - cb
                    if m >= 0 && m < columns { active[r][m] += 1 }
                    x &= x - 1
                }
            }
        }
        for (key, v) in revenue {
            let c = Int(key >> 32), b = Int(Int32(truncatingIfNeeded: key & 0xFFFF_FFFF))
            let cb = cohortOf[c]
            guard cb != Int.min, let r = row[cb] else { continue }
            let m = b - cb
            if m >= 0 && m < columns { money[r][m] += v }
        }
        var cohorts = [CohortTable.Cohort]()
        for (r, cb) in keys.enumerated() {
            let width = last - cb + 1
            func observed(_ values: [Double]) -> [Double?] {
                (0..<width).map { m in cb + m >= minBucket ? values[m] : nil }
            }
            cohorts.append(CohortTable.Cohort(bucket: cb, label: KPICalendar.label(index: cb, by: granularity),
                                              size: sizes[cb] ?? 0, active: observed(active[r]), revenue: observed(money[r])))
        }
        let basis: CohortTable.Basis = bySignup == 0 ? .firstActivity : byActivity == 0 ? .signup : .signupOrFirstActivity
        return CohortTable(granularity: granularity, basis: basis, observed: minBucket...maxBucket, cohorts: cohorts)
    }
}
