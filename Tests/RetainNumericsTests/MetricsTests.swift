import Foundation
import XCTest
@testable import RetainCore
@testable import RetainNumerics

/// References: Fixtures/metrics/binary.{csv,json}, written by Fixtures/make_metrics_fixtures.py
/// (scikit-learn 1.9.1 for ROC AUC, average precision, log loss, Brier and the confusion matrix;
/// numpy for lift and the calibration table, which scikit-learn lacks).
final class MetricsTests: XCTestCase {
    static let tolerance = 1e-12

    /// binary.json, decoded with `JSONDecoder` (exact for repr-written doubles; `JSONSerialization`
    /// goes through `NSDecimalNumber` and can be off by an ulp).
    private struct Reference: Decodable {
        struct Confusion: Decodable {
            var threshold, tp, fp, tn, fn, precision, recall, accuracy, f1: Double
        }
        struct Lift: Decodable {
            var fraction: Double
            var top_count, positives_in_top, positives: Int
            var capture, lift: Double
        }
        struct Bin: Decodable {
            var count, positives: Int
            var mean_predicted, observed_rate, min_score, max_score: Double
        }
        var roc_auc, roc_auc_weighted, roc_auc_probability: Double
        var average_precision, average_precision_weighted, average_precision_probability: Double
        var log_loss, log_loss_weighted, brier, brier_weighted: Double
        var confusion, confusion_weighted: [Confusion]
        var lift: [Lift]
        var calibration_10, calibration_7: [Bin]
    }

    private struct Binary {
        var labels: [Double] = []
        var scores: [Double] = []
        var probabilities: [Double] = []
        var weights: [Double] = []
        var reference: Reference
    }

