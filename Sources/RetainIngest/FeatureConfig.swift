import Foundation
import Yams
import RetainCore
import RetainIO

/// How churn is defined for labels.
public enum ChurnDefinition: String, Codable, Sendable, CaseIterable {
    /// Churned = no event at all in [T, T + horizon).
    case inactivity
    /// Churned = a `subscription_cancel` event in [T, T + horizon).
    case cancellation
}

/// Feature groups that can be switched on or off (all on by default).
public enum FeatureGroup: String, Codable, Sendable, CaseIterable {
    case tenure, recency, counts, activity, purchase, sessions, email, support, surveys, social, trends
}

/// One custom feature from the config: an aggregate of one event type or role over a window,
/// or the ratio of two other features.
public struct CustomFeature: Codable, Sendable, Equatable {
    /// Aggregates a custom feature can take.
    public enum Aggregate: String, Codable, Sendable, CaseIterable {
        case count, sum, mean, min, max
        case daysSinceLast = "days_since_last"
        case distinctDays = "distinct_days"
    }

    /// Column name in the output.
    public var name: String
    /// The aggregate (absent for a ratio).
    public var aggregate: Aggregate?
    /// The event type aggregated (or `role`).
    public var eventType: String?
    /// The role aggregated (or `eventType`).
    public var role: Role?
    /// Window in days; absent = all history before T.
    public var windowDays: Int?
    /// For a ratio: numerator and denominator feature names (empty when the denominator is 0).
    public var ratio: [String]?

    enum CodingKeys: String, CodingKey {
        case name, aggregate, role, ratio
        case eventType = "event_type", windowDays = "window_days"
    }

    public init(name: String, aggregate: Aggregate? = nil, eventType: String? = nil, role: Role? = nil,
                windowDays: Int? = nil, ratio: [String]? = nil) {
        self.name = name
        self.aggregate = aggregate
        self.eventType = eventType
        self.role = role
        self.windowDays = windowDays
        self.ratio = ratio
    }
}

