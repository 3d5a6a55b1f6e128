import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics

/// One segment's profile: size, share, centroid in original units, churn rate where labels exist, and a name.
public struct SegmentProfile: Codable, Sendable, Equatable {
    public var name: String
    public var size: Int
    public var share: Double
    /// Mean of each segmentation feature over the segment's customers, in original units (missing → training median).
    public var centroid: [String: Double]
    /// Share churned in [T, T + horizon), when the log covers the horizon.
    public var churnRate: Double?
    enum CodingKeys: String, CodingKey { case name, size, share, centroid; case churnRate = "churn_rate" }
    public init(name: String, size: Int, share: Double, centroid: [String: Double], churnRate: Double?) {
        self.name = name; self.size = size; self.share = share; self.centroid = centroid; self.churnRate = churnRate
    }
}

/// Quality of one k in the `--k auto` search.
public struct KSearchRow: Codable, Sendable, Equatable {
    public var k: Int
    public var silhouette: Double
    public var calinskiHarabasz: Double
    public var inertia: Double
    enum CodingKeys: String, CodingKey { case k, silhouette, inertia; case calinskiHarabasz = "calinski_harabasz" }
}

/// RFM quintile scores: R (recency: recent = 5), F (purchases), M (spend), 1–5 each, and the usual names.
public enum RFM {
    /// Scores 1–5 by rank quintile: a value's score is 1 + ⌊5 · midrank / n⌋, where tied values
    /// share the mean of their rank positions (so ties always get the same score). Missing values
    /// rank worst. `higherIsBetter: false` scores the smallest values 5 (recency).
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

    /// The usual segment name for an (R, F, M) score.
    public static func name(r: Int, f: Int, m: Int) -> String {
        switch (r, f) {
        case (4...5, 4...5) where m >= 4: return "Champions"
        case (_, 4...5) where r >= 3: return "Loyal"
        case (5, 1): return "New customers"
        case (4...5, 1...3): return "Potential loyalists"
        case (1, 4...5): return "Can't lose them"
        case (1...2, 3...5): return "At risk"
        case (3, 1...2): return "About to sleep"
        case (1, 1): return "Lost"
        case (1...2, 1...2): return "Hibernating"
        default: return "Need attention"
        }
    }
}

/// Names a segment from its profile, relative to the whole population's medians.
///
/// Rules, in order: mean tenure under 60 days → "new"; no activity in 30 days (mean active days
/// < 0.5) and recency over 60 days → "dormant"; recency above the population median and
/// engagement below it → "fading"; spend ≥ 1.5 × the population mean and recency at most the
/// median → "high-value active"; otherwise "active" (or "occasional" when engagement is below the median).
public enum SegmentNaming {
    public static func name(_ c: [String: Double], population p: [String: Double]) -> String {
        func v(_ k: String, _ d: [String: Double]) -> Double { d[k] ?? .nan }
        if v("tenure_days", c) < 60 { return "new" }
        if v("active_days_30d", c) < 0.5 && v("recency_days", c) > 60 { return "dormant" }
        if v("recency_days", c) > v("recency_days", p) && v("active_days_30d", c) < v("active_days_30d", p) { return "fading" }
        if v("sum_purchase_90d", c) >= 1.5 * v("sum_purchase_90d_mean", p) && v("recency_days", c) <= v("recency_days", p) { return "high-value active" }
        return v("active_days_30d", c) < v("active_days_30d", p) ? "occasional" : "active"
    }

    /// Makes names unique by numbering repeats: "fading", "fading 2".
    public static func unique(_ names: [String]) -> [String] {
        var seen: [String: Int] = [:]
        return names.map { n in
            seen[n, default: 0] += 1
            return seen[n]! == 1 ? n : "\(n) \(seen[n]!)"
        }
    }
}

/// How a segmentation of a prepared table was fitted (absent for segmentations of event history).
public struct TableClustering: Codable, Sendable, Equatable {
    /// The table it was fitted on (as given).
    public var source: String
    /// Whether the columns were standardised before clustering (else the features' mean is 0 and scale 1).
    public var standardized: Bool
    public var iterations: Int
    public var converged: Bool
    public var restarts: Int
    public init(source: String, standardized: Bool, iterations: Int, converged: Bool, restarts: Int) {
        self.source = source; self.standardized = standardized; self.iterations = iterations; self.converged = converged; self.restarts = restarts
    }
}

