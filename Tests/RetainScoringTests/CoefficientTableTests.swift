import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainNumerics
@testable import RetainScoring

final class CoefficientTableTests: XCTestCase {
    func testChurnImpactIsTheProbabilityChangeForOneStandardDeviationFromTheAverageCustomer() {
        // Intercept 0: the average customer has p = 0.5; +1 sd with coefficient 1 gives σ(1) = 0.7310585786300049.
        let row = BundleCoefficient(feature: "x", coefficient: 1, standardError: 0.5, intercept: 0)
        XCTAssertEqual(row.churnImpactPerSD!, 0.7310585786300049 - 0.5, accuracy: 1e-15)
        XCTAssertEqual(row.oddsRatioPerSD, exp(1), accuracy: 1e-15)
        XCTAssertEqual(row.z!, 2)
        XCTAssertEqual(row.p!, 0.04550026389635842, accuracy: 1e-12, "two-sided normal p for z = 2")
        let negative = BundleCoefficient(feature: "y", coefficient: -2, standardError: nil, intercept: -1)
        let expected: Double = 1.0 / (1.0 + exp(3.0)) - 1.0 / (1.0 + exp(1.0))
        XCTAssertEqual(negative.churnImpactPerSD!, expected, accuracy: 1e-15)
        XCTAssertNil(negative.z)
    }
}
