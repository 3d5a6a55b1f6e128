import CRetainSupport
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

    /// Number of rows.
    public var rowCount: Int { customerIDs.count }

    /// The value of `name` in row `row`, if the column exists.
    public func value(_ name: String, row: Int) -> Double? {
        names.firstIndex(of: name).map { values[row * names.count + $0] }
    }

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
/// Point-in-time: a snapshot at T reads only events with timestamp < T for features, and only
/// events in [T, T + horizon) for its label.
public struct FeatureAccumulator {
    let spec: FeatureSpec
    let snapshots: [Double]
    let windows: [Double]              // seconds, ascending
    let windowDays: [Int]
    let maxWindowDays: Int
    let horizon: Double
    let S: Int
    let W: Int

    // Event types, as the reader interns them.
    private(set) var typeNames: [String] = []
    private(set) var typeRole: [Role?] = []
    private var typeCapacity = 0

    // Storage: per (customer, snapshot) a block of `stride` doubles of fixed slots, then custom
    // slots; per (customer, snapshot) a block of `typeStride` doubles for the event types; and
    // `dayWords` UInt64 words of day bits per (customer, snapshot).
    private(set) var customerCount = 0
    var fixed: [Double] = []
    var perType: [Double] = []
    var days: [UInt64] = []
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
    var refKind: [UInt8] = []

    /// Events seen, and events at or after every as-of date (used only for labels).
    private(set) var events = 0
    private(set) var latestEvent = -Double.infinity

    // Fixed slot indices.
    enum Slot {
        static let first = 0, last = 1, horizonAny = 2, horizonCancel = 3
        static let npsTime = 4, npsValue = 5, csatSum = 6, csatN = 7, cesSum = 8, cesN = 9
        static let count = 10            // then per window: purchaseSum, purchaseN, sessionSum, sessionN
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
        typeSlots = W + 3
        var template = [Double](repeating: 0, count: Slot.count + 4 * W)
        template[Slot.first] = .infinity
        template[Slot.last] = -.infinity
        template[Slot.npsTime] = -.infinity
        template[Slot.npsValue] = -.infinity
        // Custom features: slots after the fixed ones; distinct-day bitsets after the activity bits.
        var slots = [Int](), dayOffsets = [Int](), selectors = [(type: String?, role: Role?)]()
        let activityDays = max(windowDays.last ?? 0, 60)
        var words = (activityDays + 63) / 64
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
                let d = f.windowDays ?? 3650
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
        customerCount = count
    }