/// A fitted customer segmentation, stored as a model file of kind `segments` (see `ModelEnvelope`).
///
/// From event history (`SegmentationRun.fromEvents`) or from a prepared table
/// (`SegmentationRun.fromTable`, with `table` set); either way a customer's segment is the nearest
/// of `centres` after each feature's `apply` (impute, optional log1p, standardise).
public struct SegmentBundle: ModelPayload, Equatable {
    public static let kind = ModelKind.segments

    public var format: String = ModelEnvelope.formatName
    public var formatVersion: Int = ModelEnvelope.formatVersion
    public var kind: ModelKind = .segments
    public var createdAt: String
    public var toolVersion: String
    /// The as-of date (YYYY-MM-DD); empty for a segmentation of a prepared table.
    public var asOf: String
    public var fingerprint: DataFingerprint
    public var config: FeatureConfig
    /// Clustering inputs: impute, log1p, standardise (as in the churn bundle).
    public var features: [BundleFeature]
    /// Centres in the standardised space, one per segment.
    public var centres: [[Double]]
    public var segments: [SegmentProfile]
    public var k: Int
    public var kSelection: String
    public var kSearch: [KSearchRow]
    public var seed: UInt64
    public var inertia: Double
    /// Customers per RFM name at the as-of date (empty for a prepared table).
    public var rfmCounts: [String: Int]
    public var checksum: String = ""
    /// How a table segmentation was fitted (nil for event history).
    public var table: TableClustering?

    enum CodingKeys: String, CodingKey {
        case kind, table
        case format, fingerprint, config, features, centres, segments, k, seed, inertia, checksum
        case formatVersion = "format_version", createdAt = "created_at", toolVersion = "tool_version", asOf = "as_of"
        case kSelection = "k_selection", kSearch = "k_search", rfmCounts = "rfm_counts"
    }

    public init(createdAt: String, toolVersion: String, asOf: String, fingerprint: DataFingerprint, config: FeatureConfig,
                features: [BundleFeature], centres: [[Double]], segments: [SegmentProfile], k: Int, kSelection: String,
                kSearch: [KSearchRow], seed: UInt64, inertia: Double, rfmCounts: [String: Int], table: TableClustering? = nil) {
        self.createdAt = createdAt; self.toolVersion = toolVersion; self.asOf = asOf; self.fingerprint = fingerprint
        self.config = config; self.features = features; self.centres = centres; self.segments = segments; self.k = k
        self.kSelection = kSelection; self.kSearch = kSearch; self.seed = seed; self.inertia = inertia
        self.rfmCounts = rfmCounts; self.table = table
    }

    /// The checked content: the checksum and the segment names blanked. The names are meant to be
    /// edited by hand ("fading" → "Win-back candidates"); everything else is protected.
    public func checksummedContent() -> SegmentBundle {
        var copy = self
        copy.checksum = ""
        for i in copy.segments.indices { copy.segments[i].name = "" }
        return copy
    }

    /// Reads and verifies a segment model file (format, version, kind, checksum), naming `path` in errors.
    public static func load(path: String) throws -> SegmentBundle {
        try ModelEnvelope.load(SegmentBundle.self, path: path)
    }
}

/// Segments customers at one as-of date with k-means on standardised recency / frequency /
/// monetary / engagement / tenure features.
public enum Segmentation {
    /// The clustering features (those present in the matrix are used).
    public static let featureNames = ["recency_days", "n_purchase_90d", "sum_purchase_90d", "active_days_30d", "tenure_days"]

    public struct Result: Sendable {
        public var bundle: SegmentBundle
        /// Segment index of every row.
        public var labels: [Int]
        /// RFM scores and names per row.
        public var rfm: [(r: Int, f: Int, m: Int, name: String)]
    }

