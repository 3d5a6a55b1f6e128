import Foundation
import XCTest
@testable import RetainCore
@testable import RetainNumerics

/// Digamma, ₂F₁ and the incomplete-beta continued fraction against closed forms.
final class LifetimesSpecialFunctionsTests: XCTestCase {
    func testDigammaMatchesKnownValuesAndLogGammaSlope() {
        let euler = 0.57721566490153286
        XCTAssertEqual(SpecialFunctions.digamma(1), -euler, accuracy: 1e-15)
        XCTAssertEqual(SpecialFunctions.digamma(0.5), -euler - 2 * log(2), accuracy: 1e-14)
        XCTAssertEqual(SpecialFunctions.digamma(-0.5), SpecialFunctions.digamma(0.5) + 2, accuracy: 1e-13)   // ψ(x+1) = ψ(x) + 1/x
        for x in [0.01, 0.3, 2.7, 11.0, 250.0] {
            let h = 1e-5 * x
            let slope = (SpecialFunctions.logGamma(x + h) - SpecialFunctions.logGamma(x - h)) / (2 * h)
            XCTAssertEqual(SpecialFunctions.digamma(x), slope, accuracy: 1e-7 * max(1, abs(slope)), "x = \(x)")
        }
    }

    func testHypergeometricMatchesClosedFormsUpToZNearOne() {
        for z in [0.1, 0.5, 0.9, 0.99, 0.999] {
            // ₂F₁(1, 1; 2; z) = −ln(1−z)/z
            XCTAssertEqual(SpecialFunctions.logHypergeometric2F1(1, 1, 2, z), log(-log1p(-z) / z), accuracy: 1e-13, "z = \(z)")
            // ₂F₁(a, b; b; z) = (1−z)^−a
            XCTAssertEqual(SpecialFunctions.logHypergeometric2F1(2.5, 3, 3, z), -2.5 * log1p(-z), accuracy: 1e-12, "z = \(z)")
        }
        // Euler's transformation (c − a − b < 0) agrees with the direct series.
        let direct = SpecialFunctions.seriesLog2F1(3.5, 2.2, 4.1, 0.6)
        XCTAssertEqual(SpecialFunctions.logHypergeometric2F1(3.5, 2.2, 4.1, 0.6), direct, accuracy: 1e-13)
    }

    func testIncompleteBetaFractionMatchesClosedFormWithNegativeSecondParameter() {
        // B_x(1, b) = (1 − (1−x)^b) / b for any real b ≠ 0.
        for (b, x) in [(-0.6, 0.3), (-0.6, 0.95), (-1.7, 0.999), (2.5, 0.5)] {
            let expected = log(-expm1(b * log1p(-x)) / b)
            XCTAssertEqual(SpecialFunctions.logIncompleteBeta(1, b, x), expected, accuracy: 1e-12, "b = \(b), x = \(x)")
        }
    }
}
