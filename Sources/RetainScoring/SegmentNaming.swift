/// Names k-means segments from their standardised centres: unique, descriptive, deterministic.
///
/// Each centre is read on four dimensions, each the mean of its features' standardised values
/// (the centre coordinates: z-scores after imputation and log1p), with the sign that makes
/// "more" positive:
///
/// | dimension | features                                   | high word       | low word    |
/// |-----------|--------------------------------------------|-----------------|-------------|
/// | activity  | active_days_30d, −recency_days             | "active"        | "dormant" / "fading" |
/// | value     | sum_purchase_90d, n_purchase_90d           | "high-value"    | "low-spend"          |
/// | tenure    | tenure_days                                | "long-standing" | "new" / "newer"      |
/// | support   | tickets_90d                                | "support-heavy" | —                    |
///
/// A dimension without any of its features in the model is skipped. Two low words also check the
/// centre in original units, so that a word means what it says whatever the population: "dormant"
/// only when the segment's mean active days over 30 days is under 1 (else "fading"), "new" only
/// when its mean tenure is under 90 days (else "newer"); without those means, "dormant" and "new".
///
/// 1. **Traits.** A centre's traits are its dimensions ranked by |z|, largest first (ties in the
///    table's order), each with the word of its sign (a dimension without a word for that sign is
///    no trait). A trait *distinguishes* the centre when |z| ≥ `threshold` (0.5 standard deviations).
/// 2. **Name.** The first two distinguishing traits, written in the table's order from tenure to
///    activity ("new low-spend", "high-value active", "support-heavy low-spend"), with two phrases:
///    low-spend + active reads "engaged browsers", and low-spend + dormant reads "dormant" (a
///    dormant customer spends nothing lately). A centre with no distinguishing trait is "mainstream".
/// 3. **Uniqueness.** While several centres share a name, each of them adds its next trait in
///    rank order (distinguishing or not: it says on which side of the average the centre lies),
///    and the names are written again ("new high-value active" / "long-standing high-value
///    active"). Centres that still share a name after all their traits (same sign on every
///    dimension) are told apart by the dimension on which they differ most: "(more active)" /
///    "(less active)" for two, "(activity rank i of n)" for more.
public enum SegmentNaming {
    /// How far from the average (in standard deviations) a dimension must lie to name a centre.
    public static let threshold = 0.5

    /// One reading of a centre: a dimension and the side of the average it lies on.
    struct Trait: Equatable {
        var dimension: Int
        var high: Bool
        var z: Double
        var word: String
    }

    /// Mean active days (30 days) below which a low-activity segment is "dormant" rather than "fading".
    public static let dormantActiveDays = 1.0
    /// Mean tenure in days below which a short-tenure segment is "new" rather than "newer".
    public static let newTenureDays = 90.0

    /// A dimension: its features with their signs, its words, and its relative wording.
    struct Dimension {
        var name: String
        var features: [(String, Double)]
        var high: String?
        var low: String?
        var more: String
        var less: String
    }

    /// The dimensions in naming order (activity first on ties).
    static let dimensions = [
        Dimension(name: "activity", features: [("active_days_30d", 1), ("recency_days", -1)], high: "active", low: "dormant",
                  more: "more active", less: "less active"),
        Dimension(name: "value", features: [("sum_purchase_90d", 1), ("n_purchase_90d", 1)], high: "high-value", low: "low-spend",
                  more: "higher value", less: "lower value"),
        Dimension(name: "tenure", features: [("tenure_days", 1)], high: "long-standing", low: "new",
                  more: "longer-standing", less: "newer"),
        Dimension(name: "support", features: [("tickets_90d", 1)], high: "support-heavy", low: nil,
                  more: "more support", less: "less support"),
    ]
    /// Order in which words are written: tenure, support, value, activity.
    static let writingOrder = [2, 3, 1, 0]

    /// The z of each dimension at a centre (nil where the model has none of its features).
    static func profile(_ centre: [Double], features: [String]) -> [Double?] {
        dimensions.map { d in
            let zs = d.features.compactMap { f, sign in features.firstIndex(of: f).map { sign * centre[$0] } }
            return zs.isEmpty ? nil : zs.reduce(0, +) / Double(zs.count)
        }
    }

