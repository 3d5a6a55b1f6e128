import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics

/// The flags a scored customer can carry, as bits (`names` gives the words).
public struct ScoreFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let atRisk = ScoreFlags(rawValue: 1)
    public static let highValue = ScoreFlags(rawValue: 2)
    public static let detractor = ScoreFlags(rawValue: 4)
    public static let promoter = ScoreFlags(rawValue: 8)
    public static let new = ScoreFlags(rawValue: 16)
    /// A win-back candidate: `lapsed` or `churned` with a predicted value above 0 (never `at_risk`).
    public static let winBack = ScoreFlags(rawValue: 32)

    /// Every flag with its name, in the order names are listed.
    public static let named: [(flag: ScoreFlags, name: String)] = [
        (.atRisk, "at_risk"), (.highValue, "high_value"), (.detractor, "detractor"), (.promoter, "promoter"), (.new, "new"),
        (.winBack, "win_back"),
    ]

    /// The flag called `name`, or nil for a name the scorer never sets.
    public init?(name: String) {
        guard let f = Self.named.first(where: { $0.name == name }) else { return nil }
        self = f.flag
    }

    /// The names of the flags set, in `named` order.
    public var names: [String] { Self.named.filter { contains($0.flag) }.map(\.name) }
}

/// A risk tier: `high`, `medium` or `low`.
public enum RiskTier: UInt8, Sendable, CaseIterable {
    case high, medium, low

    /// The tier's name as written in scores and lists.
    public var name: String {
        switch self {
        case .high: return "high"
        case .medium: return "medium"
        case .low: return "low"
        }
    }
}

/// One day's scores, column by column: what `Scorer.score` returns and the action rules fill in.
///
/// Columns instead of one struct per customer: a million customers cost a few arrays of numbers,
/// not a million small arrays of strings. Reasons are kept as (feature, raw value) pairs and turned
/// into words only when written (`appendReasons`) or asked for (`reasons(_:)`).
/// `self[i]` gives one customer as a `CustomerScore`.
public struct ScoreBatch: Sendable {
    public var customerIDs: [String]
    /// Churn probability; NaN for a customer outside the at-risk universe (not scored).
    public var churnProbability: [Double]
    /// Risk tier; nil outside the at-risk universe.
    public var riskTier: [RiskTier?]
    /// Predicted value (the bundle's value model, or a CLV model's value).
    public var predictedValue: [Double]
    /// Lifecycle state as of the scoring date; nil when not known.
    public var lifecycle: [Lifecycle?]
    /// P(alive) from the purchase model; NaN without one.
    public var probabilityAlive: [Double]
    /// Win-back rank among this batch's win-back candidates (1 = first to contact); 0 for others.
    public var winbackRank: [Int32]
    /// Index into `segmentNames`, or -1 without segmentation.
    public var segmentIndex: [Int32]
    public var segmentNames: [String]
    public var flags: [ScoreFlags]
    /// Index into `actionIDs`; every customer starts with `ActionRules.noAction`.
    public var actionIndex: [UInt16]
    public var actionIDs: [String]
    /// Reasons kept per customer (the slots of `reasonCodes`).
    public let reasonCount: Int
    /// `reasonCount` slots per customer: the model feature (its index × 2, +1 when above the training
    /// average), or -1 for an empty slot; largest contribution first.
    var reasonCodes: [Int32]
    /// The raw feature value of each reason slot.
    var reasonValues: [Double]
    /// One reason template per model feature.
    let reasonTemplates: [ReasonCodes.Template]

    public var count: Int { customerIDs.count }

    init(customerIDs: [String], churnProbability: [Double], riskTier: [RiskTier?], predictedValue: [Double],
         lifecycle: [Lifecycle?]? = nil, probabilityAlive: [Double]? = nil, winbackRank: [Int32]? = nil,
         segmentIndex: [Int32], segmentNames: [String], flags: [ScoreFlags], reasonCount: Int,
         reasonCodes: [Int32], reasonValues: [Double], reasonTemplates: [ReasonCodes.Template]) {
        self.customerIDs = customerIDs; self.churnProbability = churnProbability; self.riskTier = riskTier
        self.predictedValue = predictedValue
        self.lifecycle = lifecycle ?? [Lifecycle?](repeating: nil, count: customerIDs.count)
        self.probabilityAlive = probabilityAlive ?? [Double](repeating: .nan, count: customerIDs.count)
        self.winbackRank = winbackRank ?? [Int32](repeating: 0, count: customerIDs.count)
        self.segmentIndex = segmentIndex; self.segmentNames = segmentNames
        self.flags = flags; self.reasonCount = reasonCount; self.reasonCodes = reasonCodes
        self.reasonValues = reasonValues; self.reasonTemplates = reasonTemplates
        actionIndex = [UInt16](repeating: 0, count: customerIDs.count)
        actionIDs = [ActionRules.noAction]
    }

