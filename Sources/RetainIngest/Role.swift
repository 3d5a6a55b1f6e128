import RetainCore
import RetainIO
/// What an event means to the toolkit, whatever the business calls it (DESIGN.md's roles).
///
/// A log whose event types already use these names needs no mapping; others map their own
/// names with a config file or `--role ROLE=EVENT_TYPE`. Unmapped event types still count as
/// activity (recency, active days, the inactivity label) and get their own count columns.
public enum Role: String, CaseIterable, Codable, Sendable, Comparable {
    case purchase, session
    case pageView = "page_view"
    case emailSent = "email_sent", emailOpen = "email_open", emailClick = "email_click"
    case emailUnsubscribe = "email_unsubscribe"
    case ticketOpened = "ticket_opened", ticketResolved = "ticket_resolved", contact
    case nps, csat, ces
    case like, share, comment
    case eventRegistration = "event_registration", eventAttendance = "event_attendance"
    case subscriptionStart = "subscription_start", subscriptionCancel = "subscription_cancel"

    public static func < (a: Role, b: Role) -> Bool { a.index < b.index }

    /// Position in `allCases` (dense index for accumulator layouts).
    public var index: Int { Role.allCases.firstIndex(of: self)! }

    /// The roles that count as social interactions (likes + shares + comments).
    public static let social: [Role] = [.like, .share, .comment]

    /// The list of valid names, for error messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// Maps event-type names to roles: defaults (a type named like a role has that role) plus
/// explicit mappings, which win. Several event types may share a role.
public struct RoleMap: Sendable, Equatable, Codable {
    /// Explicit mappings, event type → role.
    public private(set) var explicit: [String: Role]

    /// An empty map (only the defaults apply).
    public init() { explicit = [:] }

    /// A map from role → event types, as written in a config file or on the command line.
    public init(roleToTypes: [Role: [String]]) {
        explicit = [:]
        for (role, types) in roleToTypes.sorted(by: { $0.key < $1.key }) { for t in types { explicit[t] = role } }
    }

    /// Adds or replaces the mapping of `eventType` to `role`.
    public mutating func map(_ eventType: String, to role: Role) { explicit[eventType] = role }

    /// Merges `other` over this map (its mappings win).
    public mutating func merge(_ other: RoleMap) { explicit.merge(other.explicit) { $1 } }

    /// The role of an event type, if any.
    public func role(of eventType: String) -> Role? {
        explicit[eventType] ?? Role(rawValue: eventType)
    }

    /// Parses `ROLE=EVENT_TYPE` (the `--role` option).
    ///
    /// - Throws: `IngestError.badRoleAssignment`, or `.unknownRole` naming the valid roles.
    public mutating func parse(assignment: String) throws {
        let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw IngestError.badRoleAssignment(assignment)
        }
        guard let role = Role(rawValue: parts[0]) else {
            throw IngestError.unknownRole(name: parts[0], assignment: assignment)
        }
        map(parts[1], to: role)
    }
}
