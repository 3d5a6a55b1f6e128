import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainNumerics
@testable import RetainScoring

final class DriftTests: XCTestCase {
    func testIdenticalDistributionsHaveZeroPSI() {
        let v = (1...100).map(Double.init)
        let d = BinnedDistribution.fit(name: "x", values: v)
        XCTAssertEqual(d.edges, [10, 20, 30, 40, 50, 60, 70, 80, 90])
        XCTAssertEqual(d.shares, [Double](repeating: 0.1, count: 10))
        XCTAssertEqual(d.psi(of: v), 0, accuracy: 1e-12)
        XCTAssertEqual(d.psi(of: v.reversed()), 0, accuracy: 1e-12)
    }

    func testHandComputedShiftedCase() {
        // Expected 50/50, actual 25/75: (0.25-0.5)ln(0.5) + (0.75-0.5)ln(1.5) = 0.25 ln 3 = 0.274653.
        XCTAssertEqual(Drift.psi(expected: [0.5, 0.5], actual: [0.25, 0.75]), 0.25 * log(3.0), accuracy: 1e-12)
        let d = BinnedDistribution(name: "x", edges: [0], shares: [0.5, 0.5])
        XCTAssertEqual(d.psi(of: [-1, 1, 1, 1]), 0.25 * log(3.0), accuracy: 1e-12)
        // An empty bin counts as 1e-4, not zero: PSI stays finite.
        XCTAssertTrue(Drift.psi(expected: [0.5, 0.5], actual: [0, 1]).isFinite)
    }

    func testReportNamesFeaturesAboveThreshold() {
        var b = HandModel.bundle()
        let train = (0..<1000).map { Double($0 % 100) }
        b.trainingDistribution = TrainingDistribution(
            rows: "test", features: HandModel.features.map { BinnedDistribution.fit(name: $0.name, values: train) },
            score: BinnedDistribution.fit(name: "churn_probability", values: train.map { $0 / 100 }))
        // Row-major inputs of 4 features: the first shifted up by 50, the others as in training.
        let n = 1000
        var inputs = [Double](repeating: 0, count: n * 4)
        for r in 0..<n { inputs[r * 4] = train[r] + 50; for k in 1..<4 { inputs[r * 4 + k] = train[r] } }
        let report = Drift.report(bundle: b, inputs: inputs, scores: train.map { $0 / 100 })!
        XCTAssertEqual(report.featuresOver, ["recency_purchase_days"])
        XCTAssertEqual(report.scorePSI!, 0, accuracy: 1e-12)
        XCTAssertEqual(report.featurePSI["tickets_30d"]!, 0, accuracy: 1e-12)
        XCTAssertNil(Drift.report(bundle: HandModel.bundle(), inputs: inputs, scores: []))
    }
}
