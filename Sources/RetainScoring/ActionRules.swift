import Foundation
import Yams
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics

/// When a rule applies: every given condition must hold (an absent condition always holds).
public struct RuleConditions: Codable, Sendable, Equatable {
    /// Flags the customer must all have (e.g. `[at_risk, high_value]`).
    public var flags: [String]?
    /// Flags the customer must not have.
    public var notFlags: [String]?
    /// Risk tiers, any of (`high`, `medium`, `low`).
    public var tier: [String]?
    /// Segment names, any of.
    public var segment: [String]?
    /// Churn probability at least this.
    public var minProbability: Double?
    /// Predicted value at least this.
    public var minValue: Double?
    /// Lifecycle states, any of (`new`, `active`, `reactivated`, `lapsed`, `churned`); a customer
    /// whose lifecycle is not known matches none.
    public var lifecycle: [String]?
    /// Lifecycle states the customer must not be in (an unknown lifecycle is in none).
    public var notLifecycle: [String]?
    /// `true`: only customers in the at-risk universe (given a churn probability); `false`: only outside it.
    public var inUniverse: Bool?

    public init(flags: [String]? = nil, notFlags: [String]? = nil, tier: [String]? = nil, segment: [String]? = nil,
                minProbability: Double? = nil, minValue: Double? = nil, lifecycle: [String]? = nil,
                notLifecycle: [String]? = nil, inUniverse: Bool? = nil) {
        self.flags = flags; self.notFlags = notFlags; self.tier = tier; self.segment = segment
        self.minProbability = minProbability; self.minValue = minValue
        self.lifecycle = lifecycle; self.notLifecycle = notLifecycle; self.inUniverse = inUniverse
    }

    enum CodingKeys: String, CodingKey {
        case flags, tier, segment, lifecycle
        case notFlags = "not_flags", minProbability = "min_probability", minValue = "min_value"
        case notLifecycle = "not_lifecycle", inUniverse = "in_universe"
    }

    public func matches(_ s: CustomerScore) -> Bool {
        if let inUniverse, s.inUniverse != inUniverse { return false }
        if let lifecycle, !lifecycle.contains(s.lifecycle) { return false }
        if let notLifecycle, notLifecycle.contains(s.lifecycle) { return false }
        if let flags, !flags.allSatisfy(s.flags.contains) { return false }
        if let notFlags, notFlags.contains(where: s.flags.contains) { return false }
        if let tier, !tier.contains(s.riskTier) { return false }
        if let segment, !segment.contains(s.segment) { return false }
        if let minProbability, !((s.churnProbability ?? .nan) >= minProbability) { return false }
        if let minValue, !(s.predictedValue >= minValue) { return false }
        return true
    }
}

/// One rule: conditions → an action id and its description.
public struct ActionRule: Codable, Sendable, Equatable {
    public var action: String
    public var description: String
    public var when: RuleConditions

    public init(action: String, description: String, when: RuleConditions = RuleConditions()) {
        self.action = action; self.description = description; self.when = when
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        action = try c.decode(String.self, forKey: .action)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        when = try c.decodeIfPresent(RuleConditions.self, forKey: .when) ?? RuleConditions()
    }
}

/// Ordered action rules: the first rule whose conditions hold gives the action; none → `none`.
///
/// File format (YAML, or JSON which is YAML):
/// ```yaml
/// rules:
///   - action: personal_outreach
///     description: Personal outreach / priority service queue
///     when: { flags: [at_risk, high_value] }
///   - action: save_offer
///     when: { flags: [at_risk], min_probability: 0.5 }
///   - action: win_back_offer
///     when: { lifecycle: [lapsed, churned], flags: [win_back] }
///   - action: service_recovery
///     when: { flags: [detractor], in_universe: true }
/// ```
///
/// Conditions: `flags`, `not_flags`, `tier`, `segment`, `min_probability`, `min_value`,
/// `lifecycle`, `not_lifecycle`, `in_universe`. A customer outside the at-risk universe has no
/// probability or tier, so `tier` and `min_probability` never hold for them.
public struct ActionRules: Codable, Sendable, Equatable {
    public var rules: [ActionRule]

    public init(rules: [ActionRule]) { self.rules = rules }

    /// The action when no rule matches.
    public static let noAction = "none"

