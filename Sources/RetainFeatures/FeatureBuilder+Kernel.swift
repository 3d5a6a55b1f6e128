import CRetainSupport
import RetainIngest

// The feature accumulator's hot loop: what one event adds to a customer's blocks, on raw pointers.

/// How the accumulator's hot loop treats an event type's role (one byte per type; every other
/// role is only counted).
enum AccumulatedRole: UInt8 {
    // The subscription roles come last: the hot loop tests `rawValue >= subscriptionStart`.
    case other, purchase, session, nps, csat, ces, subscriptionStart, subscriptionCancel

    init(_ role: Role?) {
        switch role {
        case .purchase?: self = .purchase
        case .session?: self = .session
        case .nps?: self = .nps
        case .csat?: self = .csat
        case .ces?: self = .ces
        case .subscriptionStart?: self = .subscriptionStart
        case .subscriptionCancel?: self = .subscriptionCancel
        default: self = .other
        }
    }
}

/// An event type as the hot loop reads it: its role, and whether its events are the customer's
/// own actions (not one of the config's `lifecycle.business` types).
struct TypeKind {
    let role: AccumulatedRole
    let own: Bool
}

/// Values of the subscription-kind slot (``FeatureAccumulator/SubSlot/kind``).
enum SubscriptionKind {
    static let none = 0.0, start = 1.0, cancel = 2.0
}

/// Roles whose events are linked by their `ref` and paired at the end (``FeatureAccumulator/refFeatures(customers:)``).
enum RefLinkedRole: UInt8 {
    case none, pageView, ticketOpened, ticketResolved, contact

    init(_ role: Role?) {
        switch role {
        case .pageView?: self = .pageView
        case .ticketOpened?: self = .ticketOpened
        case .ticketResolved?: self = .ticketResolved
        case .contact?: self = .contact
        default: self = .none
        }
    }
}

/// Windows of the built-in features, in days.
enum FeatureWindow {
    /// Activity day bits are kept at least this far back (also when every window is shorter).
    static let minimumActivityDays = 60
    /// `trend_*_30d` compares the last 30 days with the 30 before (ages in (30, 60] days).
    static let trendDays = 30
    /// `csat_mean_180d` and `ces_mean_180d` average the responses of the last 180 days.
    static let surveyDays = 180
    /// `purchase_frequency_per_30d`: purchases per 30 days of tenure.
    static let frequencyDays = 30.0
    /// A `distinct_days` custom feature without a window looks back ten years.
    static let defaultDistinctDays = 3650
}

/// Measured settings of the accumulator's parallel pass.
enum AccumulatorTuning {
    /// Blocks with fewer events run on one thread (spawning workers costs more).
    static let minimumParallelEvents = 4096
    /// Events ahead (per worker) whose accumulator blocks are prefetched.
    static let prefetchEventsPerWorker = 12
}

/// The custom features, as the hot loop reads them.
struct CustomKernel {
    let features: [CustomFeature]
    /// [feature][event type]: whether the feature counts events of that type.
    let typeMatch: [[Bool]]
    /// Per feature: word offset of its day bits (distinct days), or -1.
    let dayOffset: [Int]
    /// Per feature: its first slot in the fixed block.
    let slot: [Int]
    var isEmpty: Bool { features.isEmpty }
}

/// One block of events' view of the accumulator storage: raw pointers and strides, so the hot
/// loop does no bounds checks or copy-on-write checks. Workers share it; each writes only the
/// blocks of its own customers.
struct EventKernel {
    let snapshots: UnsafePointer<Double>
    let windows: UnsafePointer<Double>          // seconds, ascending
    let fixed: UnsafeMutablePointer<Double>
    let perType: UnsafeMutablePointer<Double>
    let days: UnsafeMutablePointer<UInt64>
    let subscriptions: UnsafeMutablePointer<Double>
    let kinds: [TypeKind]
    let custom: CustomKernel
    let S: Int, W: Int, stride: Int, typeStride: Int, typeSlots: Int, dayWords: Int
    let horizon: Double
    let label: Bool
    let maxActivitySeconds: Double
    /// Word offset of the own-activity day bits in a day block, and how many day-ages they cover.
    let ownDayOffset: Int, ownDays: Int
    /// Ages below this may set a day bit (activity or own activity); older events set none.
    let dayBitSeconds: Double

    typealias Slot = FeatureAccumulator.Slot
    var tPrior: Int { W }
    var tAll: Int { W + 1 }
    var tLast: Int { W + 2 }

    /// Prefetches the blocks an event of `customer` and `type` will write (for every snapshot's first):
    /// slots 0 and 3 (first … own last, which every event reads) in case they straddle two lines.
    @inline(__always)
    func prefetch(customer c: Int, type: Int) {
        let block = c * S
        retain_prefetch_write(fixed + block * stride)
        retain_prefetch_write(fixed + block * stride + Slot.ownLast)
        retain_prefetch_write(perType + block * typeStride + type * typeSlots)
        retain_prefetch_write(days + block * dayWords)
    }

