/// A customer's lifecycle state as of a date T, from the same events as the features (point-in-time:
/// only events before T).
///
/// Thresholds come from the config's `lifecycle` section: `new_days` (N, default 30) and
/// `lapsed_days` (L, default the churn horizon). "Within N days" follows the window convention
/// T − N days ≤ t < T. See README "Lifecycle and the at-risk universe".
///
/// **Own activity** is the customer's own actions: every event except those of the `business`
/// roles or event types (default `email_sent`, `ticket_resolved`). Business events never make a
/// customer active, never keep one from lapsing, and never count for the inactivity churn label.
///
/// **Start** of a customer: the signup (customers.csv) if before T, else the first own activity,
/// else (a customer seen only through business events) the first event of any kind.
///
/// **Gap rule** (day granularity, day-age of an instant t = ⌊(T − t) / 86,400 s⌋): there is a
/// day-age d ≤ N with own activity, no own activity at day-ages d+1 … d+L, and the start's
/// day-age is greater than d + L (the customer was known before the gap).
///
/// The first rule that applies decides:
/// 1. A customer with a `subscription_start` or `subscription_cancel` before T is judged by the
///    subscription. Latest subscription event (equal times: the later one in file order) a cancel
///    → `churned`. Otherwise: start within N days → `new`; the latest `subscription_start` comes
///    after a `subscription_cancel` and is within N days, or the gap rule holds → `reactivated`;
///    else `active` (a subscriber is never lapsed for being quiet).
/// 2. Any other customer is judged by own activity. No own activity: start within N days → `new`,
///    else `lapsed`. Last own activity more than L days before T (T − t > L × 86,400 s) → `lapsed`.
///    Start within N days → `new`. The gap rule holds → `reactivated`. Else `active`.
public enum Lifecycle: UInt8, Sendable, CaseIterable, Codable, Comparable {
    case new, active, reactivated, lapsed, churned

    /// The state's name as written in files (`new`, `active`, ...).
    public var name: String {
        switch self {
        case .new: "new"
        case .active: "active"
        case .reactivated: "reactivated"
        case .lapsed: "lapsed"
        case .churned: "churned"
        }
    }

    /// Whether the state is in the at-risk universe (`new`, `active`, `reactivated`): the
    /// customers a churn model learns from, is evaluated on and scores.
    public var inUniverse: Bool { self == .new || self == .active || self == .reactivated }

    /// The states of the at-risk universe, in order.
    public static let universe: [Lifecycle] = [.new, .active, .reactivated]

    /// The state named `name`, if any.
    public init?(name: String) {
        guard let s = Lifecycle.allCases.first(where: { $0.name == name }) else { return nil }
        self = s
    }

    public static func < (a: Lifecycle, b: Lifecycle) -> Bool { a.rawValue < b.rawValue }
}

/// What the lifecycle rules read about one customer as of T: instants before T (Unix seconds).
struct LifecycleEvidence {
    /// Signup from customers.csv; NaN when unknown.
    var signup: Double = .nan
    /// First event of any kind; +∞ when none.
    var firstAny: Double = .infinity
    /// First and last own activity; +∞ / −∞ when none.
    var ownFirst: Double = .infinity, ownLast: Double = -.infinity
    /// The latest subscription event's time (−∞ when none) and whether it is a cancel.
    var subscriptionTime: Double = -.infinity, subscriptionIsCancel = false
    /// The latest `subscription_cancel`'s time; −∞ when none.
    var cancelTime: Double = -.infinity
}

/// The lifecycle rules of ``Lifecycle`` with their thresholds.
struct LifecycleRules {
    /// `new_days` and `lapsed_days`.
    let newDays: Int, lapsedDays: Int

    /// The state as of `T`.
    ///
    /// - Parameter ownDay: Whether there is own activity at a day-age in 0 … newDays + lapsedDays.
    /// - Complexity: O(newDays + lapsedDays) at worst.
    func state(asOf T: Double, _ e: LifecycleEvidence, ownDay: (Int) -> Bool) -> Lifecycle {
        let newSeconds = Double(newDays) * secondsPerDay, lapsedSeconds = Double(lapsedDays) * secondsPerDay
        let start = !e.signup.isNaN && e.signup < T ? e.signup : (e.ownFirst.isFinite ? e.ownFirst : e.firstAny)
        let startIsNew = start.isFinite && T - start <= newSeconds
        if e.subscriptionTime.isFinite {
            if e.subscriptionIsCancel { return .churned }
            if startIsNew { return .new }
            let restarted = e.cancelTime.isFinite && T - e.subscriptionTime <= newSeconds
            return restarted || gapRule(asOf: T, start: start, ownDay: ownDay) ? .reactivated : .active
        }
        guard e.ownLast.isFinite else { return startIsNew ? .new : .lapsed }
        if T - e.ownLast > lapsedSeconds { return .lapsed }
        if startIsNew { return .new }
        return gapRule(asOf: T, start: start, ownDay: ownDay) ? .reactivated : .active
    }

    /// Own activity at a day-age d ≤ newDays, none at d+1 … d+lapsedDays, and a start older than
    /// day-age d + lapsedDays.
    func gapRule(asOf T: Double, start: Double, ownDay: (Int) -> Bool) -> Bool {
        guard start.isFinite else { return false }
        let startAge = Int(((T - start) / secondsPerDay).rounded(.down))
        // Walk the day-ages from the newest; from an active day-age jump to the next older one.
        var d = 0
        while d <= newDays {
            if ownDay(d) {
                guard startAge > d + lapsedDays else { return false }   // older d only make this worse
                var gap = 1
                while gap <= lapsedDays && !ownDay(d + gap) { gap += 1 }
                if gap > lapsedDays { return true }
                d += gap
            } else {
                d += 1
            }
        }
        return false
    }
}