    /// The default rules (README "Actions"), in order; each action goes to whom it is meant for.
    /// `at_risk` is set only inside the at-risk universe, `win_back` only outside it.
    public static let defaults = ActionRules(rules: [
        ActionRule(action: "personal_outreach", description: "At risk and high value: personal outreach, priority service queue",
                   when: RuleConditions(flags: ["at_risk", "high_value"])),
        ActionRule(action: "save_offer", description: "At risk: save offer (personalised recommendations, discount or extended subscription)",
                   when: RuleConditions(flags: ["at_risk"])),
        ActionRule(action: "win_back_offer", description: "Lapsed or churned with value: win-back offer, in win-back rank order",
                   when: RuleConditions(flags: ["win_back"], lifecycle: ["lapsed", "churned"])),
        ActionRule(action: "service_recovery", description: "NPS detractor in the at-risk universe: follow-up and service recovery",
                   when: RuleConditions(flags: ["detractor"], inUniverse: true)),
        ActionRule(action: "loyalty_reward", description: "High value and safe: loyalty reward (exclusive offers, early access, premium features)",
                   when: RuleConditions(flags: ["high_value"], notFlags: ["at_risk"], inUniverse: true)),
        ActionRule(action: "referral_invite", description: "NPS promoter in the at-risk universe: referral invitation",
                   when: RuleConditions(flags: ["promoter"], inUniverse: true)),
    ])

    /// The action id for one customer.
    public func action(for s: CustomerScore) -> String {
        rules.first { $0.when.matches(s) }?.action ?? Self.noAction
    }

    /// Sets `action` on every score.
    public func apply(_ scores: inout [CustomerScore]) {
        for i in scores.indices { scores[i].action = action(for: scores[i]) }
    }

