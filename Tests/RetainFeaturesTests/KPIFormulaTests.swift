import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainNumerics
@testable import RetainFeatures

/// The KPI formulas on hand-computed cases, including the worked examples of the source documents.
final class KPIFormulaTests: XCTestCase {
    func testRetentionSubtractsNewCustomersFromTheEndCount() throws {
        // 10,000 at the start, 12,000 at the end, 5,000 new: 70 % (not the 20 % growth).
        XCTAssertEqual(try XCTUnwrap(KPIFormula.retentionRate(atEnd: 12_000, new: 5_000, atStart: 10_000)), 70, accuracy: 1e-12)
        XCTAssertNil(KPIFormula.retentionRate(atEnd: 5, new: 5, atStart: 0))
    }

    func testChurnIsLostOverCustomersAtStart() throws {
        XCTAssertEqual(try XCTUnwrap(KPIFormula.churnRate(lost: 100, atStart: 1_000)), 10, accuracy: 1e-12)
        XCTAssertNil(KPIFormula.churnRate(lost: 3, atStart: 0))
    }

    func testNPSIsPercentPromotersMinusPercentDetractors() throws {
        XCTAssertEqual(try XCTUnwrap(KPIFormula.nps(promoters: 300, passives: 100, detractors: 100)), 40, accuracy: 1e-12)
        XCTAssertEqual(KPIFormula.nps(promoters: 0, passives: 0, detractors: 7), -100)
        XCTAssertEqual(KPIFormula.nps(promoters: 2, passives: 0, detractors: 0), 100)
        XCTAssertNil(KPIFormula.nps(promoters: 0, passives: 0, detractors: 0))
    }

    func testNPSCategoriesFollowTheZeroToTenScale() {
        XCTAssertEqual(KPIFormula.npsCategory(10), .promoter)
        XCTAssertEqual(KPIFormula.npsCategory(9), .promoter)
        XCTAssertEqual(KPIFormula.npsCategory(8), .passive)
        XCTAssertEqual(KPIFormula.npsCategory(7), .passive)
        XCTAssertEqual(KPIFormula.npsCategory(6.9), .detractor)
        XCTAssertEqual(KPIFormula.npsCategory(0), .detractor)
        XCTAssertNil(KPIFormula.npsCategory(11))
        XCTAssertNil(KPIFormula.npsCategory(-1))
        XCTAssertNil(KPIFormula.npsCategory(.nan))
    }

    func testCSATCountsFourAndFiveAsPositive() throws {
        XCTAssertEqual(KPIFormula.isSatisfied(4), true)
        XCTAssertEqual(KPIFormula.isSatisfied(5), true)
        XCTAssertEqual(KPIFormula.isSatisfied(3), false)
        XCTAssertNil(KPIFormula.isSatisfied(0))
        XCTAssertNil(KPIFormula.isSatisfied(6))
        XCTAssertEqual(try XCTUnwrap(KPIFormula.csat(positive: 80, responses: 100)), 80, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(KPIFormula.ces(sum: 22, responses: 4)), 5.5, accuracy: 1e-12)
    }

    func testEmailRatesAreOverSends() throws {
        XCTAssertEqual(try XCTUnwrap(KPIFormula.clickThroughRate(clicks: 100, sends: 1_000)), 10, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(KPIFormula.openRate(opens: 250, sends: 1_000)), 25, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(KPIFormula.unsubscribeRate(unsubscribes: 5, sends: 1_000)), 0.5, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(KPIFormula.conversionRate(converted: 3, clickers: 12)), 25, accuracy: 1e-12)
        XCTAssertNil(KPIFormula.clickThroughRate(clicks: 1, sends: 0))
    }

    func testSocialEngagementIsInteractionsPerFollower() throws {
        // 750 likes + shares + comments with 10,000 followers: 7.5 %.
        let rate = KPIFormula.socialEngagementRate(likes: 500, shares: 150, comments: 100, followers: 10_000)
        XCTAssertEqual(try XCTUnwrap(rate), 7.5, accuracy: 1e-12)
    }

    func testWebAndSupportRates() throws {
        XCTAssertEqual(try XCTUnwrap(KPIFormula.bounceRate(singlePageSessions: 30, sessions: 120)), 25, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(KPIFormula.exitRate(exits: 40, pageViews: 160)), 25, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(KPIFormula.pagesPerSession(pageViews: 330, sessions: 120)), 2.75, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(KPIFormula.firstContactResolutionRate(resolvedAtFirstContact: 70, resolved: 80)), 87.5, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(KPIFormula.attendanceRate(attended: 60, registered: 100)), 60, accuracy: 1e-12)
    }

    func testSimpleCLVIsOrderValueTimesFrequencyTimesLifespan() throws {
        // AOV 50, 4 orders per buyer per year, 25 % yearly churn: lifespan 4 years, CLV 800.
        let lifespan = try XCTUnwrap(KPIFormula.lifespan(churnRate: 25))
        XCTAssertEqual(lifespan, 4, accuracy: 1e-12)
        XCTAssertEqual(KPIFormula.simpleCLV(averageOrderValue: 50, purchaseFrequency: 4, lifespan: lifespan), 800, accuracy: 1e-9)
        XCTAssertNil(KPIFormula.lifespan(churnRate: 0))
        XCTAssertEqual(try XCTUnwrap(KPIFormula.averageOrderValue(revenue: 300, orders: 4)), 75, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(KPIFormula.purchaseFrequency(orders: 9, customers: 6)), 1.5, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(KPIFormula.repeatPurchaseRate(repeatCustomers: 1, customers: 4)), 25, accuracy: 1e-12)
    }

    func testMonthBoundariesCutAtTheFirstOfEachMonth() {
        let d = { (s: String) -> Double in try! Timestamp.parse(s).get() }  // literal dates
        XCTAssertEqual(KPICalendar.boundaries(from: d("2025-01-15"), to: d("2025-03-01"), by: .month),
                       [d("2025-01-15"), d("2025-02-01"), d("2025-03-01")])
        XCTAssertEqual(KPICalendar.boundaries(from: d("2024-12-01"), to: d("2025-02-10"), by: .month),
                       [d("2024-12-01"), d("2025-01-01"), d("2025-02-01"), d("2025-02-10")])
        XCTAssertEqual(KPICalendar.boundaries(from: d("2025-01-01"), to: d("2026-01-01"), by: nil), [d("2025-01-01"), d("2026-01-01")])
        XCTAssertEqual(KPICalendar.boundaries(from: d("2025-01-01"), to: d("2026-01-01"), by: .month).count, 13)
    }

    func testWeekBoundariesStartOnMonday() {
        let d = { (s: String) -> Double in try! Timestamp.parse(s).get() }  // literal dates
        // 2025-03-05 is a Wednesday; the next Mondays are 03-10 and 03-17.
        XCTAssertEqual(KPICalendar.boundaries(from: d("2025-03-05"), to: d("2025-03-20"), by: .week),
                       [d("2025-03-05"), d("2025-03-10"), d("2025-03-17"), d("2025-03-20")])
        XCTAssertEqual(KPICalendar.label(index: KPICalendar.bucket(d("2025-03-05T12:00:00Z"), by: .week), by: .week), "2025-03-03")
        XCTAssertEqual(KPICalendar.label(index: KPICalendar.bucket(d("1969-12-31"), by: .month), by: .month), "1969-12")
        XCTAssertEqual(KPICalendar.bucket(d("2025-02-01"), by: .month) - KPICalendar.bucket(d("2024-12-31T23:59:59Z"), by: .month), 2)
    }
}
