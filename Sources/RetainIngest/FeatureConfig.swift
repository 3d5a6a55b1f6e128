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

    enum CodingKeys: String, CodingKey { case columns, roles, windows, churn, features, custom }

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
    }

    /// Checks windows, horizon, column keys and custom features; throws a message saying what to fix.
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
