import Foundation
import RetainCore
import RetainIngest
import RetainFeatures

/// RFM segmentation: recency, frequency and monetary quintile scores (1–5) of the customers with
/// a purchase, and the standard named segments of the R/F score grid.
///
/// **Inputs**, per customer, from the events with the `purchase` role strictly before the as-of
/// date T (00:00 UTC), over the whole history:
/// - R: days since the last purchase, in calendar days (`day(T) − day(last purchase)`, so a
///   purchase yesterday is 1); fewer is better.
/// - F: the number of purchase events.
/// - M: their total value (`Monetary.total`, the default) or mean value per purchase
///   (`Monetary.mean`); a purchase without a value adds 0.
///
/// **Scores** are rank quintiles over the customers with at least one purchase (see `quintiles`):
/// tied values share one score, so a quintile may hold more or fewer than a fifth of them.
/// Customers without a purchase before T get no scores and form their own group, `noPurchases`.
///
/// **Segments** come from R and F alone (the widely used R/F grid; M is reported beside it):
///
///     R \ F   1               2                    3                    4           5
///     5       new             potential loyalists  potential loyalists  champions   champions
///     4       promising       potential loyalists  potential loyalists  loyal       loyal
///     3       about to sleep  about to sleep       need attention       loyal       loyal
///     2       hibernating     hibernating          at risk              at risk     can't lose
///     1       lost            hibernating          at risk              at risk     can't lose
///
/// i.e. champions R 5 & F 4–5; loyal R 3–4 & F 4–5; potential loyalists R 4–5 & F 2–3; new R 5 & F 1;
/// promising R 4 & F 1; need attention R 3 & F 3; about to sleep R 3 & F 1–2; at risk R 1–2 & F 3–4;
/// can't lose R 1–2 & F 5; hibernating R 1–2 & F 1–2 except lost, R 1 & F 1.
public enum RFM {
    /// What M measures.
    public enum Monetary: String, Codable, Sendable, CaseIterable {
        /// Total value of the purchases before T.
        case total
        /// Mean value per purchase before T.
        case mean
    }

    /// The group of customers without a purchase before T.
    public static let noPurchases = "no purchases"

    /// The named segments in grid order (best first).
    public static let segmentNames = ["champions", "loyal", "potential loyalists", "new", "promising", "need attention",
                                      "about to sleep", "at risk", "can't lose", "hibernating", "lost"]

    /// One customer's purchases before T.
    public struct Purchases: Sendable, Equatable {
        /// Purchase events.
        public var count: Int
        /// Summed value (missing values count 0).
        public var total: Double
        /// Time of the last purchase (Unix seconds).
        public var last: Double
        public init(count: Int, total: Double, last: Double) { self.count = count; self.total = total; self.last = last }
    }

    /// One customer's RFM scores and segment.
    public struct Score: Sendable, Equatable {
        public var r: Int, f: Int, m: Int
        public var segment: String
    }

    /// Reads the purchases before `asOf` of every customer with one, by customer id.
    ///
    /// - Parameters:
    ///   - reader: A fresh reader (it reads once).
    ///   - roles: Which event types are purchases.
    ///   - asOf: T in Unix seconds; events at or after it are ignored.
    /// - Throws: What the reader throws.
    /// - Complexity: O(events), memory O(customers).
    public static func purchases(_ reader: EventLogReader, roles: RoleMap, before asOf: Double) throws -> [String: Purchases] {
        var isPurchase: [Bool] = []
        var count: [Int] = [], total: [Double] = [], last: [Double] = []
        _ = try reader.read { batch in
            let types = reader.eventTypes
            while isPurchase.count < types.count { isPurchase.append(roles.role(of: types[isPurchase.count]) == .purchase) }
            for i in 0..<batch.count where batch.time[i] < asOf && isPurchase[Int(batch.type[i])] {
                let c = Int(batch.customer[i])
                if c >= count.count {
                    let grow = c + 1 - count.count
                    count += [Int](repeating: 0, count: grow); total += [Double](repeating: 0, count: grow)
                    last += [Double](repeating: -.infinity, count: grow)
                }
                count[c] += 1
                let v = batch.value[i]
                if !v.isNaN { total[c] += v }
                last[c] = max(last[c], batch.time[i])
            }
        }
        let ids = reader.customerIDs
        var out: [String: Purchases] = [:]
        for c in count.indices where count[c] > 0 { out[ids[c]] = Purchases(count: count[c], total: total[c], last: last[c]) }
        return out
    }

