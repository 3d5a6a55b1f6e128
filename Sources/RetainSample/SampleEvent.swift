import RetainCore
/// The event types the generator writes: one per role of the event data contract (DESIGN.md),
/// named like the role so no mapping is needed, plus `login`, which is no role (it still counts
/// as activity).
enum SampleEventType: UInt8, CaseIterable, Sendable, Comparable {
    case purchase, session, pageView, emailSent, emailOpen, emailClick, emailUnsubscribe
    case ticketOpened, ticketResolved, contact, nps, csat, ces, like, share, comment
    case eventRegistration, eventAttendance, subscriptionStart, subscriptionCancel, login

    /// The `event_type` written to the CSV.
    var name: String {
        switch self {
        case .purchase: return "purchase"
        case .session: return "session"
        case .pageView: return "page_view"
        case .emailSent: return "email_sent"
        case .emailOpen: return "email_open"
        case .emailClick: return "email_click"
        case .emailUnsubscribe: return "email_unsubscribe"
        case .ticketOpened: return "ticket_opened"
        case .ticketResolved: return "ticket_resolved"
        case .contact: return "contact"
        case .nps: return "nps"
        case .csat: return "csat"
        case .ces: return "ces"
        case .like: return "like"
        case .share: return "share"
        case .comment: return "comment"
        case .eventRegistration: return "event_registration"
        case .eventAttendance: return "event_attendance"
        case .subscriptionStart: return "subscription_start"
        case .subscriptionCancel: return "subscription_cancel"
        case .login: return "login"
        }
    }

    static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// Whether `value` holds cents, written with two decimals.
    var isMoney: Bool { self == .purchase || self == .subscriptionStart }

    /// How `ref` is written for this type.
    var refKind: RefKind {
        switch self {
        case .session, .pageView: return .session
        case .emailSent, .emailOpen, .emailClick, .emailUnsubscribe: return .campaign
        case .ticketOpened, .ticketResolved, .contact: return .ticket
        case .eventRegistration, .eventAttendance: return .liveEvent
        default: return .none
        }
    }

    enum RefKind { case none, session, campaign, ticket, liveEvent }
}

/// One generated event, 20 bytes: time in seconds since the window start, the customer's index,
/// the value (cents for money; `SampleEvent.noValue` when absent) and the ref number (session or
/// ticket number within the customer, campaign or live-event number; ignored for types without
/// a ref).
struct SampleEvent: Sendable, Equatable {
    var time: Int32
    var customer: Int32
    var value: Int32
    var ref: Int32
    var type: SampleEventType

    static let noValue = Int32.min
}

/// One generated customer.
struct SampleCustomer: Sendable, Equatable {
    enum Plan: UInt8, CaseIterable, Sendable {
        case basic, standard, premium
        var name: String { ["basic", "standard", "premium"][Int(rawValue)] }
    }

    /// Signup, seconds since the window start (negative: before the window).
    var signup: Int
    var plan: Plan
    /// Index into `SampleProfiles.countries`.
    var country: UInt8
    var subscriber: Bool
    /// Whether the customer disengages and stops inside the window.
    var churner: Bool
    /// Time of the last possible event + 1 s: the stop time for churners, the window end otherwise.
    var stop: Int
    /// Start of the fade-out (== `stop` for customers who do not churn).
    var fadeStart: Int
}
