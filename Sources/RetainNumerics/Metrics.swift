import Foundation
import RetainCore

/// Evaluation metrics for a binary churn model: ranking (ROC AUC, average precision, lift),
/// probability quality (log loss, Brier score, calibration table) and a thresholded confusion matrix.
///
/// Conventions shared by every function:
/// - `labels` are `0` (retained) or `1` (churned), one per row, as `Double`.
/// - `scores` (or `probabilities`) are the model's outputs, one per row; higher means more likely churn.
/// - `weights`, where accepted, are optional finite, non-negative sample weights (scikit-learn's
///   `sample_weight`); `nil` weighs every row 1.
/// - Bad input throws `NumericsError`: length mismatch (`.dimensionMismatch`), no rows or bad
///   weights (`.invalidParameter`), NaN/∞ scores (`.nonFinite`), labels outside {0, 1} or a class
///   missing where the metric needs both (`.invalidLabels`).
///
/// Sums use compensated (Neumaier) summation, so results agree with scikit-learn 1.9 to about 1e-15.
public enum Metrics {

    // MARK: - Ranking

    /// Area under the ROC curve; equals `sklearn.metrics.roc_auc_score`.
    ///
    /// With `P` and `N` the (weighted) positive and negative totals, AUC is the probability that a
    /// random positive outscores a random negative, ties counting one half:
    ///
    ///     AUC = Σ_{i: y=1} Σ_{j: y=0} wᵢ·wⱼ·([sᵢ > sⱼ] + ½[sᵢ = sⱼ]) / (P·N)
    ///
    /// computed from one sort, as the trapezoidal area under the ROC curve over distinct scores
    /// (the average-rank / Mann–Whitney treatment of ties).
    ///
    /// - Parameters:
    ///   - labels: 0/1 per row.
    ///   - scores: Model scores per row (any finite values; only their order matters).
    ///   - weights: Optional sample weights.
    /// - Returns: A value in [0, 1]; 0.5 is random ranking.
    /// - Throws: `NumericsError.invalidLabels` when only one class is present (or has positive
    ///   weight): AUC is not defined then. See `Metrics` for the other checks.
    /// - Complexity: O(n log n).
    public static func rocAUC(labels: [Double], scores: [Double], weights: [Double]? = nil) throws -> Double {
        try validate(labels: labels, scores: scores, weights: weights, metric: "ROC AUC")
        let groups = thresholdGroups(labels: labels, scores: scores, weights: weights)
        let (p, n) = classTotals(groups)
        try requireBothClasses(positives: p, negatives: n, metric: "ROC AUC")
        var area = NeumaierSum()
        var tpBefore = NeumaierSum()
        for g in groups {
            if g.negatives != 0 { area.add(g.negatives * (tpBefore.value + 0.5 * g.positives)) }
            tpBefore.add(g.positives)
        }
        return area.value / (p * n)
    }

    /// Average precision; equals `sklearn.metrics.average_precision_score`.
    ///
    /// The step-wise (uninterpolated) area under the precision–recall curve, one step per distinct
    /// score threshold `t` taken in decreasing order:
    ///
    ///     AP = Σ_t (R_t − R_{t−1}) · P_t,   P_t = TP_t / (TP_t + FP_t),   R_t = TP_t / P
    ///
    /// where `TP_t`, `FP_t` are the (weighted) rows with score ≥ `t`. Tied scores form one step.
    ///
    /// - Returns: A value in [0, 1]; a random ranking scores about the base rate.
    /// - Throws: `NumericsError.invalidLabels` when no row is positive (recall is undefined).
    ///   See `Metrics` for the other checks.
    /// - Complexity: O(n log n).
    public static func averagePrecision(labels: [Double], scores: [Double], weights: [Double]? = nil) throws -> Double {
        try validate(labels: labels, scores: scores, weights: weights, metric: "average precision")
        let groups = thresholdGroups(labels: labels, scores: scores, weights: weights)
        let (p, _) = classTotals(groups)
        guard p > 0 else {
            throw NumericsError.invalidLabels(
                "no row is positive (label 1 with non-zero weight); average precision is not defined in that case. "
                    + "Evaluate on a sample that contains churners.")
        }
        var ap = NeumaierSum()
        var tp = NeumaierSum()
        var all = NeumaierSum()
        for g in groups {
            tp.add(g.positives)
            all.add(g.positives + g.negatives)
            if g.positives != 0 { ap.add((g.positives / p) * (tp.value / all.value)) }
        }
        return max(0, ap.value)
    }