    /// Fits the segmentation. `k == nil` searches 2…10 by silhouette (on a seeded sample of at most 5,000 rows).
    public static func fit(_ m: FeatureMatrix, asOf: Double, config: FeatureConfig, k: Int?, useLabels: Bool = true, seed: UInt64 = 0,
                           restarts: Int = 4, createdAt: String, toolVersion: String) throws -> Result {
        let rows = Array(0..<m.rowCount)
        let columns = featureNames.compactMap { m.names.firstIndex(of: $0) }
        let prep = Preprocessing.fit(m, rows: rows, columns: columns)
        let x = try prep.design(m, rows: rows)
        var search: [KSearchRow] = []
        var chosen: KMeansModel
        let kSelection: String
        if let k {
            chosen = try KMeans(clusterCount: k, restarts: restarts).fit(x, seed: seed)
            kSelection = "k = \(k) (given)"
        } else {
            var best: (Double, KMeansModel)?
            for kk in 2...min(10, max(2, m.rowCount - 1)) {
                let model = try KMeans(clusterCount: kk, restarts: restarts).fit(x, seed: seed)
                let s = try ClusterMetrics.silhouetteScore(x, labels: model.labels, sampleLimit: 5000, seed: seed)
                let ch = try ClusterMetrics.calinskiHarabaszScore(x, labels: model.labels)
                search.append(KSearchRow(k: kk, silhouette: s, calinskiHarabasz: ch, inertia: model.inertia))
                if best == nil || s > best!.0 { best = (s, model) }
            }
            chosen = best!.1
            kSelection = "k = \(chosen.centroids.rows) by the best mean silhouette over k = 2…\(search.last?.k ?? 2) (seeded sample of at most 5,000 rows); inertia (elbow) and Calinski-Harabasz alongside"
        }
        // Profiles in original units.
        let p = m.names.count
        let label = useLabels ? m.names.lastIndex(of: "churned") : nil
        var population: [String: Double] = [:]
        for (f, j) in zip(prep.features, prep.columns) {
            let col = rows.map { m.values[$0 * p + j] }.map { $0.isNaN ? f.impute : $0 }.sorted()
            population[f.name] = col[col.count / 2]
            population[f.name + "_mean"] = col.reduce(0, +) / Double(col.count)
        }
        let kk = chosen.centroids.rows
        var profiles: [SegmentProfile] = []
        for s in 0..<kk {
            let members = rows.filter { chosen.labels[$0] == s }
            var centroid: [String: Double] = [:]
            for (f, j) in zip(prep.features, prep.columns) {
                centroid[f.name] = members.map { let v = m.values[$0 * p + j]; return v.isNaN ? f.impute : v }.reduce(0, +) / Double(max(members.count, 1))
            }
            let churn = label.map { l in members.map { m.values[$0 * p + l] }.reduce(0, +) / Double(max(members.count, 1)) }
            profiles.append(SegmentProfile(name: SegmentNaming.name(centroid, population: population), size: members.count,
                                           share: Double(members.count) / Double(max(rows.count, 1)), centroid: centroid, churnRate: churn))
        }
        let names = SegmentNaming.unique(profiles.map(\.name))
        for i in profiles.indices { profiles[i].name = names[i] }
        // RFM.
        func column(_ n: String) -> [Double] { m.names.firstIndex(of: n).map { j in rows.map { m.values[$0 * p + j] } } ?? rows.map { _ in 0 } }
        let r = RFM.quintiles(column("recency_days"), higherIsBetter: false)
        let f = RFM.quintiles(column("n_purchase_90d"), higherIsBetter: true)
        let mm = RFM.quintiles(column("sum_purchase_90d"), higherIsBetter: true)
        let rfm = rows.map { (r: r[$0], f: f[$0], m: mm[$0], name: RFM.name(r: r[$0], f: f[$0], m: mm[$0])) }
        var counts: [String: Int] = [:]
        for x in rfm { counts[x.name, default: 0] += 1 }
        let bundle = SegmentBundle(
            createdAt: createdAt, toolVersion: toolVersion, asOf: formatDate(asOf), fingerprint: DataFingerprint.of(m), config: config,
            features: prep.features, centres: chosen.centroids.rowArrays, segments: profiles, k: kk, kSelection: kSelection,
            kSearch: search, seed: seed, inertia: chosen.inertia, rfmCounts: counts)
        return Result(bundle: bundle, labels: chosen.labels, rfm: rfm)
    }
}