    /// Adds one event to every snapshot: to its label window when at or after T, else to its
    /// features and lifecycle slots.
    @inline(__always)
    func add(customer c: Int, time t: Double, type ty: Int, value v: Double) {
        let kind = kinds[ty]
        let role = kind.role
        for k in 0..<S {
            let T = snapshots[k]
            let block = c * S + k
            let f = fixed + block * stride
            if t >= T {
                if label && t < T + horizon {
                    if kind.own { f[Slot.horizonOwn] = 1 }
                    if role == .subscriptionCancel { f[Slot.horizonCancel] = 1 }
                }
                continue
            }
            let age = T - t
            // Whole days before T, computed only within the day bits' reach (else Int.max).
            let dayAge = age < dayBitSeconds ? Int(age / secondsPerDay) : Int.max
            count(block: block, fixed: f, time: t, age: age, dayAge: dayAge, type: ty)
            if kind.own { addOwn(block: block, fixed: f, time: t, dayAge: dayAge) }
            addValue(fixed: f, role: role, time: t, age: age, value: v)
            if role.rawValue >= AccumulatedRole.subscriptionStart.rawValue { addSubscription(block: block, time: t, role: role) }
            if !custom.isEmpty { addCustom(block: block, fixed: f, time: t, age: age, type: ty, value: v) }
        }
    }

    /// First and last time, the type's counts per window, prior-window, all-time and last time,
    /// and the activity day bit.
    @inline(__always)
    private func count(block: Int, fixed f: UnsafeMutablePointer<Double>, time t: Double, age: Double, dayAge d: Int, type ty: Int) {
        if t < f[Slot.first] { f[Slot.first] = t }
        if t > f[Slot.last] { f[Slot.last] = t }
        let p = perType + block * typeStride + ty * typeSlots
        p[tAll] += 1
        if t > p[tLast] { p[tLast] = t }
        for j in 0..<W where age <= windows[j] { p[j] += 1 }
        let trend = Double(FeatureWindow.trendDays) * secondsPerDay
        if age > trend && age <= 2 * trend { p[tPrior] += 1 }
        if age <= maxActivitySeconds {
            let dw = days + block * dayWords
            dw[d >> 6] |= 1 << UInt64(d & 63)
        }
    }

    /// Own activity: first and last time, and the bit of its day-age `d` when within the lifecycle span.
    @inline(__always)
    private func addOwn(block: Int, fixed f: UnsafeMutablePointer<Double>, time t: Double, dayAge d: Int) {
        if t < f[Slot.ownFirst] { f[Slot.ownFirst] = t }
        if t > f[Slot.ownLast] { f[Slot.ownLast] = t }
        if d < ownDays {
            let dw = days + block * dayWords + ownDayOffset
            dw[d >> 6] |= 1 << UInt64(d & 63)
        }
    }

    /// The latest subscription event (on equal times the later one in file order wins) and the latest cancel.
    private func addSubscription(block: Int, time t: Double, role: AccumulatedRole) {
        typealias SubSlot = FeatureAccumulator.SubSlot
        let s = subscriptions + block * SubSlot.count
        if t >= s[SubSlot.time] {
            s[SubSlot.time] = t
            s[SubSlot.kind] = role == .subscriptionStart ? SubscriptionKind.start : SubscriptionKind.cancel
        }
        if role == .subscriptionCancel && t > s[SubSlot.cancelTime] { s[SubSlot.cancelTime] = t }
    }

    /// The role's value: purchase and session sums per window, the latest NPS score, CSAT and CES sums.
    @inline(__always)
    private func addValue(fixed f: UnsafeMutablePointer<Double>, role: AccumulatedRole, time t: Double, age: Double, value v: Double) {
        guard !v.isNaN else { return }
        switch role {
        case .purchase, .session:
            let base = Slot.count + (role == .purchase ? 0 : 2 * W)
            for j in 0..<W where age <= windows[j] { f[base + j] += v; f[base + W + j] += 1 }
        case .nps:
            if t > f[Slot.npsTime] || (t == f[Slot.npsTime] && v > f[Slot.npsValue]) {
                f[Slot.npsTime] = t; f[Slot.npsValue] = v
            }
        case .csat, .ces:
            if age <= Double(FeatureWindow.surveyDays) * secondsPerDay {
                let s = role == .csat ? Slot.csatSum : Slot.cesSum
                f[s] += v; f[s + 1] += 1
            }
        case .other, .subscriptionStart, .subscriptionCancel:
            break
        }
    }

    /// The custom aggregates whose selector matches the event's type.
    private func addCustom(block: Int, fixed f: UnsafeMutablePointer<Double>, time t: Double, age: Double, type ty: Int, value v: Double) {
        for q in custom.features.indices where custom.typeMatch[q][ty] {
            let feature = custom.features[q]
            // Ratio features have no aggregate and match no type.
            guard let aggregate = feature.aggregate else { continue }
            if let wd = feature.windowDays, age > Double(wd) * secondsPerDay { continue }
            if custom.dayOffset[q] >= 0 {
                let d = Int(age / secondsPerDay)
                let dw = days + block * dayWords + custom.dayOffset[q]
                if d < (feature.windowDays ?? FeatureWindow.defaultDistinctDays) { dw[d >> 6] |= 1 << UInt64(d & 63) }
                continue
            }
            let s = custom.slot[q]
            switch aggregate {
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
