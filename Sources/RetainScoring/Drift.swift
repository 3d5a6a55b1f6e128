import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics

/// A variable's distribution on the training rows: up to 9 distinct interior quantile edges (deciles)
/// and the share of rows in each bin `(-inf, e1], (e1, e2], …, (e_last, +inf)`.
public struct BinnedDistribution: Codable, Sendable, Equatable {
    public var name: String
    public var edges: [Double]
    public var shares: [Double]

    public init(name: String, edges: [Double], shares: [Double]) { self.name = name; self.edges = edges; self.shares = shares }

    /// Decile edges of `values` (duplicates removed) and the shares of `values` in the bins.
    public static func fit(name: String, values: [Double], bins: Int = 10) -> BinnedDistribution {
        let v = values.filter { !$0.isNaN }.sorted()
        guard !v.isEmpty else { return BinnedDistribution(name: name, edges: [], shares: [1]) }
        var edges: [Double] = []
        for i in 1..<bins {
            let idx = Int((Double(i) / Double(bins) * Double(v.count)).rounded(.up)) - 1
            let e = v[max(0, min(v.count - 1, idx))]
            if edges.last != e { edges.append(e) }
        }
        if edges.last == v.last { edges.removeLast() }
        var d = BinnedDistribution(name: name, edges: edges, shares: [])
        d.shares = d.shares(of: v)
        return d
    }

    /// Bin index of `x`: the number of edges strictly below it.
    @inline(__always) public func bin(_ x: Double) -> Int {
        var lo = 0, hi = edges.count
        while lo < hi { let mid = (lo + hi) / 2; if x > edges[mid] { lo = mid + 1 } else { hi = mid } }
        return lo
    }

    /// Shares of `values` (NaN ignored) in this distribution's bins.
    public func shares(of values: [Double]) -> [Double] {
        var counts = [Double](repeating: 0, count: edges.count + 1)
        var n = 0.0
        for x in values where !x.isNaN { counts[bin(x)] += 1; n += 1 }
        return n > 0 ? counts.map { $0 / n } : counts
    }

    /// Population stability index of `values` against this distribution.
    public func psi(of values: [Double]) -> Double { Drift.psi(expected: shares, actual: shares(of: values)) }
}

/// What the training data looked like, stored in the bundle for drift checks: the raw (imputed)
/// model features and the calibrated churn probability on the latest observation date's rows.
public struct TrainingDistribution: Codable, Sendable, Equatable {
    /// Which rows (e.g. "latest observation date 2025-11-01, 4021 rows").
    public var rows: String
    public var features: [BinnedDistribution]
    public var score: BinnedDistribution

    public init(rows: String, features: [BinnedDistribution], score: BinnedDistribution) {
        self.rows = rows; self.features = features; self.score = score
    }
}

/// Drift of a scoring population against the training distribution.
public struct DriftReport: Sendable, Equatable, Codable {
    public var scorePSI: Double?
    /// PSI per feature, in the bundle's feature order.
    public var featurePSI: [String: Double]
    /// Features with PSI above the threshold, largest first.
    public var featuresOver: [String]
    public var threshold: Double

    enum CodingKeys: String, CodingKey {
        case threshold
        case scorePSI = "score_psi", featurePSI = "feature_psi", featuresOver = "features_over_0_2"
    }
}

/// Population stability index (PSI) and drift checks.
public enum Drift {
    /// Shares below this count as this (so empty bins do not give infinite PSI).
    public static let epsilon = 1e-4
    /// PSI above this is a warning (the usual rule of thumb: < 0.1 stable, 0.1–0.2 moderate, > 0.2 shifted).
    public static let warningThreshold = 0.2

    /// PSI = Σ (actual − expected) · ln(actual / expected) over bins, shares floored at `epsilon`.
    public static func psi(expected: [Double], actual: [Double]) -> Double {
        zip(expected, actual).reduce(0) { s, pair in
            let e = max(pair.0, epsilon), a = max(pair.1, epsilon)
            return s + (a - e) * log(a / e)
        }
    }

    /// Fits the training distribution: the model features (missing → the bundle's impute value)
    /// and the scores on `rows` of a row-major matrix with `p` columns, features at `columns`.
    public static func fit(values: [Double], p: Int, rows: [Int], columns: [Int], features: [BundleFeature],
                           scores: [Double], rowsDescription: String) -> TrainingDistribution {
        let dists = zip(features, columns).map { f, j in
            BinnedDistribution.fit(name: f.name, values: rows.map { let x = values[$0 * p + j]; return x.isNaN ? f.impute : x })
        }
        return TrainingDistribution(rows: rowsDescription, features: dists, score: BinnedDistribution.fit(name: "churn_probability", values: scores))
    }

    /// Drift of scored rows: `inputs` holds each row's raw model features (row-major, the bundle's
    /// order), `scores` the probabilities. Nil when the bundle stores no training distribution.
    public static func report(bundle: ModelBundle, inputs: [Double], scores: [Double], threshold: Double = warningThreshold) -> DriftReport? {
        guard let td = bundle.trainingDistribution else { return nil }
        let q = bundle.features.count, n = scores.count
        let byName = Dictionary(td.features.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var counts: [[Double]] = []
        for (k, f) in bundle.features.enumerated() {
            guard let d = byName[f.name] else { counts.append([]); continue }
            var c = [Double](repeating: 0, count: d.edges.count + 1)
            for r in 0..<n { let x = inputs[r * q + k]; c[d.bin(x.isNaN ? f.impute : x)] += 1 }
            counts.append(c)
        }
        return report(bundle: bundle, featureCounts: counts, scores: scores, threshold: threshold)
    }

    /// Drift from bin counts per model feature (in the bundle's order, against its stored bins) and the scores.
    public static func report(bundle: ModelBundle, featureCounts: [[Double]], scores: [Double], threshold: Double = warningThreshold) -> DriftReport? {
        guard let td = bundle.trainingDistribution else { return nil }
        var psi: [String: Double] = [:]
        let byName = Dictionary(td.features.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (k, f) in bundle.features.enumerated() where k < featureCounts.count {
            guard let d = byName[f.name], featureCounts[k].count == d.shares.count else { continue }
            let total = featureCounts[k].reduce(0, +)
            guard total > 0 else { continue }
            psi[f.name] = Drift.psi(expected: d.shares, actual: featureCounts[k].map { $0 / total })
        }
        let over = psi.filter { $0.value > threshold }.sorted { $0.value > $1.value }.map(\.key)
        return DriftReport(scorePSI: scores.isEmpty ? nil : td.score.psi(of: scores), featurePSI: psi, featuresOver: over, threshold: threshold)
    }
}
