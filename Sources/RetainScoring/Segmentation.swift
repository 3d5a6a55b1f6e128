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
    /// Share of the customers in the smallest segment (nil in files written before the 2% rule).
    public var smallestShare: Double?
    /// Whether this k could be chosen: every segment holds at least the minimum share (nil in older files).
    public var admissible: Bool?
    enum CodingKeys: String, CodingKey {
        case k, silhouette, inertia, admissible
        case calinskiHarabasz = "calinski_harabasz", smallestShare = "smallest_share"
    }
    public init(k: Int, silhouette: Double, calinskiHarabasz: Double, inertia: Double, smallestShare: Double? = nil, admissible: Bool? = nil) {
        self.k = k; self.silhouette = silhouette; self.calinskiHarabasz = calinskiHarabasz; self.inertia = inertia
        self.smallestShare = smallestShare; self.admissible = admissible
    }
}

/// How a segment model assigns customers: k-means centres or RFM quintile scores.
public enum SegmentMethod: String, Codable, Sendable, CaseIterable {
    /// Nearest of k centres in the standardised feature space (`SegmentBundle.centres`); scored by `retain score --segments`.
    case kmeans
    /// RFM quintile scores named by the R/F grid (`SegmentBundle.rfm`); a description of the customer base, not scored.
    case rfm
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
    /// How customers are assigned (nil in files written before RFM models: k-means).
    public var method: SegmentMethod?
    /// The RFM scoring of an RFM model (nil for k-means).
    public var rfm: RFMModel?

    /// The method, k-means for files that do not say.
    public var segmentMethod: SegmentMethod { method ?? .kmeans }

    enum CodingKeys: String, CodingKey {
        case kind, table, method, rfm
        case format, fingerprint, config, features, centres, segments, k, seed, inertia, checksum
        case formatVersion = "format_version", createdAt = "created_at", toolVersion = "tool_version", asOf = "as_of"
        case kSelection = "k_selection", kSearch = "k_search", rfmCounts = "rfm_counts"
    }

    public init(createdAt: String, toolVersion: String, asOf: String, fingerprint: DataFingerprint, config: FeatureConfig,
                features: [BundleFeature], centres: [[Double]], segments: [SegmentProfile], k: Int, kSelection: String,
                kSearch: [KSearchRow], seed: UInt64, inertia: Double, rfmCounts: [String: Int], table: TableClustering? = nil,
                method: SegmentMethod? = nil, rfm: RFMModel? = nil) {
        self.createdAt = createdAt; self.toolVersion = toolVersion; self.asOf = asOf; self.fingerprint = fingerprint
        self.config = config; self.features = features; self.centres = centres; self.segments = segments; self.k = k
        self.kSelection = kSelection; self.kSearch = kSearch; self.seed = seed; self.inertia = inertia
        self.rfmCounts = rfmCounts; self.table = table; self.method = method; self.rfm = rfm
    }

    /// The checked content: the checksum and the segment names blanked. The names are meant to be
    /// edited by hand ("fading" → "Win-back candidates"); everything else is protected.
    public func checksummedContent() -> SegmentBundle {
        var copy = self
        copy.checksum = ""
        for i in copy.segments.indices { copy.segments[i].name = "" }
        return copy
    }

    /// Reads and verifies a segment model file that assigns customers to segments (format,
    /// version, kind, checksum), naming `path` in errors.
    ///
    /// - Throws: `ScoringError` for an unreadable, foreign or damaged file, and
    ///   `ScoringError.rfmSegmentsNotScorable` for an RFM model (`AnyModel.load` reads those).
    public static func load(path: String) throws -> SegmentBundle {
        let bundle = try ModelEnvelope.load(SegmentBundle.self, path: path)
        guard bundle.segmentMethod == .kmeans else { throw ScoringError.rfmSegmentsNotScorable(path: path) }
        return bundle
    }
}

/// Segments customers at one as-of date with k-means on standardised recency / frequency /
/// monetary / activity / tenure / support features.
public enum Segmentation {
    /// The clustering features (those present in the matrix are used).
    public static let featureNames = ["recency_days", "n_purchase_90d", "sum_purchase_90d", "active_days_30d", "tenure_days", "tickets_90d"]
    /// The default `--k auto` range.
    public static let defaultKRange = 3...8
    /// The default smallest share of customers a segment of an automatically chosen k may hold.
    public static let defaultMinShare = 0.02

    public struct Result: Sendable {
        public var bundle: SegmentBundle
        /// Segment index of every row.
        public var labels: [Int]
    }

