/// A customer's lifecycle state as of a date T, from the same events as the features (point-in-time).
///
/// Definitions (see README "Lifecycle and the at-risk universe"; thresholds from the config's
/// `lifecycle` section):
/// - `churned`: a customer with subscription events whose latest one before T is a
///   `subscription_cancel` (no later `subscription_start`).
/// - `lapsed`: no own activity in the last `lapsed_days` days (default: the churn horizon), or a
///   signed-up customer with no own activity at all after `new_days`.
/// - `new`: signup (else first own activity) within the last `new_days` days (default 30).
/// - `reactivated`: own activity again, within the last `new_days` days, after a gap of more than
///   `lapsed_days` days without own activity.
/// - `active`: any other customer.
///
/// Own activity is the customer's own actions: events of the business's roles (`email_sent`,
/// `ticket_resolved` by default) never count.
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