    /// Scores 1–5 by rank quintile.
    ///
    /// The values are sorted from worst to best (largest first when `higherIsBetter` is false);
    /// a run of tied values at 0-based positions i…j shares the mid-rank m = (i + j) / 2, and its
    /// score is `min(5, 1 + ⌊5·m / n⌋)`. Without ties the n values split into five runs of n/5
    /// (1 1 2 2 3 3 4 4 5 5 for n = 10); ties always share a score. Missing values (NaN) rank worst.
    /// - Complexity: O(n log n).
    public static func quintiles(_ v: [Double], higherIsBetter: Bool) -> [Int] {
        let key = v.map { $0.isNaN ? -Double.infinity : (higherIsBetter ? $0 : -$0) }
        let order = key.indices.sorted { key[$0] != key[$1] ? key[$0] < key[$1] : $0 < $1 }
        var out = [Int](repeating: 1, count: v.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && key[order[j + 1]] == key[order[i]] { j += 1 }
            let mid = Double(i + j) / 2
            let score = min(5, 1 + Int(5 * mid / Double(order.count)))
            for t in i...j { out[order[t]] = score }
            i = j + 1
        }
        return out
    }

    /// The named segment of an R and an F score (1–5 each), from the grid in the type's documentation.
    public static func segment(r: Int, f: Int) -> String {
        switch (r, f) {
        case (5, 4...5): return "champions"
        case (3...4, 4...5): return "loyal"
        case (4...5, 2...3): return "potential loyalists"
        case (5, 1): return "new"
        case (4, 1): return "promising"
        case (3, 3): return "need attention"
        case (3, 1...2): return "about to sleep"
        case (1...2, 3...4): return "at risk"
        case (1...2, 5): return "can't lose"
        case (1, 1): return "lost"
        default: return "hibernating"   // R 1–2, F 1–2 but (1, 1)
        }
    }

    /// Scores customers with purchases: R from `recencyDays` (fewer is better), F from
    /// `frequency`, M from `monetary`, quintiles over these customers; the segment from R and F.
    public static func score(recencyDays: [Double], frequency: [Double], monetary: [Double]) -> [Score] {
        let r = quintiles(recencyDays, higherIsBetter: false)
        let f = quintiles(frequency, higherIsBetter: true)
        let m = quintiles(monetary, higherIsBetter: true)
        return r.indices.map { Score(r: r[$0], f: f[$0], m: m[$0], segment: segment(r: r[$0], f: f[$0])) }
    }

    /// What an RFM segmentation fitted.
    public struct Result: Sendable {
        public var bundle: SegmentBundle
        /// Scores of every row of the feature matrix (nil: no purchase before T).
        public var scores: [Score?]
    }

