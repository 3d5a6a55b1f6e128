import Foundation
import XCTest
@testable import RetainCore
@testable import RetainNumerics

/// RFM summaries from transaction logs against the published CDNOW summary and lifetimes'
/// `calibration_and_holdout_data(freq="D")` (Fixtures/make_lifetimes_fixtures.py).
final class LifetimesRFMSummaryTests: XCTestCase {
    static let calibrationEnd = Double(CDNOW.dayNumber("19970930"))
    static let observationEnd = Double(CDNOW.dayNumber("19980630"))

    private func cdnowSummary(_ unit: TimeUnit = .week) throws -> RFMSummary {
        let t = try CDNOW.sampleTransactions()
        return try RFMSummary(customers: t.customer, times: t.day, values: t.value,
                              calibrationEnd: Self.calibrationEnd, observationEnd: Self.observationEnd, timeUnit: unit)
    }

    func testSummaryOfCDNOWSampleEqualsPublishedSummaryInWeeks() throws {
        let s = try cdnowSummary()
        let ref = try CDNOW.summary()
        XCTAssertEqual(s.customers, ref.id)
        XCTAssertEqual(s.frequency, ref.x)
        func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }
        for i in 0..<ref.id.count {
            XCTAssertEqual(round2(s.recency[i]), ref.tx[i], accuracy: 1e-9, "t_x of customer \(ref.id[i])")
            XCTAssertEqual(round2(s.age[i]), ref.T[i], accuracy: 1e-9, "T of customer \(ref.id[i])")
            XCTAssertEqual(s.monetaryValue[i], ref.zbar[i], accuracy: 0.0051, "zbar of customer \(ref.id[i])")
        }
        XCTAssertEqual(s.durationHoldout, 39, accuracy: 1e-12)
    }

    func testSummaryEqualsLifetimesCalibrationAndHoldoutInDays() throws {
        let s = try cdnowSummary(.day)
        let fx = try Fixture.csv("lifetimes/cdnow_sample_calibration_holdout.csv")
        let col = Dictionary(uniqueKeysWithValues: fx.header.enumerated().map { ($1, $0) })
        XCTAssertEqual(fx.rows.count, s.customers.count)
        var rawMeanDiffers = 0
        for (i, row) in fx.rows.enumerated() {
            XCTAssertEqual(Double(s.customers[i]), row[col["id"]!])
            XCTAssertEqual(s.frequency[i], row[col["frequency_cal"]!])
            XCTAssertEqual(s.recency[i], row[col["recency_cal"]!])
            XCTAssertEqual(s.age[i], row[col["T_cal"]!])
            XCTAssertEqual(s.monetaryValue[i], row[col["monetary_value_cal"]!], accuracy: 1e-8)
            XCTAssertEqual(s.frequencyHoldout[i], row[col["frequency_holdout"]!])
            XCTAssertEqual(s.monetaryValueHoldout[i], row[col["monetary_value_holdout_per_day"]!], accuracy: 1e-8)
            if abs(s.monetaryValueHoldout[i] - row[col["monetary_value_holdout"]!]) > 1e-8 { rawMeanDiffers += 1 }
            XCTAssertEqual(s.durationHoldout, row[col["duration_holdout"]!])
        }
        // lifetimes averages raw holdout transactions; customers with several purchases on one holdout day differ.
        XCTAssertEqual(rawMeanDiffers, 49)
    }

    func testFitOnSummaryBuiltFromTransactionsIsCloseToPublishedFit() throws {
        let m = try BetaGeometricNBD().fit(try cdnowSummary().data)
        // Unrounded weeks (days / 7) instead of the CSV's two decimals move the fit only in the 4th digit.
        XCTAssertEqual(m.params.r, 0.243, accuracy: 0.001)
        XCTAssertEqual(m.params.alpha, 4.414, accuracy: 0.01)
        XCTAssertEqual(m.params.a, 0.793, accuracy: 0.002)
        XCTAssertEqual(m.params.b, 2.426, accuracy: 0.01)
    }

    func testSameDayPurchasesCountAsOneTransactionWithSummedValue() throws {
        // Customer 7: day 0 (first), day 10 twice (10 + 30), day 20.5 (time of day), day 40 (holdout), day 60 (after the end).
        let s = try RFMSummary(customers: [7, 7, 7, 7, 7, 7], times: [0, 10, 10.9, 20.5, 40, 60],
                               values: [5, 10, 30, 20, 8, 100], calibrationEnd: 28, observationEnd: 55, timeUnit: .day)
        XCTAssertEqual(s.customers, [7])
        XCTAssertEqual(s.frequency, [2])
        XCTAssertEqual(s.recency, [20])
        XCTAssertEqual(s.age, [28])
        XCTAssertEqual(s.monetaryValue, [30])          // (40 + 20) / 2, first purchase excluded
        XCTAssertEqual(s.frequencyHoldout, [1])
        XCTAssertEqual(s.monetaryValueHoldout, [8])
        XCTAssertEqual(s.durationHoldout, 27)
    }

    func testCustomersFirstBuyingInHoldoutAreLeftOutAndUnitsConvert() throws {
        let s = try RFMSummary(customers: [2, 1, 1, 3], times: [50, 0, 14, 3], calibrationEnd: 28,
                               observationEnd: 56, timeUnit: .week)
        XCTAssertEqual(s.customers, [1, 3])
        XCTAssertEqual(s.recency, [2, 0])
        XCTAssertEqual(s.age, [4, 25.0 / 7])
        XCTAssertEqual(s.durationHoldout, 4)
        XCTAssertEqual(s.monetaryValue, [0, 0])
        XCTAssertEqual(s.data.timeUnit, .week)
        XCTAssertEqual(TimeUnit.month.convert(1, to: .week), 30.4375 / 7)
        XCTAssertEqual(TimeUnit.week.convert(2, to: .day), 14)
    }

    func testSummaryThrowsWhenObservationEndsBeforeCalibrationOrNoCalibrationPurchase() {
        XCTAssertThrowsError(try RFMSummary(customers: [1], times: [0], calibrationEnd: 10, observationEnd: 5)) { e in
            XCTAssertTrue("\(e)".contains("the holdout must end on or after the calibration end"), "\(e)")
        }
        XCTAssertThrowsError(try RFMSummary(customers: [1], times: [20], calibrationEnd: 10)) { e in
            XCTAssertEqual("\(e)", "An RFM summary (customers with a purchase on or before the calibration end) needs at least 1 rows, got 0.")
        }
        XCTAssertThrowsError(try RFMSummary(customers: [1, 2], times: [20], calibrationEnd: 10)) { e in
            XCTAssertTrue("\(e)".contains("2 customer indices, 1 times"), "\(e)")
        }
    }
}
