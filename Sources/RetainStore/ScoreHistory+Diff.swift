import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring

/// Who entered or left each list between two scored days, and who moved between segments.
public struct ScoreDiff: Sendable, Equatable, Codable {
    /// One list's changes.
    public struct ListChange: Sendable, Equatable, Codable {
        /// The list name (`at-risk`, `high-value`, an action id, a segment name).
        public var list: String
        /// `action`, `flag` or `segment`.
        public var kind: String
        /// Customers on the list on `to` but not on `from`, sorted.
        public var entered: [String]
        /// Customers on the list on `from` but not on `to`, sorted.
        public var left: [String]
        /// Customers on the list on both days.
        public var stayed: Int
    }

    /// A customer whose segment changed.
    public struct Move: Sendable, Equatable, Codable {
        public var customerID: String
        public var from: String
        public var to: String
        /// The customer's top reason on the `to` day (empty when none).
        public var reason: String

        enum CodingKeys: String, CodingKey {
            case from, to, reason
            case customerID = "customer_id"
        }
    }

    public var from: String
    public var to: String
    /// Hysteresis margin used for the at-risk list (0: none).
    public var margin: Double
    /// At-risk threshold used with the margin (nil when the margin is 0).
    public var threshold: Double?
    public var lists: [ListChange]
    public var moves: [Move]
}

extension ScoreHistory {
    /// Compares two scored days.
    ///
    /// Lists: `at-risk` (flag `at_risk`), `high-value` (flag `high_value`), every action other
    /// than `none`, every segment. A customer scored on only one of the days enters or leaves
    /// the lists accordingly. Moves: customers scored on both days with a different (non-empty)
    /// segment, with their top reason on the `to` day.
    ///
    /// Hysteresis (`margin > 0`): a customer stays on the at-risk list until the probability
    /// falls below `threshold − margin`, so a customer hovering around the threshold does not
    /// leave and re-enter day after day. Membership is carried day by day over every scored day
    /// up to the compared ones (see `members(of:date:margin:threshold:)`).
    ///
    /// - Parameters:
    ///   - from: The earlier day. - to: The later day.
    ///   - margin: Hysteresis margin in probability (0 … 1; default 0: the flag alone).
    ///   - threshold: The at-risk threshold; nil infers it per day as the lowest probability
    ///     among records flagged `at_risk` (right when the scorer flags p ≥ threshold).
    /// - Throws: `StoreError.unknownDate`.
    /// - Complexity: O(n log n) in the rows of the two days, plus the at-risk walk with a margin.
    public func diff(from: String, to: String, margin: Double = 0, threshold: Double? = nil) throws -> ScoreDiff {
        let a = try records(date: from)
        let b = try records(date: to)
        var lists = ScoreList.all(in: a)
        for l in ScoreList.all(in: b) where !lists.contains(l) { lists.append(l) }
        let atRiskA = try members(of: .atRisk, date: from, records: a, margin: margin, threshold: threshold)
        let atRiskB = try members(of: .atRisk, date: to, records: b, margin: margin, threshold: threshold)
        var changes: [ScoreDiff.ListChange] = []
        for list in lists {
            let before = list == .atRisk ? atRiskA : Set(a.lazy.filter(list.contains).map(\.customerID))
            let after = list == .atRisk ? atRiskB : Set(b.lazy.filter(list.contains).map(\.customerID))
            let kind: String
            switch list {
            case .atRisk, .highValue, .winBack: kind = "flag"
            case .action: kind = "action"
            case .segment: kind = "segment"
            }
            changes.append(.init(list: list.name, kind: kind, entered: after.subtracting(before).sorted(),
                                 left: before.subtracting(after).sorted(), stayed: before.intersection(after).count))
        }
        var segmentBefore = [String: String](minimumCapacity: a.count)
        for r in a where !r.segment.isEmpty { segmentBefore[r.customerID] = r.segment }
        var moves: [ScoreDiff.Move] = []
        for r in b where !r.segment.isEmpty {
            if let old = segmentBefore[r.customerID], old != r.segment {
                moves.append(.init(customerID: r.customerID, from: old, to: r.segment, reason: r.reasons.first ?? ""))
            }
        }
        return ScoreDiff(from: from, to: to, margin: margin, threshold: margin > 0 ? (threshold ?? inferredThreshold(b)) : nil,
                         lists: changes, moves: moves)
    }

    /// Customer ids on `list` on `date`; for `at-risk` with `margin > 0`, with hysteresis:
    ///
    ///     on(d) = flagged(d) ∪ { c ∈ on(d') : p_c(d) ≥ t(d) − margin }      d' = the scored day before d
    ///
    /// walked from the first scored day, where `t(d)` is `threshold` or, when nil, the lowest
    /// probability among the records flagged `at_risk` on `d` (the last known one when none is).
    ///
    /// - Throws: `StoreError.unknownDate`.
    public func members(of list: ScoreList, date: String, margin: Double = 0, threshold: Double? = nil) throws -> Set<String> {
        try members(of: list, date: date, records: records(date: date), margin: margin, threshold: threshold)
    }

    func members(of list: ScoreList, date: String, records: [ScoreRecord], margin: Double, threshold: Double?) throws -> Set<String> {
        guard list == .atRisk, margin > 0 else {
            return Set(records.lazy.filter(list.contains).map(\.customerID))
        }
        var on = Set<String>()
        var t = threshold ?? .infinity
        for d in try dates() where d <= date {
            if threshold == nil, let dayT = try inferredThreshold(date: d) { t = dayT }
            var next = Set<String>()
            for c in try atRiskCandidates(date: d, minimum: t - margin) {
                if c.flagged || (on.contains(c.customer) && c.probability >= t - margin) { next.insert(c.customer) }
            }
            on = next
        }
        // Only the at-risk universe (a customer without a probability is never a candidate above).
        return on.subtracting(records.lazy.filter { !$0.inUniverse }.map(\.customerID))
    }

    private func inferredThreshold(_ records: [ScoreRecord]) -> Double? {
        records.lazy.filter { $0.flags.contains("at_risk") }.compactMap(\.churnProbability).min()
    }

    private func inferredThreshold(date: String) throws -> Double? {
        inferredThreshold(try atRiskCandidates(date: date, minimum: .infinity).filter(\.flagged).map {
            ScoreRecord(customerID: $0.customer, date: date, modelID: "", churnProbability: $0.probability, riskTier: "",
                        predictedValue: 0, segment: "", flags: ["at_risk"], action: "", reasons: [])
        })
    }
}