    private static let binary: Binary = {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/metrics")
        let json = try! Data(contentsOf: dir.appendingPathComponent("binary.json"))
        var b = Binary(reference: try! JSONDecoder().decode(Reference.self, from: json))
        let csv = try! String(contentsOf: dir.appendingPathComponent("binary.csv"), encoding: .utf8)
        for line in csv.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",").map { Double(String($0))! }
            b.labels.append(f[0])
            b.scores.append(f[1])
            b.probabilities.append(f[2])
            b.weights.append(f[3])
        }
        return b
    }()

    private func assertClose(_ actual: Double, _ expected: Double, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        let scale = max(1, abs(expected))
        XCTAssertLessThanOrEqual(abs(actual - expected), Self.tolerance * scale,
                                 "\(what): \(actual) vs reference \(expected)", file: file, line: line)
    }

    private func assertThrows(_ expression: @autoclosure () throws -> some Any, _ message: String,
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            XCTAssertEqual((error as? NumericsError)?.description, message, file: file, line: line)
        }
    }

    // MARK: ROC AUC

    func testRocAucMatchesScikitLearnWithTies() throws {
        let b = Self.binary
        XCTAssertLessThan(Set(b.scores).count, b.scores.count / 10, "fixture scores should be heavily tied")
        assertClose(try Metrics.rocAUC(labels: b.labels, scores: b.scores), b.reference.roc_auc, "ROC AUC")
        assertClose(try Metrics.rocAUC(labels: b.labels, scores: b.probabilities),
                    b.reference.roc_auc_probability, "ROC AUC (untied)")
    }

    func testRocAucWithSampleWeightsMatchesScikitLearn() throws {
        let b = Self.binary
        assertClose(try Metrics.rocAUC(labels: b.labels, scores: b.scores, weights: b.weights),
                    b.reference.roc_auc_weighted, "weighted ROC AUC")
    }

    func testRocAucCountsTiesAsOneHalf() throws {
        XCTAssertEqual(try Metrics.rocAUC(labels: [0, 0, 1, 1], scores: [0.1, 0.2, 0.3, 0.4]), 1)
        XCTAssertEqual(try Metrics.rocAUC(labels: [1, 1, 0, 0], scores: [0.1, 0.2, 0.3, 0.4]), 0)
        XCTAssertEqual(try Metrics.rocAUC(labels: [0, 1, 0, 1], scores: [0.5, 0.5, 0.5, 0.5]), 0.5)
        // Pairs (pos, neg): (0.4 vs 0.1) 1, (0.4 vs 0.4) ½, (0.2 vs 0.1) 1, (0.2 vs 0.4) 0 → 2.5 / 4.
        XCTAssertEqual(try Metrics.rocAUC(labels: [1, 0, 1, 0], scores: [0.4, 0.4, 0.2, 0.1]), 0.625)
    }

    func testRocAucThrowsWhenOnlyOneClass() {
        assertThrows(try Metrics.rocAUC(labels: [0, 0, 0], scores: [0.1, 0.5, 0.9]),
                     "invalid labels: only one class (0) is present; ROC AUC is not defined in that case. "
                        + "Evaluate on a sample that holds both churners (1) and non-churners (0).")
        // A class whose rows all weigh zero is absent too.
        assertThrows(try Metrics.rocAUC(labels: [0, 1, 1], scores: [0.1, 0.5, 0.9], weights: [0, 1, 2]),
                     "invalid labels: only one class (1) is present; ROC AUC is not defined in that case. "
                        + "Evaluate on a sample that holds both churners (1) and non-churners (0).")
    }

    // MARK: Average precision

    func testAveragePrecisionMatchesScikitLearn() throws {
        let b = Self.binary
        assertClose(try Metrics.averagePrecision(labels: b.labels, scores: b.scores),
                    b.reference.average_precision, "average precision (tied)")
        assertClose(try Metrics.averagePrecision(labels: b.labels, scores: b.probabilities),
                    b.reference.average_precision_probability, "average precision (untied)")
        assertClose(try Metrics.averagePrecision(labels: b.labels, scores: b.scores, weights: b.weights),
                    b.reference.average_precision_weighted, "weighted average precision")
    }

    func testAveragePrecisionTreatsTiedScoresAsOneStep() throws {
        // Thresholds 0.9 (1 pos of 1 row), 0.5 (rows 0.5, 0.5: 1 pos, 1 neg → P = 2/3), 0.1 (neg).
        // AP = ½·1 + ½·(2/3).
        let ap = try Metrics.averagePrecision(labels: [1, 1, 0, 0], scores: [0.9, 0.5, 0.5, 0.1])
        XCTAssertEqual(ap, 0.5 + 0.5 * (2.0 / 3.0), accuracy: 1e-15)
    }

    func testAveragePrecisionThrowsWithoutPositives() {
        assertThrows(try Metrics.averagePrecision(labels: [0, 0], scores: [0.1, 0.2]),
                     "invalid labels: no row is positive (label 1 with non-zero weight); average precision is not "
                        + "defined in that case. Evaluate on a sample that contains churners.")
    }

    // MARK: Log loss and Brier

    func testLogLossMatchesScikitLearn() throws {
        let b = Self.binary
        XCTAssertTrue(b.probabilities.contains(0) && b.probabilities.contains(1), "fixture should exercise clipping")
        assertClose(try Metrics.logLoss(labels: b.labels, probabilities: b.probabilities), b.reference.log_loss, "log loss")
        assertClose(try Metrics.logLoss(labels: b.labels, probabilities: b.probabilities, weights: b.weights),
                    b.reference.log_loss_weighted, "weighted log loss")
    }

    func testLogLossClipsCertainWrongPredictionsAtMachineEpsilon() throws {
        let worst = -Foundation.log(Double.ulpOfOne)  // 36.04365338911715
        XCTAssertEqual(try Metrics.logLoss(labels: [1], probabilities: [0]), worst)
        XCTAssertEqual(try Metrics.logLoss(labels: [0], probabilities: [1]), worst)
        XCTAssertEqual(try Metrics.logLoss(labels: [1, 0], probabilities: [1, 0]), -Foundation.log(1 - Double.ulpOfOne))
    }

    func testLogLossRejectsProbabilitiesOutsideUnitInterval() {
        assertThrows(try Metrics.logLoss(labels: [0, 1], probabilities: [0.2, 1.5]),
                     "invalid probabilities[row 2] = 1.5: log loss needs probabilities in [0, 1]; "
                        + "pass predicted probabilities, not raw scores.")
    }

    func testBrierScoreMatchesScikitLearn() throws {
        let b = Self.binary
        assertClose(try Metrics.brierScore(labels: b.labels, probabilities: b.probabilities), b.reference.brier, "Brier")
        assertClose(try Metrics.brierScore(labels: b.labels, probabilities: b.probabilities, weights: b.weights),
                    b.reference.brier_weighted, "weighted Brier")
        XCTAssertEqual(try Metrics.brierScore(labels: [1, 0], probabilities: [0.5, 0.5]), 0.25)
    }

    // MARK: Lift and capture

    func testLiftAtTopDecileOnHandComputedCase() throws {
        // 20 rows, 5 positives (base rate 0.25). Top decile = ⌈0.1·20⌉ = 2 rows: scores 0.95 (1) and 0.9 (1).
        let scores: [Double] = [0.1, 0.95, 0.3, 0.9, 0.2, 0.8, 0.15, 0.05, 0.7, 0.4,
                                0.35, 0.25, 0.6, 0.45, 0.5, 0.55, 0.65, 0.75, 0.85, 0.01]
        var labels = [Double](repeating: 0, count: 20)
        for i in [1, 3, 5, 10, 19] { labels[i] = 1 }
        let top = try Metrics.lift(labels: labels, scores: scores)
        XCTAssertEqual(top.topCount, 2)
        XCTAssertEqual(top.positivesInTop, 2)
        XCTAssertEqual(top.captureRate, 0.4)          // 2 of 5 churners
        XCTAssertEqual(top.lift, 4)                   // (2/2) / 0.25
        // Top 20% = 4 rows: 0.95 (1), 0.9 (1), 0.85 (0), 0.8 (1) → 3 of 5; lift (3/4)/0.25 = 3.
        let fifth = try Metrics.lift(labels: labels, scores: scores, topFraction: 0.2)
        XCTAssertEqual(fifth.topCount, 4)
        XCTAssertEqual(fifth.captureRate, 0.6)
        XCTAssertEqual(fifth.lift, 3)
        let all = try Metrics.lift(labels: labels, scores: scores, topFraction: 1)
        XCTAssertEqual(all.captureRate, 1)
        XCTAssertEqual(all.lift, 1)
    }

    func testLiftBreaksTiesAtTheCutByRowOrder() throws {
        // Four rows tie at 0.5; the top 2 are rows 0 and 1 (earliest), so row 2's positive is out.
        let labels: [Double] = [0, 1, 1, 0, 0, 0, 0, 0, 0, 0]
        let scores: [Double] = [0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
        let top = try Metrics.lift(labels: labels, scores: scores, topFraction: 0.2)
        XCTAssertEqual(top.topCount, 2)
        XCTAssertEqual(top.positivesInTop, 1)
        XCTAssertEqual(top.captureRate, 0.5)
    }

    func testTopCountRoundsUpButSnapsProductsThatAreIntegers() {
        XCTAssertEqual(Metrics.topCount(fraction: 0.1, of: 70), 7)     // 0.1·70 = 7.000000000000001 in Double
        XCTAssertEqual(Metrics.topCount(fraction: 0.1, of: 75), 8)     // 7.5 → 8
        XCTAssertEqual(Metrics.topCount(fraction: 0.01, of: 5), 1)     // never empty
        XCTAssertEqual(Metrics.topCount(fraction: 1.0 / 3.0, of: 1500), 500)
    }

    func testLiftMatchesNumpyReference() throws {
        let b = Self.binary
        for r in b.reference.lift {
            let f = r.fraction
            let got = try Metrics.lift(labels: b.labels, scores: b.scores, topFraction: f)
            XCTAssertEqual(got.topCount, r.top_count, "top count at \(f)")
            XCTAssertEqual(got.positivesInTop, r.positives_in_top, "positives in top at \(f)")
            XCTAssertEqual(got.positives, r.positives)
            assertClose(got.captureRate, r.capture, "capture at \(f)")
            assertClose(got.lift, r.lift, "lift at \(f)")
        }
    }

    func testLiftRejectsFractionOutsideUnitInterval() {
        assertThrows(try Metrics.lift(labels: [0, 1], scores: [0.1, 0.2], topFraction: 0),
                     "invalid topFraction = 0.0: must be in (0, 1], e.g. 0.1 for the top decile.")
    }

    // MARK: Calibration

    func testCalibrationTableMatchesNumpyReference() throws {
        let b = Self.binary
        let cases = [("calibration_10", b.probabilities, 10, b.reference.calibration_10),
                     ("calibration_7", b.scores, 7, b.reference.calibration_7)]
        for (key, scores, bins, ref) in cases {
            let table = try Metrics.calibrationTable(labels: b.labels, scores: scores, binCount: bins)
            XCTAssertEqual(table.count, ref.count)
            for (got, r) in zip(table, ref) {
                XCTAssertEqual(got.count, r.count, key)
                XCTAssertEqual(got.positives, r.positives, key)
                assertClose(got.meanScore, r.mean_predicted, "\(key) mean score")
                assertClose(got.observedRate, r.observed_rate, "\(key) observed rate")
                XCTAssertEqual(got.minScore, r.min_score, key)
                XCTAssertEqual(got.maxScore, r.max_score, key)
            }
        }
    }

    func testCalibrationTableOnHandComputedCase() throws {
        // 5 rows in 2 bins: sorted positions 0, 1, 2 → bin 0 (⌊p·2/5⌋ = 0), positions 3, 4 → bin 1.
        let table = try Metrics.calibrationTable(labels: [1, 0, 0, 1, 1], scores: [0.9, 0.1, 0.3, 0.2, 0.8], binCount: 2)
        XCTAssertEqual(table.map(\.count), [3, 2])
        XCTAssertEqual(table.map(\.positives), [1, 2])
        XCTAssertEqual(table[0].meanScore, 0.2, accuracy: 1e-15)
        XCTAssertEqual(table[1].meanScore, 0.85, accuracy: 1e-15)
        XCTAssertEqual(table[0].observedRate, 1.0 / 3.0)
        XCTAssertEqual(table[1].observedRate, 1)
        XCTAssertEqual(table.map(\.minScore), [0.1, 0.8])
        XCTAssertEqual(table.map(\.maxScore), [0.3, 0.9])
    }

    func testCalibrationTableThrowsWhenFewerRowsThanBins() {
        assertThrows(try Metrics.calibrationTable(labels: [0, 1, 0], scores: [0.1, 0.2, 0.3]),
                     "a calibration table with 10 bins needs at least 10 rows, got 3.")
    }

    // MARK: Confusion matrix

    func testConfusionMatrixMatchesScikitLearn() throws {
        let b = Self.binary
        let cases: [(String, [Double]?, [Reference.Confusion])] = [
            ("unweighted", nil, b.reference.confusion), ("weighted", b.weights, b.reference.confusion_weighted)]
        for (key, weights, ref) in cases {
            for r in ref {
                let m = try Metrics.confusionMatrix(labels: b.labels, scores: b.scores, threshold: r.threshold, weights: weights)
                let what = "\(key) at \(r.threshold)"
                assertClose(m.truePositives, r.tp, "\(what) tp")
                assertClose(m.falsePositives, r.fp, "\(what) fp")
                assertClose(m.trueNegatives, r.tn, "\(what) tn")
                assertClose(m.falseNegatives, r.fn, "\(what) fn")
                assertClose(m.precision, r.precision, "\(what) precision")
                assertClose(m.recall, r.recall, "\(what) recall")
                assertClose(m.accuracy, r.accuracy, "\(what) accuracy")
                assertClose(m.f1, r.f1, "\(what) F1")
            }
        }
    }

    func testConfusionMatrixPredictsChurnAtTheThresholdItself() throws {
        let m = try Metrics.confusionMatrix(labels: [1, 0, 1, 0], scores: [0.5, 0.5, 0.2, 0.1], threshold: 0.5)
        XCTAssertEqual([m.truePositives, m.falsePositives, m.trueNegatives, m.falseNegatives], [1, 1, 1, 1])
        XCTAssertEqual(m.precision, 0.5)
        XCTAssertEqual(m.recall, 0.5)
        XCTAssertEqual(m.f1, 0.5)
        XCTAssertEqual(m.accuracy, 0.5)
        // Nothing flagged: precision and F1 are 0 (zero_division = 0), not NaN.
        let none = try Metrics.confusionMatrix(labels: [1, 0], scores: [0.2, 0.1], threshold: 0.9)
        XCTAssertEqual(none.precision, 0)
        XCTAssertEqual(none.f1, 0)
    }

    // MARK: Input checks

    func testMetricsRejectMalformedInput() {
        assertThrows(try Metrics.rocAUC(labels: [0, 1], scores: [0.1]),
                     "dimension mismatch: ROC AUC got 2 labels but 1 scores; pass one score per label.")
        assertThrows(try Metrics.brierScore(labels: [0, 1], probabilities: [0.1, 0.2], weights: [1]),
                     "dimension mismatch: Brier score got 2 labels but 1 weights; pass one weight per label.")
        assertThrows(try Metrics.averagePrecision(labels: [], scores: []),
                     "invalid labels = [] (no rows): average precision needs at least one row.")
        assertThrows(try Metrics.rocAUC(labels: [0, 2, 1], scores: [0.1, 0.2, 0.3]),
                     "invalid labels: row 2 has label 2.0; ROC AUC expects 0 (retained) or 1 (churned).")
        assertThrows(try Metrics.lift(labels: [0, 1, 1], scores: [0.1, .nan, 0.3]),
                     "lift scores: row 2, column 1 is NaN or infinite. Clean or impute the input first.")
        assertThrows(try Metrics.logLoss(labels: [0, 1], probabilities: [0.1, 0.9], weights: [1, -2]),
                     "invalid weights[row 2] = -2.0: sample weights must be finite and non-negative.")
        assertThrows(try Metrics.logLoss(labels: [0, 1], probabilities: [0.1, 0.9], weights: [0, 0]),
                     "invalid weights = all zero: log loss needs at least one row with a positive weight.")
    }
}
