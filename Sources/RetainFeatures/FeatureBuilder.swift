import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainNumerics

/// Seconds in a day: feature day counts are real numbers, seconds / 86,400.
public let secondsPerDay = 86_400.0

/// What to build: the configuration, the as-of instants and whether to label.
public struct FeatureSpec: Sendable {
    /// Roles, windows, churn definition, groups, custom features.
    public var config: FeatureConfig
    /// Observation instants T (Unix seconds, 00:00:00 UTC of each as-of date), one snapshot each.
    public var asOf: [Double]
    /// Whether to add the `churned` label from events in [T, T + horizon).
    public var label: Bool
    /// Events at or after this instant are ignored entirely (training as of a date: no label may
    /// look past it). `nil` = use every event.
    public var dataEnd: Double?

    /// Creates a spec.
    public init(config: FeatureConfig = FeatureConfig(), asOf: [Double], label: Bool = false, dataEnd: Double? = nil) {
        self.config = config
        self.asOf = asOf
        self.label = label
        self.dataEnd = dataEnd
    }
}

/// The built features: one row per customer and as-of date, named columns, NaN for missing.
public struct FeatureMatrix: Sendable, Equatable {
    /// Feature names, in column order (the label, when built, is the last column: `churned`).
    public var names: [String]
    /// Customer id of each row.
    public var customerIDs: [String]
    /// As-of instant (Unix seconds) of each row.
    public var asOf: [Double]
    /// Row-major values, `rows × names.count`; NaN = missing (written as an empty cell).
    public var values: [Double]
    /// Lifecycle state of each row's customer as of the row's date (empty when not computed).
    public var lifecycle: [Lifecycle] = []
    /// Days since each row's customer's last own activity (business actions excluded) as of the
    /// row's date; NaN when never (empty when not computed).
    public var ownRecencyDays: [Double] = []
    /// Whether each row's customer holds a subscription at the row's date (latest subscription
    /// event a `subscription_start`); empty when not computed.
    public var subscribed: [Bool] = []
    /// Whether the at-risk universe also needs a subscription: true when the label is `cancellation`
    /// (only a subscriber can cancel, so a customer without a subscription is no row of that model).
    public var universeNeedsSubscription = false

    /// Number of rows.
    public var rowCount: Int { customerIDs.count }

    /// The value of `name` in row `row`, if the column exists.
    public func value(_ name: String, row: Int) -> Double? {
        names.firstIndex(of: name).map { values[row * names.count + $0] }
    }

    /// Creates a matrix; `lifecycle` and `ownRecencyDays` are empty or one per row.
    public init(names: [String], customerIDs: [String], asOf: [Double], values: [Double],
                lifecycle: [Lifecycle] = [], ownRecencyDays: [Double] = []) {
        self.names = names; self.customerIDs = customerIDs; self.asOf = asOf; self.values = values
        self.lifecycle = lifecycle; self.ownRecencyDays = ownRecencyDays
    }

    /// Whether row `row` is in the at-risk universe (every row when lifecycle was not computed).
    ///
    /// Under the `cancellation` label (``universeNeedsSubscription``) the row's customer must also
    /// hold a subscription.
    public func inUniverse(row: Int) -> Bool {
        guard lifecycle.isEmpty || lifecycle[row].inUniverse else { return false }
        return !universeNeedsSubscription || subscribed.isEmpty || subscribed[row]
    }

    /// ``inUniverse(row:)`` of every row (empty when lifecycle was not computed).
    public var universeMask: [Bool] { lifecycle.isEmpty ? [] : (0..<rowCount).map(inUniverse(row:)) }

    /// The row of a customer at an as-of instant.
    public func row(customer: String, asOf t: Double? = nil) -> Int? {
        customerIDs.indices.first { customerIDs[$0] == customer && (t == nil || asOf[$0] == t!) }
    }
}

/// Streams events into per-customer, per-snapshot accumulators, then turns them into features.
///
/// Memory is O(customers × snapshots × (event types + fixed slots)), independent of the number
/// of events, except for events carrying a `ref` of the ref-linked roles (page views, tickets,
/// contacts), which are kept (13 bytes each) to pair them at the end.
///
/// Point-in-time: a snapshot at T reads only events with timestamp < T for features and the
/// lifecycle state, and only events in [T, T + horizon) for its label.
public struct FeatureAccumulator {
    let spec: FeatureSpec
    let snapshots: [Double]
    let windows: [Double]              // seconds, ascending
    let windowDays: [Int]
    let maxWindowDays: Int
    let horizon: Double
    /// Lifecycle thresholds in days (`new_days`, the effective `lapsed_days`).
    let newDays: Int, lapsedDays: Int
    /// Own-activity day bits: word offset in the day block, and day-ages covered (lapsed + new + 1).
    let ownDayOffset: Int, ownDays: Int
    let S: Int
    let W: Int