    /// Scores the customers of `m` (one row per customer, as of `asOf`) from their `purchases`
    /// and builds an RFM segment model: one profile per non-empty segment in grid order, then
    /// the customers without purchases.
    ///
    /// - Parameters:
    ///   - purchases: From `purchases(_:roles:before:)`; customers not in `m` are ignored.
    ///   - useLabels: Give each segment its churn rate from `m`'s `churned` column.
    /// - Returns: The bundle (method `rfm`, no centres) and each row's scores.
    public static func fit(_ m: FeatureMatrix, purchases: [String: Purchases], asOf: Double, config: FeatureConfig,
                           monetary: Monetary = .total, useLabels: Bool = true, createdAt: String, toolVersion: String) -> Result {
        let rows = Array(0..<m.rowCount)
        let bought = rows.filter { purchases[m.customerIDs[$0]] != nil }
        let asOfDay = (asOf / secondsPerDay).rounded(.down)
        let p = bought.map { purchases[m.customerIDs[$0]]! }   // every row of `bought` has purchases
        let rDays = p.map { asOfDay - ($0.last / secondsPerDay).rounded(.down) }
        let fCount = p.map { Double($0.count) }
        let mValue = p.map { monetary == .total ? $0.total : $0.total / Double($0.count) }
        let scored = score(recencyDays: rDays, frequency: fCount, monetary: mValue)
        var scores = [Score?](repeating: nil, count: m.rowCount)
        for (i, row) in bought.enumerated() { scores[row] = scored[i] }

        let cols = m.names.count
        let label = useLabels ? m.names.lastIndex(of: "churned") : nil
        var profiles: [SegmentProfile] = []
        for name in segmentNames + [noPurchases] {
            let members = name == noPurchases ? rows.filter { scores[$0] == nil }
                                              : bought.indices.filter { scored[$0].segment == name }.map { bought[$0] }
            guard !members.isEmpty else { continue }
            var centroid: [String: Double] = ["purchases": 0]
            if name != noPurchases {
                let idx = bought.indices.filter { scored[$0].segment == name }
                func mean(_ x: (Int) -> Double) -> Double { idx.map(x).reduce(0, +) / Double(idx.count) }
                centroid = ["days_since_purchase": mean { rDays[$0] }, "purchases": mean { fCount[$0] }, "monetary": mean { mValue[$0] },
                            "r": mean { Double(scored[$0].r) }, "f": mean { Double(scored[$0].f) }, "m": mean { Double(scored[$0].m) }]
            }
            let churn = label.map { l in members.map { m.values[$0 * cols + l] }.reduce(0, +) / Double(members.count) }
            profiles.append(SegmentProfile(name: name, size: members.count, share: Double(members.count) / Double(max(m.rowCount, 1)),
                                           centroid: centroid, churnRate: churn))
        }
        var ranges: [RFMScoreRange] = []
        for (dimension, values, s) in [("r", rDays, scored.map(\.r)), ("f", fCount, scored.map(\.f)), ("m", mValue, scored.map(\.m))] {
            for score in 1...5 {
                let v = values.indices.filter { s[$0] == score }.map { values[$0] }
                guard let lo = v.min(), let hi = v.max() else { continue }
                ranges.append(RFMScoreRange(dimension: dimension, score: score, customers: v.count, min: lo, max: hi))
            }
        }
        let model = RFMModel(monetary: monetary, customersWithPurchases: bought.count, customersWithoutPurchases: m.rowCount - bought.count,
                             scoreRanges: ranges)
        let bundle = SegmentBundle(
            createdAt: createdAt, toolVersion: toolVersion, asOf: formatDate(asOf), fingerprint: DataFingerprint.of(m), config: config,
            features: [], centres: [], segments: profiles, k: profiles.count,
            kSelection: "RFM quintile scores of the \(bought.count) customers with a purchase before \(formatDate(asOf)) (M = \(monetary.rawValue) purchase value), named by the R/F grid; \(m.rowCount - bought.count) without purchases apart",
            kSearch: [], seed: 0, inertia: 0, rfmCounts: Dictionary(uniqueKeysWithValues: profiles.map { ($0.name, $0.size) }),
            method: .rfm, rfm: model)
        return Result(bundle: bundle, scores: scores)
    }
}

/// The raw values behind one RFM score: R in days since the last purchase, F in purchases, M in value.
public struct RFMScoreRange: Codable, Sendable, Equatable {
    /// "r", "f" or "m".
    public var dimension: String
    public var score: Int
    public var customers: Int
    public var min: Double
    public var max: Double
}

/// How an RFM segment model scored its customers (stored in `SegmentBundle.rfm`).
public struct RFMModel: Codable, Sendable, Equatable {
    public var monetary: RFM.Monetary
    public var customersWithPurchases: Int
    public var customersWithoutPurchases: Int
    /// The value range of every score that occurs, per dimension.
    public var scoreRanges: [RFMScoreRange]
    enum CodingKeys: String, CodingKey {
        case monetary
        case customersWithPurchases = "customers_with_purchases", customersWithoutPurchases = "customers_without_purchases"
        case scoreRanges = "score_ranges"
    }
}

extension SegmentBundle {
    /// The structure of an RFM model: k named segments, no centres, the RFM description present.
    func checkRFMStructure() throws {
        guard rfm != nil else { throw StructureProblem(field: "rfm", problem: "is missing for an RFM model") }
        guard centres.isEmpty else { throw StructureProblem(field: "centres", problem: "must be empty for an RFM model") }
        try Structure.count("segments", segments.count, k, of: "segments (k)")
    }
}