    /// Sets every customer's action in `batch` (and its `actionIDs` to these rules' `actionIDs`).
    ///
    /// The same first-match result as `action(for:)`, with each rule's conditions turned into flag
    /// bit masks and tier / segment index sets once.
    public func apply(to batch: inout ScoreBatch) {
        struct Compiled {
            var never = false
            var required: UInt8 = 0, forbidden: UInt8 = 0
            var tiers: UInt8 = 0b111
            var anyTier = true
            var segments: Set<Int32>?
            var minProbability: Double?, minValue: Double?
            /// Bit per `Lifecycle.rawValue`, bit 7 = unknown: states allowed.
            var lifecycles: UInt8 = 0xFF
            var universe: Bool?
        }
        let segmentIndex = Dictionary(batch.segmentNames.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { a, _ in a })
        let compiled: [Compiled] = rules.map { rule in
            let w = rule.when
            var c = Compiled()
            for name in w.flags ?? [] {
                if let f = ScoreFlags(name: name) { c.required |= f.rawValue } else { c.never = true }  // a flag never set cannot hold
            }
            for name in w.notFlags ?? [] { if let f = ScoreFlags(name: name) { c.forbidden |= f.rawValue } }
            if let states = w.lifecycle {
                c.lifecycles = 0
                for l in Lifecycle.allCases where states.contains(l.name) { c.lifecycles |= 1 << l.rawValue }
            }
            for l in Lifecycle.allCases where (w.notLifecycle ?? []).contains(l.name) { c.lifecycles &= ~(1 << l.rawValue) }
            c.universe = w.inUniverse
            if let tiers = w.tier {
                c.anyTier = false
                c.tiers = 0
                for t in RiskTier.allCases where tiers.contains(t.name) { c.tiers |= 1 << t.rawValue }
            }
            if let names = w.segment { c.segments = Set(names.compactMap { $0.isEmpty ? -1 : segmentIndex[$0] }) }
            c.minProbability = w.minProbability
            c.minValue = w.minValue
            return c
        }
        let none = UInt16(rules.count)
        batch.actionIDs = actionIDs
        let n = batch.count
        let chunk = 65_536
        let flags = batch.flags, tiers = batch.riskTier, segments = batch.segmentIndex
        let prob = batch.churnProbability, value = batch.predictedValue, lifecycle = batch.lifecycle
        batch.actionIndex.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: max(1, (n + chunk - 1) / chunk)) { k in
                for i in (k * chunk)..<min(n, (k + 1) * chunk) {
                    let f = flags[i].rawValue
                    var action = none
                    for (r, c) in compiled.enumerated() {
                        if c.never || f & c.required != c.required || f & c.forbidden != 0 { continue }
                        if !c.anyTier { guard let t = tiers[i], c.tiers & (1 << t.rawValue) != 0 else { continue } }
                        if let u = c.universe, prob[i].isNaN == u { continue }
                        if c.lifecycles != 0xFF, c.lifecycles & (1 << (lifecycle[i]?.rawValue ?? 7)) == 0 { continue }
                        if let s = c.segments, !s.contains(segments[i]) { continue }
                        if let m = c.minProbability, !(prob[i] >= m) { continue }  // NaN fails, as in `matches`
                        if let m = c.minValue, !(value[i] >= m) { continue }
                        action = UInt16(r)
                        break
                    }
                    out[i] = action
                }
            }
        }
    }

    /// Every action id the rules can give, `none` included.
    public var actionIDs: [String] { rules.map(\.action) + [Self.noAction] }

    /// The most rules a file may hold (action indices are 16-bit, one kept for `none`).
    public static let maximumRuleCount = Int(UInt16.max) - 1

    /// Parses YAML (or JSON) text; `path` is used in messages.
    ///
    /// - Throws: `ScoringError.invalidRules` for text that is not a rules file, `.unknownRuleName` for a
    ///   misspelt key, flag or tier (naming the rule), `.tooManyRules`, `.fileBeyondLimit` (over 1 MiB
    ///   or nested more than 64 levels deep, checked before parsing).
    public static func parse(_ text: String, path: String = "rules") throws -> ActionRules {
        // The YAML parser recurses once per level of nesting: refuse deep text before it sees it.
        if text.utf8.count > NestingLimit.maximumTextSize {
            throw ScoringError.fileBeyondLimit(path: path, what: "a rules file", problem: .tooLarge(limit: NestingLimit.maximumTextSize))
        }
        if let problem = NestingLimit.check(text.utf8) {
            throw ScoringError.fileBeyondLimit(path: path, what: "a rules file", problem: problem)
        }
        let r: ActionRules
        do {
            r = try YAMLDecoder().decode(ActionRules.self, from: text)
            if let bad = r.rules.first(where: { $0.action.isEmpty }) { throw ScoringError.invalidRules(path: path, reason: "a rule has an empty action (\(bad.description))") }
        } catch let e as ScoringError { throw e } catch {
            throw ScoringError.invalidRules(path: path, reason: "\(error)")
        }
        guard r.rules.count <= maximumRuleCount else {
            throw ScoringError.tooManyRules(path: path, count: r.rules.count, limit: maximumRuleCount)
        }
        try checkKeys(text, rules: r.rules, path: path)
        try checkNames(r.rules, path: path)
        return r
    }

    /// Keys a rule and its `when` may have; anything else is a misspelling that decoding would ignore.
    static let ruleKeys = ["action", "description", "when"]
    static let conditionKeys = ["flags", "not_flags", "tier", "segment", "min_probability", "min_value", "lifecycle", "not_lifecycle", "in_universe"]

    /// Refuses unknown keys in each rule and its `when` (the decoder ignores them silently).
    private static func checkKeys(_ text: String, rules: [ActionRule], path: String) throws {
        guard let root = (try? Yams.load(yaml: text)) as? [String: Any], let items = root["rules"] as? [Any] else { return }
        for (i, item) in items.enumerated() {
            guard let rule = item as? [String: Any] else { continue }
            let action = i < rules.count ? rules[i].action : ""
            for key in rule.keys.sorted() where !ruleKeys.contains(key) {
                throw ScoringError.unknownRuleName(path: path, rule: i + 1, action: action, kind: .key, name: key, valid: ruleKeys)
            }
            for key in ((rule["when"] as? [String: Any])?.keys.sorted() ?? []) where !conditionKeys.contains(key) {
                throw ScoringError.unknownRuleName(path: path, rule: i + 1, action: action, kind: .key, name: key, valid: conditionKeys)
            }
        }
    }

    /// Refuses flag and tier names that no customer can ever have.
    private static func checkNames(_ rules: [ActionRule], path: String) throws {
        let flagNames = ScoreFlags.named.map(\.name)
        let tierNames = RiskTier.allCases.map(\.name)
        for (i, rule) in rules.enumerated() {
            for name in (rule.when.flags ?? []) + (rule.when.notFlags ?? []) where !flagNames.contains(name) {
                throw ScoringError.unknownRuleName(path: path, rule: i + 1, action: rule.action, kind: .flag, name: name, valid: flagNames)
            }
            for name in rule.when.tier ?? [] where !tierNames.contains(name) {
                throw ScoringError.unknownRuleName(path: path, rule: i + 1, action: rule.action, kind: .tier, name: name, valid: tierNames)
            }
            let states = Lifecycle.allCases.map(\.name)
            for name in (rule.when.lifecycle ?? []) + (rule.when.notLifecycle ?? []) where !states.contains(name) {
                throw ScoringError.unknownRuleName(path: path, rule: i + 1, action: rule.action, kind: .lifecycle, name: name, valid: states)
            }
        }
    }

    /// Reads a rules file (YAML or JSON).
    ///
    /// - Throws: `ScoringError.rulesUnreadable`, or what `parse` throws.
    public static func load(path: String) throws -> ActionRules {
        let bytes: [UInt8]
        do {
            switch try NestingLimit.read(path: path) {
            case .success(let b): bytes = b
            case .failure(let problem): throw ScoringError.fileBeyondLimit(path: path, what: "a rules file", problem: problem)
            }
        } catch IOError.readFailed(_, let reason) {
            throw ScoringError.rulesUnreadable(path: path, reason: reason)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ScoringError.rulesUnreadable(path: path, reason: "it is not UTF-8 text")
        }
        return try parse(text, path: path)
    }
}