    /// A centre's traits, strongest first; `original` holds the segment's means in original units, if known.
    static func traits(_ profile: [Double?], original: [String: Double]? = nil) -> [Trait] {
        var out: [Trait] = []
        for (i, z) in profile.enumerated() {
            guard let z, z != 0 else { continue }
            let d = dimensions[i]
            guard var word = z > 0 ? d.high : d.low else { continue }
            if i == 0, z < 0, let active = original?["active_days_30d"], active >= dormantActiveDays { word = "fading" }
            if i == 2, z < 0, let tenure = original?["tenure_days"], tenure >= newTenureDays { word = "newer" }
            out.append(Trait(dimension: i, high: z > 0, z: z, word: word))
        }
        return out.enumerated().sorted { a, b in
            abs(a.element.z) != abs(b.element.z) ? abs(a.element.z) > abs(b.element.z) : a.offset < b.offset
        }.map(\.element)
    }

    /// The words of a set of traits, in writing order, with the two phrases.
    static func write(_ used: [Trait]) -> String {
        if used.isEmpty { return "mainstream" }
        var words: [String] = []
        let valueLow = used.contains { $0.dimension == 1 && !$0.high }
        let activityHigh = used.contains { $0.dimension == 0 && $0.high }
        let dormant = used.contains { $0.dimension == 0 && $0.word == "dormant" }
        for i in writingOrder {
            guard let t = used.first(where: { $0.dimension == i }) else { continue }
            if i == 1 && !t.high && (activityHigh || dormant) { continue }   // folded into the activity phrase
            if i == 0 && t.high && valueLow { words.append("engaged browsers"); continue }
            words.append(t.word)
        }
        return words.joined(separator: " ")
    }

    /// Unique names for `centres` (standardised, one value per feature in `features`); see the
    /// type's documentation for the rule.
    ///
    /// - Parameter originals: Each segment's feature means in original units (for "dormant" and
    ///   "new"); nil to name from the standardised centres alone.
    /// - Complexity: O(k² · d) for k centres and d dimensions.
    public static func names(centres: [[Double]], features: [String], originals: [[String: Double]]? = nil) -> [String] {
        let profiles = centres.map { profile($0, features: features) }
        let ranked = profiles.indices.map { traits(profiles[$0], original: originals?[$0]) }
        var used = ranked.map { t in min(2, t.prefix { abs($0.z) >= threshold }.count) }
        var names = ranked.indices.map { write(Array(ranked[$0].prefix(used[$0]))) }
        while true {
            let groups = Dictionary(grouping: names.indices, by: { names[$0] }).values.filter { $0.count > 1 }
            if groups.isEmpty { return names }
            var grew = false
            for g in groups { for c in g where used[c] < ranked[c].count { used[c] += 1; grew = true } }
            if !grew { break }
            names = ranked.indices.map { write(Array(ranked[$0].prefix(used[$0]))) }
        }
        // Same sign on every dimension: tell apart by the dimension of largest spread in the group.
        let groups = Dictionary(grouping: names.indices, by: { names[$0] }).values.filter { $0.count > 1 }.map { $0.sorted() }
        for g in groups {
            var best = (spread: -1.0, dimension: 0)
            for i in dimensions.indices {
                let zs = g.compactMap { profiles[$0][i] }
                guard zs.count == g.count, let lo = zs.min(), let hi = zs.max() else { continue }
                if hi - lo > best.spread { best = (hi - lo, i) }
            }
            let d = dimensions[best.dimension]
            let order = g.sorted { (profiles[$0][best.dimension] ?? 0, $1) > (profiles[$1][best.dimension] ?? 0, $0) }
            for (rank, c) in order.enumerated() {
                let suffix = g.count == 2 ? (rank == 0 ? d.more : d.less) : "\(d.name) rank \(rank + 1) of \(g.count)"
                names[c] += " (\(suffix))"
            }
        }
        return names
    }
}