    // Event types, as the reader interns them.
    private(set) var typeNames: [String] = []
    private(set) var typeRole: [Role?] = []
    /// Per event type: whether its events are the customer's own (not a `lifecycle.business` type).
    private(set) var typeOwn: [Bool] = []
    private var typeCapacity = 0

    // Storage: per (customer, snapshot) a block of `stride` doubles of fixed slots, then custom
    // slots; per (customer, snapshot) a block of `typeStride` doubles for the event types; and
    // `dayWords` UInt64 words of day bits per (customer, snapshot): activity (any event), then own
    // activity, then the custom distinct-day features; and `SubSlot.count` doubles of subscription
    // state per (customer, snapshot).
    private(set) var customerCount = 0
    var fixed: [Double] = []
    var perType: [Double] = []
    var days: [UInt64] = []
    var subscriptions: [Double] = []
    let fixedTemplate: [Double]
    let stride: Int
    var typeStride: Int { typeCapacity * typeSlots }
    let typeSlots: Int
    let dayWords: Int
    let customDayOffset: [Int]          // per custom feature: word offset in the day block (distinct_days), -1 otherwise
    let customSlot: [Int]               // per custom feature: first slot in the fixed block
    let customSelector: [(type: String?, role: Role?)]
    var customTypeMatch: [[Bool]] = []  // [custom][type]

    // Ref-linked events (page views, tickets, contacts with a ref).
    var refRef: [Int32] = []
    var refCustomer: [Int32] = []
    var refTime: [Double] = []
    var refKind: [RefLinkedRole] = []

    /// Events seen, and events at or after every as-of date (used only for labels).
    private(set) var events = 0
    private(set) var latestEvent = -Double.infinity

    // Fixed slot indices. `horizonOwn`: an own event in the label window.
    enum Slot {
        static let first = 0, last = 1, ownFirst = 2, ownLast = 3, horizonOwn = 4, horizonCancel = 5
        static let npsTime = 6, npsValue = 7, csatSum = 8, csatN = 9, cesSum = 10, cesN = 11
        static let count = 12            // then per window: purchaseSum, purchaseN, sessionSum, sessionN
    }
    // Subscription slots, apart from the fixed block (rare events; keeps the hot block small):
    // the latest subscription event before T (time, ``SubscriptionKind``) and the latest cancel.
    enum SubSlot {
        static let time = 0, kind = 1, cancelTime = 2
        static let count = 3
        static let template: [Double] = [-.infinity, SubscriptionKind.none, -.infinity]
    }
    // Per-type slot offsets: counts per window (0..<W), then prior-30-day count, all-time count, last time.
    var tPrior: Int { W }
    var tAll: Int { W + 1 }
    var tLast: Int { W + 2 }

    /// Creates an accumulator for `spec`.
    ///
    /// - Throws: `IngestError` on invalid windows or custom features; `FeaturesError.noAsOfDates`.
    public init(spec: FeatureSpec) throws {
        try spec.config.validate()
        guard !spec.asOf.isEmpty else { throw FeaturesError.noAsOfDates }
        self.spec = spec
        snapshots = spec.asOf
        windowDays = Array(Set(spec.config.windows)).sorted()
        windows = windowDays.map { Double($0) * secondsPerDay }
        S = snapshots.count
        W = windowDays.count
        horizon = Double(spec.config.churn.horizonDays) * secondsPerDay
        newDays = spec.config.lifecycle.newDays
        lapsedDays = spec.config.lapsedDays
        typeSlots = W + 3
        var template = [Double](repeating: 0, count: Slot.count + 4 * W)
        template[Slot.first] = .infinity
        template[Slot.last] = -.infinity
        template[Slot.ownFirst] = .infinity
        template[Slot.ownLast] = -.infinity
        template[Slot.npsTime] = -.infinity
        template[Slot.npsValue] = -.infinity
        // Custom features: slots after the fixed ones; distinct-day bitsets after the activity bits.
        var slots = [Int](), dayOffsets = [Int](), selectors = [(type: String?, role: Role?)]()
        let activityDays = max(windowDays.last ?? 0, FeatureWindow.minimumActivityDays)
        var words = (activityDays + 63) / 64
        ownDayOffset = words
        ownDays = lapsedDays + newDays + 1
        words += (ownDays + 63) / 64
        var maxDays = activityDays
        for f in spec.config.custom {
            slots.append(template.count)
            selectors.append((f.eventType, f.role))
            switch f.aggregate {
            case .count?, .sum?: template.append(0)
            case .mean?: template.append(contentsOf: [0, 0])
            case .min?: template.append(.infinity)
            case .max?, .daysSinceLast?: template.append(-.infinity)
            case .distinctDays?:
                let d = f.windowDays ?? FeatureWindow.defaultDistinctDays
                dayOffsets.append(words)
                words += (d + 63) / 64
                maxDays = max(maxDays, d)
                slots[slots.count - 1] = -1
                continue
            case nil: break
            }
            dayOffsets.append(-1)
        }
        maxWindowDays = maxDays
        // A small day block is padded to a power of two words, so no block straddles a cache line
        // (the kernel prefetches only a block's first line).
        if words < 8 { words = 1 << (64 - (words - 1).leadingZeroBitCount) }
        dayWords = words
        fixedTemplate = template
        stride = template.count
        customSlot = slots
        customDayOffset = dayOffsets
        customSelector = selectors
    }