    /// Customer `i`'s segment name ("" without segmentation).
    public func segment(_ i: Int) -> String { segmentIndex[i] >= 0 ? segmentNames[Int(segmentIndex[i])] : "" }

    /// Customer `i`'s action id.
    public func action(_ i: Int) -> String { actionIDs[Int(actionIndex[i])] }

    /// Customer `i`'s reasons in words, most important first.
    public func reasons(_ i: Int) -> [String] {
        var out: [String] = []
        for j in 0..<reasonCount {
            var bytes: [UInt8] = []
            guard reasonTemplates.withUnsafeBufferPointer({ appendReason(i, j, templates: $0, into: &bytes) }) else { break }
            out.append(String(decoding: bytes, as: UTF8.self))
        }
        return out
    }

    /// Appends customer `i`'s reasons, joined by `separator`, to `out`.
    public func appendReasons(_ i: Int, separator: String, into out: inout [UInt8]) {
        reasonTemplates.withUnsafeBufferPointer { appendReasons(i, separator: separator, templates: $0, into: &out) }
    }

    /// `appendReasons` with the given copy of the templates (borrowed in place, not copied per reason).
    func appendReasons(_ i: Int, separator: String, templates: UnsafeBufferPointer<ReasonCodes.Template>, into out: inout [UInt8]) {
        for j in 0..<reasonCount {
            if j > 0 && reasonCodes[i * reasonCount + j] >= 0 { out.append(contentsOf: separator.utf8) }
            guard appendReason(i, j, templates: templates, into: &out) else { break }
        }
    }

    /// Appends reason `j` of customer `i`; false when the slot is empty.
    @inline(__always)
    private func appendReason(_ i: Int, _ j: Int, templates: UnsafeBufferPointer<ReasonCodes.Template>, into out: inout [UInt8]) -> Bool {
        let code = reasonCodes[i * reasonCount + j]
        guard code >= 0 else { return false }
        templates[Int(code >> 1)].append(value: reasonValues[i * reasonCount + j], above: code & 1 == 1, into: &out)
        return true
    }

    /// Whether customer `i` is in the at-risk universe (was given a churn probability).
    public func inUniverse(_ i: Int) -> Bool { !churnProbability[i].isNaN }

    /// Customer `i` as one value.
    public subscript(i: Int) -> CustomerScore {
        CustomerScore(customerID: customerIDs[i], churnProbability: inUniverse(i) ? churnProbability[i] : nil,
                      riskTier: riskTier[i]?.name ?? "", predictedValue: predictedValue[i], segment: segment(i), flags: flags[i].names,
                      reasons: reasons(i), action: action(i), lifecycle: lifecycle[i]?.name ?? "",
                      probabilityAlive: probabilityAlive[i].isNaN ? nil : probabilityAlive[i],
                      winbackRank: winbackRank[i] > 0 ? Int(winbackRank[i]) : nil)
    }

    /// Every customer as a `CustomerScore` (convenient for small batches; a million cost a few seconds).
    public var scores: [CustomerScore] { (0..<count).map { self[$0] } }

    /// The records the score history stores, one per customer.
    public func records(date: String, modelID: String) -> [ScoreRecord] {
        (0..<count).map {
            ScoreRecord(customerID: customerIDs[$0], date: date, modelID: modelID,
                        churnProbability: inUniverse($0) ? churnProbability[$0] : nil,
                        riskTier: riskTier[$0]?.name ?? "", predictedValue: predictedValue[$0], segment: segment($0),
                        flags: flags[$0].names, action: action($0), reasons: reasons($0), lifecycle: lifecycle[$0]?.name ?? "",
                        probabilityAlive: probabilityAlive[$0].isNaN ? nil : probabilityAlive[$0],
                        winbackRank: winbackRank[$0] > 0 ? Int(winbackRank[$0]) : nil)
        }
    }

    /// Customers per lifecycle state (`unknown` when not computed).
    public func lifecycleCounts() -> [String: Int] {
        var out: [String: Int] = [:]
        for l in lifecycle { out[l?.name ?? "unknown", default: 0] += 1 }
        return out
    }

