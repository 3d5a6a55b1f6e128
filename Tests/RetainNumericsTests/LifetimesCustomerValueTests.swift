import Foundation
import XCTest
@testable import RetainCore
@testable import RetainNumerics

/// Discounted CLV against lifetimes' `customer_lifetime_value`, and the time-unit guard.
final class LifetimesCustomerValueTests: XCTestCase {
    private func lifetimesModels() throws -> (FittedBetaGeometricNBD, FittedGammaGamma, [String: Any]) {
        let fx = try LifetimesFixture.fits()
        let p = LifetimesFixture.params(fx, "bgnbd"), g = LifetimesFixture.params(fx, "gammagamma")
        return (FittedBetaGeometricNBD(params: .init(r: p["r"]!, alpha: p["alpha"]!, a: p["a"]!, b: p["b"]!), timeUnit: .week),
                FittedGammaGamma(params: .init(p: g["p"]!, q: g["q"]!, gamma: g["v"]!)), fx)
    }

    func testTwelveMonthCLVMatchesLifetimesDiscountedSumWithTrueMonthLength() throws {
        let (bg, gg, fx) = try lifetimesModels()
        let s = try CDNOW.summary()
        let n = 10
        let data = try RFMData(frequency: Array(s.x[..<n]), recency: Array(s.tx[..<n]), age: Array(s.T[..<n]))
        let clv = try CustomerLifetimeValue(periods: 12, periodUnit: .month, discountRate: 0.01)
            .values(model: bg, spend: gg, data: data, monetaryValue: Array(s.zbar[..<n]))
        let exact = (fx["gammagamma"] as! [String: Any])["clv_month_30_4375_days"] as! [Double]
        let native = (fx["gammagamma"] as! [String: Any])["clv_lifetimes_freq_W"] as! [Double]
        for i in 0..<n {
            assertRelative(clv[i], exact[i], 1e-9, "CLV customer \(i + 1)")
            // lifetimes' freq="W" steps 4.345 weeks a month instead of 4.348: within 0.1%.
            assertRelative(clv[i], native[i], 1e-3, "CLV customer \(i + 1) vs lifetimes freq=W")
        }
    }

    func testWeeklyModelWithMonthlyHorizonIsNotTreatedAsWeeks() throws {
        let (bg, _, _) = try lifetimesModels()
        let clv = CustomerLifetimeValue(periods: 12, periodUnit: .month, discountRate: 0.01)
        let (x, tx, T) = (2.0, 30.43, 38.86)
        let weekly = try clv.value(model: bg, averageValue: 35, frequency: x, recency: tx, age: T)
        // The same customer and model expressed in days or months gives the same value ...
        let daily = bg.converted(to: .day)
        let inDays = try clv.value(model: daily, averageValue: 35, frequency: x, recency: tx * 7, age: T * 7)
        let monthly = bg.converted(to: .month)
        let f = TimeUnit.week.convert(1, to: .month)
        let inMonths = try clv.value(model: monthly, averageValue: 35, frequency: x, recency: tx * f, age: T * f)
        assertRelative(inDays, weekly, 1e-12, "days vs weeks")
        assertRelative(inMonths, weekly, 1e-12, "months vs weeks")
        // ... and the horizon really is 12 months (52.2 weeks), not 12 weeks read as months.
        XCTAssertEqual(clv.periodEnds(in: .week).last!, 12 * 30.4375 / 7, accuracy: 1e-12)
        let twelveWeeks = try CustomerLifetimeValue(periods: 12, periodUnit: .week, discountRate: 0.01)
            .value(model: bg, averageValue: 35, frequency: x, recency: tx, age: T)
        XCTAssertGreaterThan(weekly, 3 * twelveWeeks)
        // Undiscounted, the CLV is E[X(52.18 weeks)] times the value.
        let flat = try CustomerLifetimeValue(periods: 12, periodUnit: .month, discountRate: 0)
            .value(model: bg, averageValue: 35, frequency: x, recency: tx, age: T)
        assertRelative(flat, 35 * bg.expectedPurchases(t: 12 * 30.4375 / 7, frequency: x, recency: tx, age: T), 1e-12, "undiscounted")
    }

    func testCLVWorksWithEveryPurchaseModel() throws {
        let s = try CDNOW.summary()
        let data = try s.rfm()
        let gg = try GammaGamma().fit(frequency: s.x, monetaryValue: s.zbar)
        let clv = CustomerLifetimeValue()
        let a = try clv.values(model: try BetaGeometricNBD().fit(data), spend: gg, data: data, monetaryValue: s.zbar)
        let b = try clv.values(model: try ParetoNBD().fit(data), spend: gg, data: data, monetaryValue: s.zbar)
        let c = try clv.values(model: try ModifiedBetaGeometricNBD().fit(data), spend: gg, data: data, monetaryValue: s.zbar)
        let meanA = a.reduce(0, +) / Double(a.count), meanB = b.reduce(0, +) / Double(b.count), meanC = c.reduce(0, +) / Double(c.count)
        // The three models agree on the average customer's year to within 10%.
        XCTAssertEqual(meanB / meanA, 1, accuracy: 0.1)
        XCTAssertEqual(meanC / meanA, 1, accuracy: 0.1)
        XCTAssertTrue(a.allSatisfy { $0 > 0 && $0.isFinite })
    }

    func testCLVThrowsOnInfiniteMeanSpendAndEmptyHorizon() throws {
        let (bg, _, _) = try lifetimesModels()
        let data = try RFMData(frequency: [1], recency: [1], age: [2])
        let heavyTail = FittedGammaGamma(params: .init(p: 2, q: 0.9, gamma: 10))
        XCTAssertThrowsError(try CustomerLifetimeValue().values(model: bg, spend: heavyTail, data: data, monetaryValue: [5])) { e in
            XCTAssertTrue("\(e)".contains("q <= 1 makes the expected spend infinite"), "\(e)")
        }
        XCTAssertThrowsError(try CustomerLifetimeValue(periods: 0).value(model: bg, averageValue: 1, frequency: 1, recency: 1, age: 2)) { e in
            XCTAssertTrue("\(e)".contains("the CLV horizon needs at least 1 period"), "\(e)")
        }
        XCTAssertThrowsError(try CustomerLifetimeValue(discountRate: -1).value(model: bg, averageValue: 1, frequency: 1, recency: 1, age: 2)) { e in
            XCTAssertTrue("\(e)".contains("the discount rate is per month and must be > -1"), "\(e)")
        }
    }
}