    /// Registers the event types known so far (the reader's interned names, in index order).
    public mutating func setEventTypes(_ names: [String]) {
        guard names.count > typeNames.count else { return }
        for name in names[typeNames.count...] {
            typeNames.append(name)
            let role = spec.config.roles.role(of: name)
            typeRole.append(role)
            typeOwn.append(!spec.config.lifecycle.isBusiness(eventType: name, role: role))
            for (k, sel) in customSelector.enumerated() {
                if customTypeMatch.count <= k { customTypeMatch.append([]) }
                customTypeMatch[k].append(sel.type == name || (sel.role != nil && sel.role == role))
            }
        }
        if customTypeMatch.isEmpty && !customSelector.isEmpty { customTypeMatch = Array(repeating: [], count: customSelector.count) }
        // A little headroom: types usually all appear in the first block, and every slot costs
        // 8 bytes × (windows + 3) per customer and snapshot.
        if typeNames.count > typeCapacity { relayoutTypes(capacity: typeNames.count + 2) }
    }

    private mutating func relayoutTypes(capacity: Int) {
        let old = typeCapacity, oldStride = old * typeSlots
        typeCapacity = capacity
        let blocks = customerCount * S
        var next = [Double](repeating: 0, count: blocks * typeStride)
        let newStride = typeStride
        for b in 0..<blocks {
            for t in 0..<old {
                for s in 0..<typeSlots { next[b * newStride + t * typeSlots + s] = perType[b * oldStride + t * typeSlots + s] }
            }
            for t in old..<capacity { next[b * newStride + t * typeSlots + tLast] = -.infinity }
        }
        perType = next
    }

    /// Makes room for customers with index < `count`.
    public mutating func reserveCustomers(_ count: Int) {
        guard count > customerCount else { return }
        let add = count - customerCount
        // No reserveCapacity here: exact reservations on every batch would defeat geometric growth.
        for _ in 0..<(add * S) { fixed.append(contentsOf: fixedTemplate) }
        var typeBlock = [Double](repeating: 0, count: typeStride)
        for t in 0..<typeCapacity { typeBlock[t * typeSlots + tLast] = -.infinity }
        for _ in 0..<(add * S) { perType.append(contentsOf: typeBlock) }
        days.append(contentsOf: repeatElement(0, count: add * S * dayWords))
        for _ in 0..<(add * S) { subscriptions.append(contentsOf: SubSlot.template) }
        customerCount = count
    }

    /// Adds a block of events (columnar; `customer` and `type` are the reader's dense indices,
    /// `value` NaN when absent, `ref` -1 when absent). Events at or after the spec's `dataEnd`
    /// are skipped.
    ///
    /// - Complexity: O(count × snapshots × windows).
    public mutating func add(customer: UnsafeBufferPointer<Int32>, time: UnsafeBufferPointer<Double>,
                             type: UnsafeBufferPointer<Int32>, value: UnsafeBufferPointer<Double>,
                             ref: UnsafeBufferPointer<Int32>?) {
        let n = customer.count
        guard n > 0 else { return }
        var maxCustomer: Int32 = -1
        for i in 0..<n where customer[i] > maxCustomer { maxCustomer = customer[i] }
        reserveCustomers(Int(maxCustomer) + 1)
        events += n
        let dataEnd = spec.dataEnd ?? .infinity
        recordLatestAndRefLinked(customer: customer, time: time, type: type, ref: ref, dataEnd: dataEnd)
        accumulate(customer: customer, time: time, type: type, value: value, dataEnd: dataEnd)
    }