    /// Lift and capture rate of the highest-scored `topFraction` of rows.
    ///
    /// Rows are ordered by score descending, ties by row index ascending (a stable, deterministic
    /// order: tied rows at the cut are split by position, not pooled). The top
    /// `m = ⌈topFraction · n⌉` rows are taken, where a product within 1e-9 (relative) of an integer
    /// counts as that integer, so 0.1 × 70 gives 7 rather than 8; `m ≥ 1`. Then
    ///
    ///     capture = positives in top / all positives
    ///     lift    = (positives in top / m) / (all positives / n)
    ///
    /// - Parameters:
    ///   - topFraction: In (0, 1]; default 0.1 (the top decile).
    /// - Returns: Capture in [0, 1] and lift in [0, n / m].
    /// - Throws: `NumericsError.invalidParameter` for a fraction outside (0, 1];
    ///   `NumericsError.invalidLabels` when no row is positive. See `Metrics` for the other checks.
    /// - Complexity: O(n log n).
    public static func lift(labels: [Double], scores: [Double], topFraction: Double = 0.1) throws -> Lift {
        try validate(labels: labels, scores: scores, weights: nil, metric: "lift")
        guard topFraction > 0, topFraction <= 1 else {
            throw NumericsError.invalidParameter(
                name: "topFraction", value: "\(topFraction)", reason: "must be in (0, 1], e.g. 0.1 for the top decile.")
        }
        let n = labels.count
        let positives = labels.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }
        guard positives > 0 else {
            throw NumericsError.invalidLabels(
                "no row is positive (label 1); lift and capture rate are not defined in that case. "
                    + "Evaluate on a sample that contains churners.")
        }
        let top = topCount(fraction: topFraction, of: n)
        let order = (0..<n).sorted { i, j in scores[i] != scores[j] ? scores[i] > scores[j] : i < j }
        var inTop = 0
        for k in 0..<top where labels[order[k]] == 1 { inTop += 1 }
        return Lift(topFraction: topFraction, rowCount: n, topCount: top, positives: positives, positivesInTop: inTop)
    }

    /// Number of rows in the top `fraction` of `n`: `⌈fraction · n⌉`, snapping products within
    /// 1e-9 (relative) of an integer to it, at least 1.
    static func topCount(fraction: Double, of n: Int) -> Int {
        let x = fraction * Double(n)
        let nearest = x.rounded()
        let m = abs(x - nearest) <= 1e-9 * max(1, x) ? nearest : x.rounded(.up)
        return min(n, max(1, Int(m)))
    }

    // MARK: - Probabilities

    /// Mean binary cross-entropy; equals `sklearn.metrics.log_loss` (natural log).
    ///
    ///     L = −Σ wᵢ·[yᵢ·log(qᵢ) + (1 − yᵢ)·log(1 − qᵢ)] / Σ wᵢ
    ///
    /// where the probability of the observed class, `pᵢ` or `1 − pᵢ`, is clipped to
    /// `[ε, 1 − ε]` with `ε = Double.ulpOfOne` (2.2e-16), as scikit-learn ≥ 1.5 clips to the
    /// dtype's machine epsilon. A confident wrong prediction therefore costs at most −log ε ≈ 36.04.
    ///
    /// - Parameters:
    ///   - probabilities: Predicted probability of class 1 per row, in [0, 1].
    /// - Returns: A value ≥ 0 (0 is perfect; −log 0.5 ≈ 0.693 is a coin flip).
    /// - Throws: `NumericsError.invalidParameter` for a probability outside [0, 1].
    ///   See `Metrics` for the other checks. One class alone is allowed.
    /// - Complexity: O(n).
    public static func logLoss(labels: [Double], probabilities: [Double], weights: [Double]? = nil) throws -> Double {
        try validate(labels: labels, scores: probabilities, weights: weights, metric: "log loss")
        try requireProbabilities(probabilities, metric: "log loss")
        let eps = Double.ulpOfOne
        var loss = NeumaierSum()
        var total = NeumaierSum()
        for i in labels.indices {
            let q = labels[i] == 1 ? probabilities[i] : 1 - probabilities[i]
            let term = -Foundation.log(min(max(q, eps), 1 - eps))
            let w = weights?[i] ?? 1
            loss.add(w * term)
            total.add(w)
        }
        return loss.value / total.value
    }

    /// Mean squared error of the predicted probability; equals `sklearn.metrics.brier_score_loss`.
    ///
    ///     B = Σ wᵢ·(yᵢ − pᵢ)² / Σ wᵢ
    ///
    /// - Returns: A value in [0, 1]; 0 is perfect, 0.25 is a constant 0.5.
    /// - Throws: `NumericsError.invalidParameter` for a probability outside [0, 1].
    ///   See `Metrics` for the other checks.
    /// - Complexity: O(n).
    public static func brierScore(labels: [Double], probabilities: [Double], weights: [Double]? = nil) throws -> Double {
        try validate(labels: labels, scores: probabilities, weights: weights, metric: "Brier score")
        try requireProbabilities(probabilities, metric: "Brier score")
        var loss = NeumaierSum()
        var total = NeumaierSum()
        for i in labels.indices {
            let d = labels[i] - probabilities[i]
            let w = weights?[i] ?? 1
            loss.add(w * d * d)
            total.add(w)
        }
        return loss.value / total.value
    }

    /// A reliability table: rows cut into `binCount` equal-count bins by score.
    ///
    /// Rows are sorted by score ascending, ties by row index ascending; the row at 0-based sorted
    /// position `p` goes to bin `⌊p · binCount / n⌋`. Bin sizes therefore differ by at most one
    /// (the rank-based analogue of `pandas.qcut(scores.rank(method="first"), binCount)`), and tied
    /// scores at a bin edge are split by row order rather than pooled. For each bin: row count,
    /// positives, mean score, observed positive rate, minimum and maximum score.
    ///
    /// - Parameters:
    ///   - binCount: At least 1; default 10 (deciles).
    /// - Returns: `binCount` bins, lowest scores first; none is empty.
    /// - Throws: `NumericsError.invalidParameter` if `binCount < 1`; `NumericsError.tooFewRows` if
    ///   there are fewer rows than bins. See `Metrics` for the other checks.
    /// - Complexity: O(n log n).
    public static func calibrationTable(labels: [Double], scores: [Double], binCount: Int = 10) throws -> [CalibrationBin] {
        try validate(labels: labels, scores: scores, weights: nil, metric: "calibration table")
        guard binCount >= 1 else {
            throw NumericsError.invalidParameter(name: "binCount", value: "\(binCount)", reason: "must be at least 1.")
        }
        let n = labels.count
        guard n >= binCount else {
            throw NumericsError.tooFewRows(rows: n, needed: binCount, context: "a calibration table with \(binCount) bins")
        }
        let order = (0..<n).sorted { i, j in scores[i] != scores[j] ? scores[i] < scores[j] : i < j }
        var bins = [CalibrationBin]()
        bins.reserveCapacity(binCount)
        var start = 0
        for b in 0..<binCount {
            // First position p with ⌊p·binCount/n⌋ > b is ⌈(b+1)·n/binCount⌉.
            let end = ((b + 1) * n + binCount - 1) / binCount
            var sum = NeumaierSum()
            var positives = 0
            for k in start..<end {
                let i = order[k]
                sum.add(scores[i])
                if labels[i] == 1 { positives += 1 }
            }
            let count = end - start
            bins.append(CalibrationBin(
                count: count, positives: positives,
                meanScore: sum.value / Double(count), observedRate: Double(positives) / Double(count),
                minScore: scores[order[start]], maxScore: scores[order[end - 1]]))
            start = end
        }
        return bins
    }

    // MARK: - Threshold

    /// The confusion matrix of the rule "predict churn when score ≥ threshold", with precision,
    /// recall, accuracy and F1; equals `sklearn.metrics.confusion_matrix` and `precision_score`,
    /// `recall_score`, `accuracy_score`, `f1_score` with `zero_division=0`.
    ///
    /// - Parameters:
    ///   - threshold: Rows with `score >= threshold` are predicted 1; default 0.5.
    ///   - weights: Optional sample weights; the four cells are then weight sums.
    /// - Throws: See `Metrics`. One class alone is allowed.
    /// - Complexity: O(n).
    public static func confusionMatrix(labels: [Double], scores: [Double], threshold: Double = 0.5,
                                       weights: [Double]? = nil) throws -> ConfusionMatrix {
        try validate(labels: labels, scores: scores, weights: weights, metric: "confusion matrix")
        guard !threshold.isNaN else {
            throw NumericsError.invalidParameter(name: "threshold", value: "nan", reason: "must be a number.")
        }
        var tp = NeumaierSum(), fp = NeumaierSum(), tn = NeumaierSum(), fn = NeumaierSum()
        for i in labels.indices {
            let w = weights?[i] ?? 1
            switch (labels[i] == 1, scores[i] >= threshold) {
            case (true, true): tp.add(w)
            case (false, true): fp.add(w)
            case (false, false): tn.add(w)
            case (true, false): fn.add(w)
            }
        }
        return ConfusionMatrix(threshold: threshold, truePositives: tp.value, falsePositives: fp.value,
                               trueNegatives: tn.value, falseNegatives: fn.value)
    }

    // MARK: - Result types

    /// Lift and capture rate of the top-scored rows (see `Metrics.lift`).
    public struct Lift: Sendable, Equatable, Codable {
        /// The requested fraction of rows, in (0, 1].
        public var topFraction: Double
        /// All rows, `n`.
        public var rowCount: Int
        /// Rows taken as the top, `⌈topFraction · n⌉`.
        public var topCount: Int
        /// Positive rows overall.
        public var positives: Int
        /// Positive rows among the top.
        public var positivesInTop: Int

        /// Share of all positives found in the top: `positivesInTop / positives`, in [0, 1].
        public var captureRate: Double { Double(positivesInTop) / Double(positives) }
        /// Positive rate overall: `positives / rowCount`.
        public var baseRate: Double { Double(positives) / Double(rowCount) }
        /// Positive rate in the top over the base rate: `(positivesInTop / topCount) / baseRate`.
        /// 1 is no better than random.
        public var lift: Double { Double(positivesInTop) * Double(rowCount) / (Double(topCount) * Double(positives)) }

        public init(topFraction: Double, rowCount: Int, topCount: Int, positives: Int, positivesInTop: Int) {
            self.topFraction = topFraction
            self.rowCount = rowCount
            self.topCount = topCount
            self.positives = positives
            self.positivesInTop = positivesInTop
        }
    }

    /// One equal-count bin of a calibration table (see `Metrics.calibrationTable`).
    public struct CalibrationBin: Sendable, Equatable, Codable {
        /// Rows in the bin.
        public var count: Int
        /// Rows labelled 1 in the bin.
        public var positives: Int
        /// Mean score (predicted probability) of the bin's rows.
        public var meanScore: Double
        /// Share of the bin's rows labelled 1: `positives / count`.
        public var observedRate: Double
        /// Lowest score in the bin.
        public var minScore: Double
        /// Highest score in the bin.
        public var maxScore: Double

        public init(count: Int, positives: Int, meanScore: Double, observedRate: Double, minScore: Double, maxScore: Double) {
            self.count = count
            self.positives = positives
            self.meanScore = meanScore
            self.observedRate = observedRate
            self.minScore = minScore
            self.maxScore = maxScore
        }
    }

    /// A 2 × 2 confusion matrix at a threshold (see `Metrics.confusionMatrix`).
    ///
    /// Cells are row counts, or weight sums when weights were given. Ratios whose denominator is
    /// zero are 0 (scikit-learn's `zero_division=0`).
    public struct ConfusionMatrix: Sendable, Equatable, Codable {
        /// Rows with `score >= threshold` are predicted 1.
        public var threshold: Double
        /// Label 1, predicted 1.
        public var truePositives: Double
        /// Label 0, predicted 1.
        public var falsePositives: Double
        /// Label 0, predicted 0.
        public var trueNegatives: Double
        /// Label 1, predicted 0.
        public var falseNegatives: Double

        public init(threshold: Double, truePositives: Double, falsePositives: Double,
                    trueNegatives: Double, falseNegatives: Double) {
            self.threshold = threshold
            self.truePositives = truePositives
            self.falsePositives = falsePositives
            self.trueNegatives = trueNegatives
            self.falseNegatives = falseNegatives
        }

        /// `tp / (tp + fp)`: the share of flagged rows that churn.
        public var precision: Double { ratio(truePositives, truePositives + falsePositives) }
        /// `tp / (tp + fn)`: the share of churners flagged.
        public var recall: Double { ratio(truePositives, truePositives + falseNegatives) }
        /// `(tp + tn) / total`.
        public var accuracy: Double {
            ratio(truePositives + trueNegatives, truePositives + falsePositives + trueNegatives + falseNegatives)
        }
        /// `2·tp / (2·tp + fp + fn)`, the harmonic mean of precision and recall.
        public var f1: Double { ratio(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives) }

        private func ratio(_ a: Double, _ b: Double) -> Double { b == 0 ? 0 : a / b }
    }

    // MARK: - Shared machinery

    /// Neumaier's compensated sum: error O(ε) independent of the number of terms.
    struct NeumaierSum {
        private var sum = 0.0
        private var compensation = 0.0

        @inline(__always)
        mutating func add(_ x: Double) {
            let t = sum + x
            if abs(sum) >= abs(x) {
                compensation += (sum - t) + x
            } else {
                compensation += (x - t) + sum
            }
            sum = t
        }

        var value: Double { sum + compensation }
    }

    /// Weighted positives and negatives sharing one score.
    struct ThresholdGroup {
        var positives: Double
        var negatives: Double
    }

    /// Rows grouped by distinct score, highest score first, with (weighted) class counts.
    static func thresholdGroups(labels: [Double], scores: [Double], weights: [Double]?) -> [ThresholdGroup] {
        var rows = (0..<labels.count).map { (score: scores[$0], index: $0) }
        rows.sort { $0.score > $1.score }
        var groups = [ThresholdGroup]()
        var k = 0
        while k < rows.count {
            var pos = NeumaierSum(), neg = NeumaierSum()
            let s = rows[k].score
            while k < rows.count && rows[k].score == s {
                let i = rows[k].index
                let w = weights?[i] ?? 1
                if labels[i] == 1 { pos.add(w) } else { neg.add(w) }
                k += 1
            }
            groups.append(ThresholdGroup(positives: pos.value, negatives: neg.value))
        }
        return groups
    }

    static func classTotals(_ groups: [ThresholdGroup]) -> (positives: Double, negatives: Double) {
        var p = NeumaierSum(), n = NeumaierSum()
        for g in groups {
            p.add(g.positives)
            n.add(g.negatives)
        }
        return (p.value, n.value)
    }

    static func requireBothClasses(positives: Double, negatives: Double, metric: String) throws {
        guard positives > 0, negatives > 0 else {
            let present = positives > 0 ? "1" : "0"
            throw NumericsError.invalidLabels(
                "only one class (\(present)) is present; \(metric) is not defined in that case. "
                    + "Evaluate on a sample that holds both churners (1) and non-churners (0).")
        }
    }

    /// Checks lengths, emptiness, labels in {0, 1}, finite scores and valid weights.
    static func validate(labels: [Double], scores: [Double], weights: [Double]?, metric: String) throws {
        guard labels.count == scores.count else {
            throw NumericsError.dimensionMismatch(
                "\(metric) got \(labels.count) labels but \(scores.count) scores; pass one score per label.")
        }
        if let w = weights, w.count != labels.count {
            throw NumericsError.dimensionMismatch(
                "\(metric) got \(labels.count) labels but \(w.count) weights; pass one weight per label.")
        }
        guard !labels.isEmpty else {
            throw NumericsError.invalidParameter(name: "labels", value: "[] (no rows)", reason: "\(metric) needs at least one row.")
        }
        for (i, y) in labels.enumerated() where y != 0 && y != 1 {
            throw NumericsError.invalidLabels("row \(i + 1) has label \(y); \(metric) expects 0 (retained) or 1 (churned).")
        }
        for (i, s) in scores.enumerated() where !s.isFinite {
            throw NumericsError.nonFinite(row: i, column: 0, context: "\(metric) scores")
        }
        if let w = weights {
            var any = false
            for (i, v) in w.enumerated() {
                guard v.isFinite, v >= 0 else {
                    throw NumericsError.invalidParameter(
                        name: "weights[row \(i + 1)]", value: "\(v)", reason: "sample weights must be finite and non-negative.")
                }
                if v > 0 { any = true }
            }
            guard any else {
                throw NumericsError.invalidParameter(
                    name: "weights", value: "all zero", reason: "\(metric) needs at least one row with a positive weight.")
            }
        }
    }

    static func requireProbabilities(_ p: [Double], metric: String) throws {
        for (i, v) in p.enumerated() where !(v >= 0 && v <= 1) {
            throw NumericsError.invalidParameter(
                name: "probabilities[row \(i + 1)]", value: "\(v)",
                reason: "\(metric) needs probabilities in [0, 1]; pass predicted probabilities, not raw scores.")
        }
    }
}
