import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainNumerics
@testable import RetainScoring

final class TrainingPipelineTests: XCTestCase {
    static let asOf = Double(Timestamp.daysFromCivil(year: 2025, month: 12, day: 1)) * 86_400

    /// A labelled matrix at the settings' observation dates: churn depends on recency (plus noise),
    /// with a constant column and a fat-tailed one.
    static func matrix(_ s: TrainingSettings, customers: Int = 300, seed: UInt64 = 7) -> FeatureMatrix {
        var rng = SeededGenerator(seed: seed)
        var ids: [String] = [], asOf: [Double] = [], values: [Double] = []
        for t in s.observationDates(asOf: Self.asOf) {
            for c in 0..<customers {
                let recency = 60 * rng.nextUnit()
                let spend = 10 / (rng.nextUnit() + 0.001)
                let noise = rng.nextUnit()
                let p = 1 / (1 + exp(-(recency - 30) / 8))
                ids.append(String(format: "C%04d", c)); asOf.append(t)
                values += [recency, spend, 1, c % 7 == 0 ? .nan : noise, noise < p ? 1 : 0]
            }
        }
        return FeatureMatrix(names: ["recency_days", "sum_purchase_90d", "constant", "noise", "churned"],
                             customerIDs: ids, asOf: asOf, values: values)
    }

    func testObservationDatesEndTheirLabelWindowsByTheAsOfDate() {
        let s = TrainingSettings(horizonDays: 30, snapshots: 6, everyDays: 30)
        let d = s.observationDates(asOf: Self.asOf)
        XCTAssertEqual(d.count, 6)
        XCTAssertEqual(d, d.sorted())
        XCTAssertEqual(d.last!, Self.asOf - 30 * 86_400)
        XCTAssertEqual(d.first!, Self.asOf - 30 * 86_400 - 5 * 30 * 86_400)
        XCTAssertTrue(d.allSatisfy { $0 + 30 * 86_400 <= Self.asOf })
    }

    func testHoldoutRowsAreExactlyTheLatestDates() {
        let s = TrainingSettings(snapshots: 5, holdout: 2)
        let m = Self.matrix(s, customers: 20)
        let dates = s.observationDates(asOf: Self.asOf)
        let (train, holdout) = TrainingPipeline.split(m, dates: dates, holdout: 2)
        XCTAssertEqual(Set(holdout.map { m.asOf[$0] }), Set(dates.suffix(2)))
        XCTAssertEqual(Set(train.map { m.asOf[$0] }), Set(dates.prefix(3)))
        XCTAssertEqual(train.count + holdout.count, m.rowCount)
        XCTAssertTrue(train.allSatisfy { t in holdout.allSatisfy { m.asOf[t] < m.asOf[$0] } })
    }

    func testCrossValidationFoldsNeverTrainOnALaterDateOrAnOpenLabelWindow() {
        let day = 86_400.0
        let dates = (0..<6).map { Double($0) * 30 * day }
        let folds = TrainingPipeline.folds(trainDates: dates, horizonSeconds: 30 * day)
        XCTAssertEqual(folds.count, 5)
        for f in folds {
            XCTAssertTrue(f.trainDates.allSatisfy { $0 + 30 * day <= f.validationDate })
        }
        // A 45-day horizon with 30-day spacing: the date just before the validation date is left out.
        let gapped = TrainingPipeline.folds(trainDates: dates, horizonSeconds: 45 * day)
        XCTAssertEqual(gapped.first?.validationDate, 60 * day)
        XCTAssertEqual(gapped.first?.trainDates, [0])
        XCTAssertTrue(gapped.allSatisfy { f in f.trainDates.allSatisfy { $0 + 45 * day <= f.validationDate } })
    }