/// The feature-builder configuration: one YAML or JSON file (see README), all keys optional.
///
/// ```yaml
/// columns: {customer_id: user, timestamp: ts, event_type: action}   # remap log column names
/// roles: {session: session_end, nps: [nps_response, survey_nps]}      # role: event type(s)
/// windows: [7, 30, 90]
/// churn: {definition: inactivity, horizon_days: 30}
/// features: [tenure, recency, counts, activity, purchase, sessions, email, support, surveys, social, trends]
/// custom:
///   - {name: big_spend_90d, aggregate: sum, role: purchase, window_days: 90}
///   - {name: clicks_per_open_30d, ratio: [n_email_click_30d, n_email_open_30d]}
/// lifecycle: {new_days: 30, lapsed_days: 30, business: [email_sent, ticket_resolved, agent_reply]}
/// ```
public struct FeatureConfig: Codable, Sendable, Equatable {
    /// Churn label settings.
    public struct Churn: Codable, Sendable, Equatable {
        public var definition: ChurnDefinition = .inactivity
        public var horizonDays: Int = 30
        enum CodingKeys: String, CodingKey { case definition; case horizonDays = "horizon_days" }
        public init(definition: ChurnDefinition = .inactivity, horizonDays: Int = 30) {
            self.definition = definition
            self.horizonDays = horizonDays
        }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            definition = try c.decodeIfPresent(ChurnDefinition.self, forKey: .definition) ?? .inactivity
            horizonDays = try c.decodeIfPresent(Int.self, forKey: .horizonDays) ?? 30
        }
    }

    /// Event-log column names (keys: customer_id, timestamp, event_type, value, ref).
    public var columns: [String: String] = [:]
    /// Role → event types.
    public var roles: RoleMap = RoleMap()
    /// Window lengths in days.
    public var windows: [Int] = [7, 30, 90]
    /// Churn label.
    public var churn: Churn = Churn()
    /// Feature groups to build.
    public var features: [FeatureGroup] = FeatureGroup.allCases
    /// Custom features.
    public var custom: [CustomFeature] = []
    /// Lifecycle thresholds and the business's own event types.
    public var lifecycle: LifecycleSettings = LifecycleSettings()

    /// Days without own activity after which a customer without subscription events is lapsed:
    /// `lifecycle.lapsed_days`, or the churn horizon when that is not set.
    public var lapsedDays: Int { lifecycle.lapsedDays ?? churn.horizonDays }

    enum CodingKeys: String, CodingKey { case columns, roles, windows, churn, features, custom, lifecycle }

    /// The defaults: roles by name, windows 7/30/90, inactivity churn over 30 days, every group.
    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        columns = try c.decodeIfPresent([String: String].self, forKey: .columns) ?? [:]
        if let raw = try c.decodeIfPresent([String: OneOrMany].self, forKey: .roles) {
            var map = [Role: [String]]()
            for (name, types) in raw {
                guard let role = Role(rawValue: name) else {
                    throw IngestError.unknownRole(name: name, assignment: nil)
                }
                map[role] = types.values
            }
            roles = RoleMap(roleToTypes: map)
        }
        windows = try c.decodeIfPresent([Int].self, forKey: .windows) ?? [7, 30, 90]
        churn = try c.decodeIfPresent(Churn.self, forKey: .churn) ?? Churn()
        features = try c.decodeIfPresent([FeatureGroup].self, forKey: .features) ?? FeatureGroup.allCases
        custom = try c.decodeIfPresent([CustomFeature].self, forKey: .custom) ?? []
        lifecycle = try c.decodeIfPresent(LifecycleSettings.self, forKey: .lifecycle) ?? LifecycleSettings()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(columns, forKey: .columns)
        var byRole = [String: [String]]()
        for (type, role) in roles.explicit { byRole[role.rawValue, default: []].append(type) }
        try c.encode(byRole.mapValues { $0.sorted() }, forKey: .roles)
        try c.encode(windows, forKey: .windows)
        try c.encode(churn, forKey: .churn)
        try c.encode(features, forKey: .features)
        try c.encode(custom, forKey: .custom)
        // Only when set: model files re-encode their config for the checksum, and files written
        // before the lifecycle section must keep theirs.
        if lifecycle != LifecycleSettings() { try c.encode(lifecycle, forKey: .lifecycle) }
    }

    /// Checks windows, horizon, column keys, custom features and the lifecycle section; throws a
    /// message saying what to fix.
    public func validate() throws {
        guard !windows.isEmpty, windows.allSatisfy({ $0 >= 1 && $0 <= 3650 }) else {
            throw IngestError.invalidWindows(windows)
        }
        guard churn.horizonDays >= 1 else {
            throw IngestError.invalidHorizon(days: churn.horizonDays)
        }
        let known: Set<String> = ["customer_id", "timestamp", "event_type", "value", "ref"]
        for key in columns.keys where !known.contains(key) {
            throw IngestError.unknownColumnKey(key: key)
        }
        var names = Set<String>()
        for f in custom {
            guard !f.name.isEmpty, names.insert(f.name).inserted else {
                throw IngestError.invalidCustomFeature(name: f.name, problem: .nameNotUnique)
            }
            if let ratio = f.ratio {
                guard ratio.count == 2, f.aggregate == nil else {
                    throw IngestError.invalidCustomFeature(name: f.name, problem: .ratioShape)
                }
            } else {
                guard f.aggregate != nil else {
                    throw IngestError.invalidCustomFeature(name: f.name, problem: .missingAggregate)
                }
                guard (f.eventType == nil) != (f.role == nil) else {
                    throw IngestError.invalidCustomFeature(name: f.name, problem: .eventTypeOrRole)
                }
                if let w = f.windowDays, w < 1 {
                    throw IngestError.invalidCustomFeature(name: f.name, problem: .windowTooShort)
                }
            }
        }
        try lifecycle.validate()
    }

    /// Loads a config from a YAML (`.yaml`/`.yml`) or JSON file.
    ///
    /// - Throws: `IngestError.cannotRead`; `.configBeyondLimit` for a file over 1 MiB or nested more
    ///   than 64 levels deep; `.badConfigFile` naming the file and the problem; the validation errors.
    public static func load(path: String) throws -> FeatureConfig {
        let data: Data
        do {
            // Size and nesting are checked before parsing: the YAML parser recurses once per level.
            switch try NestingLimit.read(path: path, yaml: !path.hasSuffix(".json")) {
            case .success(let bytes): data = Data(bytes)
            case .failure(let problem): throw IngestError.configBeyondLimit(path: path, problem: problem)
            }
        } catch IOError.readFailed(_, let reason) {
            throw IngestError.cannotRead(file: path, reason: reason)
        }
        let config: FeatureConfig
        do {
            let text = String(decoding: data, as: UTF8.self)
            let trimmed = text.drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
            if path.hasSuffix(".json") || trimmed.first == "{" {
                config = try JSONDecoder().decode(FeatureConfig.self, from: data)
            } else {
                config = try YAMLDecoder().decode(FeatureConfig.self, from: text)
            }
        } catch let e as IngestError {
            throw IngestError.badConfigFile(path: path, location: nil, reason: "\(e)")
        } catch let DecodingError.dataCorrupted(ctx) where ctx.underlyingError is IngestError {
            // Yams wraps the errors thrown while decoding (an unknown role or lifecycle key).
            throw IngestError.badConfigFile(path: path, location: nil, reason: "\(ctx.underlyingError!)")
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx),
                let DecodingError.dataCorrupted(ctx) {
            let at = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            throw IngestError.badConfigFile(path: path, location: at.isEmpty ? nil : at, reason: ctx.debugDescription)
        } catch {
            throw IngestError.badConfigFile(path: path, location: nil, reason: "\(error)")
        }
        try config.validate()
        return config
    }
}