    /// Adds a block of events (columnar; `customer` and `type` are the reader's dense indices,
    /// `value` NaN when absent, `ref` -1 when absent).
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
        let S = self.S, W = self.W, stride = self.stride, typeSlots = self.typeSlots, dayWords = self.dayWords
        let typeStride = self.typeStride
        let tPrior = self.tPrior, tAll = self.tAll, tLast = self.tLast
        let horizon = self.horizon
        let label = spec.label
        let maxActivitySeconds = Double(max(windowDays.last ?? 0, 60)) * secondsPerDay
        let roleCodes: [Int8] = typeRole.map { role -> Int8 in
            switch role {
            case .purchase?: return 1
            case .session?: return 2
            case .nps?: return 3
            case .csat?: return 4
            case .ces?: return 5
            case .subscriptionCancel?: return 6
            default: return 0
            }
        }
        let refKinds: [UInt8] = typeRole.map { role -> UInt8 in
            switch role {
            case .pageView?: return 1
            case .ticketOpened?: return 2
            case .ticketResolved?: return 3
            case .contact?: return 4
            default: return 0
            }
        }
        let customCount = customSlot.count
        let customs = spec.config.custom
        let dataEnd = spec.dataEnd ?? .infinity
        // Serial pass: latest time and the ref-linked events (appends must stay in file order).
        var latest = latestEvent
        for i in 0..<n {
            let t = time[i]
            if t >= dataEnd { continue }
            if t > latest { latest = t }
            if let ref, ref[i] >= 0, refKinds[Int(type[i])] != 0 {
                refRef.append(ref[i]); refCustomer.append(customer[i]); refTime.append(t); refKind.append(refKinds[Int(type[i])])
            }
        }
        latestEvent = latest
        // Parallel pass: worker w owns the customers with index % workers == w, so every
        // customer's slots see its events in file order on one thread (thread-count independent).
        // The blocks of customers a few events ahead are prefetched: the accumulators are far
        // larger than the caches and each event touches two random cache lines.
        let workers = n < 4096 ? 1 : max(1, featureThreadCount)
        let customTypeMatch = self.customTypeMatch, customDayOffset = self.customDayOffset, customSlot = self.customSlot
        snapshots.withUnsafeBufferPointer { snaps in
        windows.withUnsafeBufferPointer { win in
        fixed.withUnsafeMutableBufferPointer { fx in
        perType.withUnsafeMutableBufferPointer { pt in
        days.withUnsafeMutableBufferPointer { dy in
            let fxBase = fx.baseAddress!, ptBase = pt.baseAddress!, dyBase = dy.baseAddress!
            let snapsBase = snaps.baseAddress!, winBase = win.baseAddress!
            DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lookahead = 12 * workers
            for i in 0..<n {
                let c = Int(customer[i])
                if workers > 1 && c % workers != w { continue }
                let ahead = i + lookahead
                if ahead < n {
                    let ca = Int(customer[ahead])
                    if workers == 1 || ca % workers == w {
                        let blockA = ca * S
                        retain_prefetch_write(fxBase + blockA * stride)
                        retain_prefetch_write(ptBase + blockA * typeStride + Int(type[ahead]) * typeSlots)
                        retain_prefetch_write(dyBase + blockA * dayWords)
                    }
                }
                let t = time[i], ty = Int(type[i]), v = value[i]
                if t >= dataEnd { continue }
                let code = roleCodes[ty]
                for k in 0..<S {
                    let T = snapsBase[k]
                    let block = c * S + k
                    let f = fxBase + block * stride
                    if t >= T {
                        if label && t < T + horizon {
                            f[Slot.horizonAny] = 1
                            if code == 6 { f[Slot.horizonCancel] = 1 }
                        }
                        continue
                    }
                    if t < f[Slot.first] { f[Slot.first] = t }
                    if t > f[Slot.last] { f[Slot.last] = t }
                    let age = T - t
                    let p = ptBase + block * typeStride + ty * typeSlots
                    p[tAll] += 1
                    if t > p[tLast] { p[tLast] = t }
                    for j in 0..<W where age <= winBase[j] { p[j] += 1 }
                    if age > 30 * secondsPerDay && age <= 60 * secondsPerDay { p[tPrior] += 1 }
                    if age <= maxActivitySeconds {
                        let d = Int(age / secondsPerDay)
                        let dw = dyBase + block * dayWords
                        dw[d >> 6] |= 1 << UInt64(d & 63)
                    }
                    switch code {
                    case 1, 2:
                        if !v.isNaN {
                            let base = Slot.count + (code == 1 ? 0 : 2 * W)
                            for j in 0..<W where age <= winBase[j] { f[base + j] += v; f[base + W + j] += 1 }
                        }
                    case 3:
                        if !v.isNaN && (t > f[Slot.npsTime] || (t == f[Slot.npsTime] && v > f[Slot.npsValue])) {
                            f[Slot.npsTime] = t; f[Slot.npsValue] = v
                        }
                    case 4, 5:
                        if !v.isNaN && age <= 180 * secondsPerDay {
                            let s = code == 4 ? Slot.csatSum : Slot.cesSum
                            f[s] += v; f[s + 1] += 1
                        }
                    default: break
                    }
                    if customCount > 0 {
                        for q in 0..<customCount where customTypeMatch[q][ty] {
                            let cf = customs[q]
                            if let wd = cf.windowDays, age > Double(wd) * secondsPerDay { continue }
                            if customDayOffset[q] >= 0 {
                                let d = Int(age / secondsPerDay)
                                let dw = dyBase + block * dayWords + customDayOffset[q]
                                if d < (cf.windowDays ?? 3650) { dw[d >> 6] |= 1 << UInt64(d & 63) }
                                continue
                            }
                            let s = customSlot[q]
                            switch cf.aggregate! {
                            case .count: f[s] += 1
                            case .sum: if !v.isNaN { f[s] += v }
                            case .mean: if !v.isNaN { f[s] += v; f[s + 1] += 1 }
                            case .min: if !v.isNaN && v < f[s] { f[s] = v }
                            case .max: if !v.isNaN && v > f[s] { f[s] = v }
                            case .daysSinceLast: if t > f[s] { f[s] = t }
                            case .distinctDays: break
                            }
                        }
                    }
                }
            }
            }
        } } } } }
    }
}

/// Threads for the feature accumulator: `RETAIN_THREADS` if set, else the number of cores.
let featureThreadCount: Int = {
    if let s = ProcessInfo.processInfo.environment["RETAIN_THREADS"], let n = Int(s), n >= 1 { return n }
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
}()