    func testPreprocessingDropsConstantColumnsImputesMedianAndLogsFatTails() {
        let s = TrainingSettings(snapshots: 2)
        let m = Self.matrix(s, customers: 200)
        let prep = Preprocessing.fit(m, rows: Array(0..<m.rowCount), columns: [0, 1, 2, 3])
        XCTAssertEqual(prep.dropped, ["constant"])
        XCTAssertEqual(prep.features.map(\.name), ["recency_days", "sum_purchase_90d", "noise"])
        XCTAssertFalse(prep.features[0].log1p)
        XCTAssertTrue(prep.features[1].log1p)
        let noise = (0..<m.rowCount).map { m.values[$0 * 5 + 3] }.filter { !$0.isNaN }.sorted()
        let median = noise.count % 2 == 1 ? noise[noise.count / 2] : (noise[noise.count / 2 - 1] + noise[noise.count / 2]) / 2
        XCTAssertEqual(prep.features[2].impute, median)
    }

    func testTrainingBeatsChanceChoosesCByCVAndIsDeterministic() throws {
        let s = TrainingSettings(snapshots: 5, holdout: 1)
        let m = Self.matrix(s)
        let a = try TrainingPipeline.train(m, asOf: Self.asOf, config: FeatureConfig(), settings: s, createdAt: "t", toolVersion: "v")
        let b = try TrainingPipeline.train(m, asOf: Self.asOf, config: FeatureConfig(), settings: s, createdAt: "t", toolVersion: "v")
        XCTAssertEqual(a.bundle, b.bundle)
        XCTAssertEqual(a.folds.count, 3)
        XCTAssertTrue(s.cGrid.contains(try XCTUnwrap(a.bundle.c)))
        let metrics = try XCTUnwrap(a.bundle.metrics, "event training always has holdout metrics")
        XCTAssertGreaterThan(metrics.auc, 0.8)
        XCTAssertEqual(metrics.observations, 300)
        XCTAssertEqual(a.holdoutRows.count, 300)
        XCTAssertFalse(a.bundle.features.contains { $0.name == "constant" })
        XCTAssertNotNil(a.bundle.calibration)
    }

    func testTooFewDatesForCrossValidationFallsBackToCEqualsOneWithANote() throws {
        let s = TrainingSettings(snapshots: 2, holdout: 1)
        let r = try TrainingPipeline.train(Self.matrix(s), asOf: Self.asOf, config: FeatureConfig(), settings: s, createdAt: "t", toolVersion: "v")
        XCTAssertEqual(r.bundle.c, 1)
        XCTAssertTrue(r.bundle.notes.contains { $0.contains("fallback") })
    }

    func testBalancedClassWeightsKeepProbabilitiesCalibrated() throws {
        let s = TrainingSettings(snapshots: 4, holdout: 1, classWeight: .balanced)
        let m = Self.matrix(s, customers: 600)
        let r = try TrainingPipeline.train(m, asOf: Self.asOf, config: FeatureConfig(), settings: s, createdAt: "t", toolVersion: "v")
        let p = try r.bundle.probabilities(m)
        let y = (0..<m.rowCount).map { m.values[$0 * 5 + 4] }
        XCTAssertEqual(p.reduce(0, +) / Double(p.count), y.reduce(0, +) / Double(y.count), accuracy: 0.03)
    }

    func testLargeHoldoutAlsoFitsIsotonicAndPicksACalibrationByCrossFitting() throws {
        let s = TrainingSettings(snapshots: 2, holdout: 1)
        let m = Self.matrix(s, customers: 1200)
        let r = try TrainingPipeline.train(m, asOf: Self.asOf, config: FeatureConfig(), settings: s, createdAt: "t", toolVersion: "v")
        let iso = try XCTUnwrap(r.bundle.isotonic)
        XCTAssertEqual(iso.p, iso.p.sorted())
        XCTAssertTrue(["platt", "isotonic"].contains(r.bundle.calibrationMethod))
        XCTAssertTrue(r.bundle.notes.contains { $0.contains("cross-fitting") })
    }
}