/// The config's `lifecycle` section: the thresholds of the lifecycle states and which events are
/// the business's own actions rather than the customer's.
///
/// ```yaml
/// lifecycle:
///   new_days: 30                                    # default 30
///   lapsed_days: 60                                 # default: churn.horizon_days
///   business: [email_sent, ticket_resolved, agent_reply]   # roles or event types
/// ```
///
/// An entry of `business` names a role (every event type with that role) or an event type. Events
/// of those types never make a customer active, never keep one from lapsing and never count as
/// activity for the inactivity churn label. Unknown keys are errors.
public struct LifecycleSettings: Codable, Sendable, Equatable {
    /// Default `new_days`.
    public static let defaultNewDays = 30
    /// Default `business`: the roles of emails sent and tickets resolved by the business.
    public static let defaultBusiness = [Role.emailSent.rawValue, Role.ticketResolved.rawValue]
    /// The largest `new_days` or `lapsed_days` accepted (ten years, as for windows).
    public static let maximumDays = 3650

    /// A customer is `new` for this many days after signup (else first own activity), and
    /// `reactivated` for this many days after a return. Valid range 1…3650.
    public var newDays: Int
    /// Days without own activity after which a customer without subscription events is `lapsed`;
    /// `nil` = the churn horizon (see ``FeatureConfig/lapsedDays``). Valid range 1…3650.
    public var lapsedDays: Int?
    /// Roles or event types that record the business's own actions.
    public var business: [String]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case newDays = "new_days", lapsedDays = "lapsed_days", business
    }

    /// Creates settings (defaults: 30 new days, lapsed after the churn horizon, emails sent and
    /// tickets resolved are the business's).
    public init(newDays: Int = LifecycleSettings.defaultNewDays, lapsedDays: Int? = nil,
                business: [String] = LifecycleSettings.defaultBusiness) {
        self.newDays = newDays
        self.lapsedDays = lapsedDays
        self.business = business
    }

    public init(from decoder: Decoder) throws {
        let keys = try decoder.container(keyedBy: StringCodingKey.self)
        let known = CodingKeys.allCases.map(\.rawValue)
        for key in keys.allKeys.map(\.stringValue).sorted() where !known.contains(key) {
            throw IngestError.invalidLifecycle(.unknownKey(key))
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        newDays = try c.decodeIfPresent(Int.self, forKey: .newDays) ?? LifecycleSettings.defaultNewDays
        lapsedDays = try c.decodeIfPresent(Int.self, forKey: .lapsedDays)
        business = try c.decodeIfPresent(OneOrMany.self, forKey: .business)?.values ?? LifecycleSettings.defaultBusiness
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(newDays, forKey: .newDays)
        try c.encodeIfPresent(lapsedDays, forKey: .lapsedDays)
        try c.encode(business, forKey: .business)
    }

    /// Checks that the day counts are in 1…3650 and the business names are not empty.
    ///
    /// - Throws: `IngestError.invalidLifecycle`.
    public func validate() throws {
        guard (1...LifecycleSettings.maximumDays).contains(newDays) else {
            throw IngestError.invalidLifecycle(.daysOutOfRange(key: CodingKeys.newDays.rawValue, value: newDays))
        }
        if let lapsedDays, !(1...LifecycleSettings.maximumDays).contains(lapsedDays) {
            throw IngestError.invalidLifecycle(.daysOutOfRange(key: CodingKeys.lapsedDays.rawValue, value: lapsedDays))
        }
        guard business.allSatisfy({ !$0.isEmpty }) else { throw IngestError.invalidLifecycle(.emptyBusinessName) }
    }

    /// Whether events of `eventType` (whose role is `role`) are the business's own actions: its
    /// name or its role's name is listed in ``business``.
    public func isBusiness(eventType: String, role: Role?) -> Bool {
        business.contains(eventType) || (role.map { business.contains($0.rawValue) } ?? false)
    }
}

/// What is wrong with the config's `lifecycle` section.
public enum LifecycleConfigProblem: Sendable, Equatable {
    /// `new_days` or `lapsed_days` is outside 1…3650.
    case daysOutOfRange(key: String, value: Int)
    /// A key other than `new_days`, `lapsed_days` and `business`.
    case unknownKey(String)
    /// An empty name in `business`.
    case emptyBusinessName

    /// The message, saying what to fix.
    var message: String {
        switch self {
        case let .daysOutOfRange(key, value):
            return "lifecycle.\(key) must be a whole number of days between 1 and \(LifecycleSettings.maximumDays), got \(value)."
        case let .unknownKey(key):
            let keys = LifecycleSettings.CodingKeys.allCases.map(\.rawValue).joined(separator: ", ")
            return "lifecycle: unknown key '\(key)' (keys: \(keys))."
        case .emptyBusinessName:
            return "lifecycle.business: names must not be empty (give roles such as email_sent or event types)."
        }
    }
}

/// A string or a list of strings (`roles: {nps: nps_response}` or `{nps: [a, b]}`).
struct OneOrMany: Codable, Equatable {
    var values: [String]
    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let one = try? c.decode(String.self) { values = [one] } else { values = try c.decode([String].self) }
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(values)
    }
}