    /// Customers per tier (customers outside the universe have none), per action (every action id,
    /// zeros included) and per flag.
    public func counts() -> (tiers: [String: Int], actions: [String: Int], flags: [String: Int]) {
        var tiers = [Int](repeating: 0, count: RiskTier.allCases.count)
        var actions = [Int](repeating: 0, count: actionIDs.count)
        var flagCounts = [Int](repeating: 0, count: ScoreFlags.named.count)
        for i in 0..<count {
            if let t = riskTier[i] { tiers[Int(t.rawValue)] += 1 }
            actions[Int(actionIndex[i])] += 1
            let f = flags[i]
            for (k, named) in ScoreFlags.named.enumerated() where f.contains(named.flag) { flagCounts[k] += 1 }
        }
        var flagsOut: [String: Int] = [:]
        for (k, named) in ScoreFlags.named.enumerated() where flagCounts[k] > 0 { flagsOut[named.name] = flagCounts[k] }
        return (Dictionary(uniqueKeysWithValues: RiskTier.allCases.map { ($0.name, tiers[Int($0.rawValue)]) }),
                Dictionary(actionIDs.enumerated().map { ($1, actions[$0]) }, uniquingKeysWith: +),
                flagsOut)
    }
}

// MARK: - CSV

extension ScoreBatch {
    /// The header of the scores CSV.
    public static let csvHeader = "customer_id,churn_probability,risk_tier,predicted_value,segment,flags,action,reasons,lifecycle,p_alive,winback_rank\n"

    /// Pieces of the scores CSV: the header, then one per `rowsPerChunk` rows.
    public func csvPieceCount(rowsPerChunk: Int = 32_768) -> Int { 1 + (count + rowsPerChunk - 1) / rowsPerChunk }

    /// Piece `k` of the scores CSV (0: the header; k: rows (k − 1) × rowsPerChunk ..< k × rowsPerChunk).
    ///
    /// Columns: customer_id, churn_probability (6 decimals; empty outside the at-risk universe),
    /// risk_tier (empty outside the universe), predicted_value (2 decimals), segment, flags
    /// (`;`-separated), action, reasons (`; `-separated), lifecycle (empty when not known), p_alive
    /// (6 decimals; empty without a purchase model), winback_rank (empty for non-candidates); fields
    /// with a comma, quote or line break are quoted. Pieces can be made on several threads at once
    /// (`AtomicFile.write(to:pieces:produce:)`).
    public func csvPiece(_ k: Int, rowsPerChunk: Int = 32_768) -> [UInt8] {
        if k == 0 { return Array(Self.csvHeader.utf8) }
        // Each piece builds its own copies of the shared texts: reference counts on strings
        // shared by both threads would bounce a cache line per field.
        let quotedSegments = segmentNames.map { Array(CSVText.field($0).utf8) }
        let quotedActions = actionIDs.map { Array(CSVText.field($0).utf8) }
        let quotedFlags = (0..<64).map { Array(CSVText.field(ScoreFlags(rawValue: UInt8($0)).names.joined(separator: ";")).utf8) }
        let tierNames = RiskTier.allCases.map { Array($0.name.utf8) }
        let lifecycleNames = Lifecycle.allCases.map { Array($0.name.utf8) }
        let templateCopies = reasonTemplates.map { ReasonCodes.Template(feature: String(decoding: Array($0.name.utf8), as: UTF8.self)) }
        var b: [UInt8] = []
        let rows = ((k - 1) * rowsPerChunk)..<min(count, k * rowsPerChunk)
        b.reserveCapacity(rows.count * 160)
        var reasons: [UInt8] = []
        for i in rows {
            CSVText.appendField(customerIDs[i], into: &b); b.append(44)
            if inUniverse(i) { NumberFormat.appendFixed(churnProbability[i], digits: 6, into: &b) }
            b.append(44)
            if let t = riskTier[i] { b.append(contentsOf: tierNames[Int(t.rawValue)]) }
            b.append(44)
            NumberFormat.appendFixed(predictedValue[i], digits: 2, into: &b); b.append(44)
            if segmentIndex[i] >= 0 { b.append(contentsOf: quotedSegments[Int(segmentIndex[i])]) }
            b.append(44)
            b.append(contentsOf: quotedFlags[Int(flags[i].rawValue & 63)]); b.append(44)
            b.append(contentsOf: quotedActions[Int(actionIndex[i])]); b.append(44)
            reasons.removeAll(keepingCapacity: true)
            templateCopies.withUnsafeBufferPointer { appendReasons(i, separator: "; ", templates: $0, into: &reasons) }
            CSVText.appendField(reasons, into: &b); b.append(44)
            if let l = lifecycle[i] { b.append(contentsOf: lifecycleNames[Int(l.rawValue)]) }
            b.append(44)
            if !probabilityAlive[i].isNaN { NumberFormat.appendFixed(probabilityAlive[i], digits: 6, into: &b) }
            b.append(44)
            if winbackRank[i] > 0 { b.append(contentsOf: String(winbackRank[i]).utf8) }
            b.append(10)
        }
        return b
    }
}