    /// Fits the segmentation.
    ///
    /// With `k == nil` every k in `kRange` (capped at rows − 1) is fitted; a k whose smallest
    /// segment holds under `minShare` of the rows is rejected, and of the others the best mean
    /// silhouette wins (on a seeded sample of at most 5,000 rows; the smaller k on a tie).
    /// Segments are named by `SegmentNaming.names` from the standardised centres.
    ///
    /// - Parameters:
    ///   - k: A fixed number of segments (the minimum share is not applied), or nil to search `kRange`.
    ///   - kRange: The ks searched, lower bound at least 2.
    ///   - minShare: Smallest share of the rows a segment may hold, in [0, 1).
    ///   - rfmCounts: Customers per RFM segment, stored beside the k-means segments.
    /// - Throws: `ScoringError.tooFewRowsForSegments`, `.invalidKRange`, `.noAdmissibleK`; `NumericsError`.
    public static func fit(_ m: FeatureMatrix, asOf: Double, config: FeatureConfig, k: Int?, kRange: ClosedRange<Int> = defaultKRange,
                           minShare: Double = defaultMinShare, useLabels: Bool = true, seed: UInt64 = 0, restarts: Int = 4,
                           rfmCounts: [String: Int] = [:], createdAt: String, toolVersion: String) throws -> Result {
        let rows = Array(0..<m.rowCount)
        let columns = featureNames.compactMap { m.names.firstIndex(of: $0) }
        let prep = Preprocessing.fit(m, rows: rows, columns: columns)
        let x = try prep.design(m, rows: rows)
        var search: [KSearchRow] = []
        var chosen: KMeansModel
        let kSelection: String
        if let k {
            guard m.rowCount >= k else { throw ScoringError.tooFewRowsForSegments(rows: m.rowCount, k: k) }
            chosen = try KMeans(clusterCount: k, restarts: restarts).fit(x, seed: seed)
            kSelection = "k = \(k) (given)"
        } else {
            guard kRange.lowerBound >= 2, minShare >= 0, minShare < 1 else { throw ScoringError.invalidKRange(kRange, minShare: minShare) }
            let upper = min(kRange.upperBound, m.rowCount - 1)
            guard upper >= kRange.lowerBound else { throw ScoringError.tooFewRowsForSegments(rows: m.rowCount, k: kRange.lowerBound) }
            var best: (Double, KMeansModel)?
            let n = Double(m.rowCount)
            for kk in kRange.lowerBound...upper {
                let model = try KMeans(clusterCount: kk, restarts: restarts).fit(x, seed: seed)
                let s = try ClusterMetrics.silhouetteScore(x, labels: model.labels, sampleLimit: 5000, seed: seed)
                let ch = try ClusterMetrics.calinskiHarabaszScore(x, labels: model.labels)
                let smallest = Double(model.sizes.min() ?? 0) / n
                let admissible = smallest >= minShare
                search.append(KSearchRow(k: kk, silhouette: s, calinskiHarabasz: ch, inertia: model.inertia,
                                         smallestShare: smallest, admissible: admissible))
                if admissible && (best == nil || s > best!.0) { best = (s, model) }
            }
            guard let winner = best?.1 else {
                throw ScoringError.noAdmissibleK(kRange.lowerBound...upper, minShare: minShare, smallestShares: Dictionary(uniqueKeysWithValues: search.map { ($0.k, $0.smallestShare ?? 0) }))
            }
            chosen = winner
            let rejected = search.filter { $0.admissible == false }.map(\.k)
            kSelection = "k = \(chosen.centroids.rows) by the best mean silhouette over k = \(kRange.lowerBound)…\(upper) (seeded sample of at most 5,000 rows)"
                + String(format: "; every segment at least %g%% of the customers", 100 * minShare)
                + (rejected.isEmpty ? "" : " (rejected: k = " + rejected.map(String.init).joined(separator: ", ") + ")")
                + "; inertia (elbow) and Calinski-Harabasz alongside"
        }
        // Profiles in original units.
        let p = m.names.count
        let label = useLabels ? m.names.lastIndex(of: "churned") : nil
        let kk = chosen.centroids.rows
        let centres = chosen.centroids.rowArrays
        var profiles: [SegmentProfile] = []
        for s in 0..<kk {
            let members = rows.filter { chosen.labels[$0] == s }
            var centroid: [String: Double] = [:]
            for (f, j) in zip(prep.features, prep.columns) {
                centroid[f.name] = members.map { let v = m.values[$0 * p + j]; return v.isNaN ? f.impute : v }.reduce(0, +) / Double(max(members.count, 1))
            }
            let churn = label.map { l in members.map { m.values[$0 * p + l] }.reduce(0, +) / Double(max(members.count, 1)) }
            profiles.append(SegmentProfile(name: "", size: members.count, share: Double(members.count) / Double(max(rows.count, 1)),
                                           centroid: centroid, churnRate: churn))
        }
        let names = SegmentNaming.names(centres: centres, features: prep.features.map(\.name), originals: profiles.map(\.centroid))
        for s in profiles.indices { profiles[s].name = names[s] }
        let bundle = SegmentBundle(
            createdAt: createdAt, toolVersion: toolVersion, asOf: formatDate(asOf), fingerprint: DataFingerprint.of(m), config: config,
            features: prep.features, centres: centres, segments: profiles, k: kk, kSelection: kSelection,
            kSearch: search, seed: seed, inertia: chosen.inertia, rfmCounts: rfmCounts, method: .kmeans)
        return Result(bundle: bundle, labels: chosen.labels)
    }
}
