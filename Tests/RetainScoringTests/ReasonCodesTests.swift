import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainNumerics
@testable import RetainScoring

final class ReasonCodesTests: XCTestCase {
    func testTopThreePositiveContributionsInWordsLargestFirst() {
        // Contributions: recency 1*(64-10)/10 = 5.4, trend -1*(0.2-1)/0.5 = 1.6, tickets 0.5*(3-1) = 1, nps -0.5*(4-8)/2 = 1.
        let reasons = ReasonCodes.reasons(features: HandModel.features, coefficients: HandModel.coefficients, raw: [64, 0.2, 3.5, 4])
        XCTAssertEqual(reasons, ["no purchase in 64 days", "logins down 80% vs previous month", "3.50 support tickets in 30 days"])
    }

    func testOnlyRiskRaisingFeaturesAreReasons() {
        // Everything at or better than average: no reason.
        let none = ReasonCodes.reasons(features: HandModel.features, coefficients: HandModel.coefficients, raw: [5, 1.5, 0, 10])
        XCTAssertEqual(none, [])
        let one = ReasonCodes.reasons(features: HandModel.features, coefficients: HandModel.coefficients, raw: [5, 1.5, 0, 4])
        XCTAssertEqual(one, ["NPS 4 (detractor)"])
    }

    func testScorerAttachesTheSameReasons() throws {
        let input = ScoringInput(names: HandModel.names, customerIDs: ["a"], values: [64, 0.2, 3, 4, 0, 0, 100])
        let r = try Scorer(bundle: HandModel.bundle()).score(input)
        XCTAssertEqual(r.batch[0].reasons, ["no purchase in 64 days", "logins down 80% vs previous month", "3 support tickets in 30 days"])
    }

    func testTemplatesAndGenericFallback() {
        XCTAssertEqual(ReasonCodes.text(feature: "tickets_30d", value: 3, above: true), "3 support tickets in 30 days")
        XCTAssertEqual(ReasonCodes.text(feature: "nps_last", value: 4, above: false), "NPS 4 (detractor)")
        XCTAssertEqual(ReasonCodes.text(feature: "trend_login_30d", value: 0.2, above: false), "logins down 80% vs previous month")
        XCTAssertEqual(ReasonCodes.text(feature: "recency_purchase_days", value: 63.6, above: true), "no purchase in 64 days")
        XCTAssertEqual(ReasonCodes.text(feature: "bounce_rate_30d", value: 0.75, above: true), "bounce_rate_30d high (0.75)")
        XCTAssertEqual(ReasonCodes.text(feature: "csat_mean_180d", value: 2, above: false), "csat_mean_180d low (2)")
        XCTAssertEqual(ReasonCodes.text(feature: "n_login_30d", value: 0, above: false), "no login in 30 days")
    }
}