    /// Serial pass: the latest event time, and the ref-linked events (appended in file order).
    private mutating func recordLatestAndRefLinked(customer: UnsafeBufferPointer<Int32>, time: UnsafeBufferPointer<Double>,
                                                   type: UnsafeBufferPointer<Int32>, ref: UnsafeBufferPointer<Int32>?,
                                                   dataEnd: Double) {
        let kinds = typeRole.map(RefLinkedRole.init)
        var latest = latestEvent
        for i in 0..<customer.count {
            let t = time[i]
            if t >= dataEnd { continue }
            if t > latest { latest = t }
            if let ref, ref[i] >= 0 {
                let kind = kinds[Int(type[i])]
                if kind != .none {
                    refRef.append(ref[i]); refCustomer.append(customer[i]); refTime.append(t); refKind.append(kind)
                }
            }
        }
        latestEvent = latest
    }

    /// Parallel pass: worker w owns the customers with index % workers == w, so every customer's
    /// slots see its events in file order on one thread (the result does not depend on the
    /// thread count). The blocks of customers a few events ahead are prefetched: the
    /// accumulators are far larger than the caches and each event touches two random cache lines.
    private mutating func accumulate(customer: UnsafeBufferPointer<Int32>, time: UnsafeBufferPointer<Double>,
                                     type: UnsafeBufferPointer<Int32>, value: UnsafeBufferPointer<Double>,
                                     dataEnd: Double) {
        let n = customer.count
        let workers = n < AccumulatorTuning.minimumParallelEvents ? 1 : Parallel.threadCount
        let lookahead = AccumulatorTuning.prefetchEventsPerWorker * workers
        withKernel { kernel in
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                for i in 0..<n {
                    let c = Int(customer[i])
                    if workers > 1 && c % workers != w { continue }
                    let ahead = i + lookahead
                    if ahead < n {
                        let ca = Int(customer[ahead])
                        if workers == 1 || ca % workers == w { kernel.prefetch(customer: ca, type: Int(type[ahead])) }
                    }
                    let t = time[i]
                    if t >= dataEnd { continue }
                    kernel.add(customer: c, time: t, type: Int(type[i]), value: value[i])
                }
            }
        }
    }

    /// Runs `body` with an ``EventKernel`` over this accumulator's storage.
    private mutating func withKernel(_ body: (EventKernel) -> Void) {
        let kinds = typeRole.indices.map { TypeKind(role: AccumulatedRole(typeRole[$0]), own: typeOwn[$0]) }
        let maxActivitySeconds = Double(max(windowDays.last ?? 0, FeatureWindow.minimumActivityDays)) * secondsPerDay
        let (S, W, stride, typeSlots, dayWords, typeStride) = (self.S, self.W, self.stride, self.typeSlots, self.dayWords, self.typeStride)
        let (horizon, label) = (self.horizon, spec.label)
        let custom = CustomKernel(features: spec.config.custom, typeMatch: customTypeMatch,
                                  dayOffset: customDayOffset, slot: customSlot)
        snapshots.withUnsafeBufferPointer { snaps in
        windows.withUnsafeBufferPointer { win in
        fixed.withUnsafeMutableBufferPointer { fx in
        perType.withUnsafeMutableBufferPointer { pt in
        days.withUnsafeMutableBufferPointer { dy in
        subscriptions.withUnsafeMutableBufferPointer { sb in
            // Every buffer has at least one block: `add` reserved room for its customers.
            body(EventKernel(snapshots: snaps.baseAddress!, windows: win.baseAddress!, fixed: fx.baseAddress!,
                             perType: pt.baseAddress!, days: dy.baseAddress!, subscriptions: sb.baseAddress!,
                             kinds: kinds, custom: custom,
                             S: S, W: W, stride: stride, typeStride: typeStride, typeSlots: typeSlots,
                             dayWords: dayWords, horizon: horizon, label: label,
                             maxActivitySeconds: maxActivitySeconds, ownDayOffset: ownDayOffset, ownDays: ownDays,
                             dayBitSeconds: max(maxActivitySeconds.nextUp, Double(ownDays) * secondsPerDay)))
        } } } } } }
    }
}
