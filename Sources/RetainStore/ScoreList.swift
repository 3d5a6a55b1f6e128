import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring

/// A marketing list on a scored day: who carries a flag, got an action, or sits in a segment.
public enum ScoreList: Hashable, Sendable, CustomStringConvertible {
    /// Records flagged `at_risk` inside the at-risk universe (with a hysteresis margin: see `ScoreHistory.members`).
    case atRisk
    /// Records flagged `high_value` inside the at-risk universe: current customers worth the most
    /// (lapsed and churned high-value customers are on the win-back list, ranked).
    case highValue
    /// Win-back candidates: lapsed or churned customers with value (flag `win_back`), in win-back rank order.
    case winBack
    /// Records whose recommended action is this id (`none` is never a list).
    case action(String)
    /// Records in this segment.
    case segment(String)

    /// The list's name as the CLI takes it: `at-risk`, `high-value`, the action id, or the segment name.
    public var name: String {
        switch self {
        case .atRisk: return "at-risk"
        case .highValue: return "high-value"
        case .winBack: return "win-back"
        case .action(let id): return id
        case .segment(let name): return name
        }
    }

    public var description: String { name }

    /// The export file name without extension: `at-risk`, `high-value`, `action-<id>`, `segment-<slug>`.
    public var fileStem: String {
        switch self {
        case .atRisk, .highValue, .winBack: return name
        case .action(let id): return "action-" + Self.slug(id)
        case .segment(let name): return "segment-" + Self.slug(name)
        }
    }

    /// Whether `record` is on this list (without hysteresis).
    public func contains(_ record: ScoreRecord) -> Bool {
        switch self {
        case .atRisk: return record.flags.contains("at_risk") && record.inUniverse
        case .highValue: return record.flags.contains("high_value") && record.inUniverse
        case .winBack: return record.flags.contains("win_back") && !record.flags.contains("at_risk")
        case .action(let id): return record.action == id
        case .segment(let name): return record.segment == name
        }
    }

    /// Every list on a day: `at-risk`, `high-value`, `win-back`, each action other than `none`, each non-empty segment.
    public static func all(in records: [ScoreRecord]) -> [ScoreList] {
        let actions = Set(records.map(\.action)).subtracting(["none", ""]).sorted()
        let segments = Set(records.map(\.segment)).subtracting([""]).sorted()
        return [.atRisk, .highValue, .winBack] + actions.map { .action($0) } + segments.map { .segment($0) }
    }

    /// The lists `retain export` writes by default: `at-risk`, `high-value`, `win-back` and each action other than `none`.
    public static func defaults(in records: [ScoreRecord]) -> [ScoreList] {
        all(in: records).filter { if case .segment = $0 { return false } else { return true } }
    }

    /// Resolves a list name against the lists of a day: `at-risk`, `high-value`, an action id,
    /// a segment name (exact, then ignoring case), or the explicit `action:ID` / `segment:NAME`.
    ///
    /// - Throws: `StoreError.unknownList` with the valid names.
    public static func resolve(_ name: String, among available: [ScoreList]) throws -> ScoreList {
        if name == "at-risk" { return .atRisk }
        if name == "high-value" { return .highValue }
        if name == "win-back" { return .winBack }
        if name.hasPrefix("action:") { return .action(String(name.dropFirst(7))) }
        if name.hasPrefix("segment:") { return .segment(String(name.dropFirst(8))) }
        if let hit = available.first(where: { if case .action(name) = $0 { return true }; return false }) { return hit }
        if let hit = available.first(where: { if case .segment(name) = $0 { return true }; return false }) { return hit }
        if let hit = available.first(where: {
            if case .segment(let s) = $0 { return s.lowercased() == name.lowercased() }; return false
        }) { return hit }
        throw StoreError.unknownList(name: name, valid: available.map(\.name))
    }

    /// Lower-case ASCII letters and digits; anything else becomes `-`.
    static func slug(_ s: String) -> String {
        var out = ""
        for c in s.lowercased().unicodeScalars {
            if (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "_" { out.unicodeScalars.append(c) }
            else if !out.hasSuffix("-") { out.append("-") }
        }
        let trimmed = out.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return trimmed.isEmpty ? "list" : trimmed
    }
}
