import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainNumerics
@testable import RetainScoring

/// The bundle's value model: BG/NBD + Gamma-Gamma against the published CDNOW fit and lifetimes'
/// CLV (via `CLVAnalysis`, itself checked against lifetimes), and the revenue rate on a hand-made log.
final class ValueModelTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sample = root.appendingPathComponent("datasets/cdnow/CDNOW_sample.txt").path

    private var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("retain-value-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    /// Writes an events CSV and reads its value history as of `asOf` (YYYY-MM-DD).
    private func history(_ csv: String, asOf: String) throws -> ValueModel.History {
        let path = tmp.appendingPathComponent("events-\(UUID().uuidString).csv").path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        let config = FeatureConfig()
        return try ValueModel.readHistory(try EventInput(events: path).reader(config, rejectsPath: nil), roles: config.roles,
                                          asOf: try DailyScoring.instant(of: asOf))
    }

    /// CDNOW_sample.txt as purchase events (one per line, at noon) plus a later purchase after the as-of date.
    private func cdnowEvents() throws -> String {
        var csv = "customer_id,timestamp,event_type,value\n"
        for line in try String(contentsOfFile: Self.sample, encoding: .utf8).split(whereSeparator: \.isNewline) {
            let f = line.split(separator: " ")
            guard f.count == 5 else { continue }
            let d = f[2]
            csv += "\(f[1]),\(d.prefix(4))-\(d.dropFirst(4).prefix(2))-\(d.suffix(2))T12:00:00Z,purchase,\(f[4])\n"
        }
        return csv
    }

    func testPurchaseModelOnCDNOWEqualsThePublishedFitAndLifetimesCLV() throws {
        // Calibration to 1997-09-30 inclusive = purchases before the as-of date 1997-10-01.
        let h = try history(try cdnowEvents(), asOf: "1997-10-01")
        let model = ValueModel.fit(h)
        XCTAssertEqual(model.method, .purchaseModel, model.note ?? "")
        let bg = try XCTUnwrap(model.bgnbd), gg = try XCTUnwrap(model.gammaGamma)
        // Fader, Hardie & Lee (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426; Gamma-Gamma 6.25, 3.74, 15.44.
        XCTAssertEqual(bg.r, 0.243, accuracy: 0.0005)
        XCTAssertEqual(bg.alpha, 4.414, accuracy: 0.0005)
        XCTAssertEqual(bg.a, 0.793, accuracy: 0.0005)
        XCTAssertEqual(bg.b, 2.426, accuracy: 0.0005)
        XCTAssertEqual(gg.p, 6.25, accuracy: 0.005)
        XCTAssertEqual(gg.q, 3.74, accuracy: 0.005)
        XCTAssertEqual(gg.gamma, 15.44, accuracy: 0.005)
        XCTAssertEqual(model.horizonDays, 365.25, accuracy: 1e-12)
        // Per customer: the CLV analysis (12 months, 1 % a month: lifetimes' customer_lifetime_value).
        var options = CLVAnalysis.Options(input: EventInput(events: Self.sample), format: .cdnow,
                                          calibrationEnd: Timestamp.daysFromCivil(year: 1997, month: 9, day: 30))
        options.horizon = 12; options.discount = 0.01
        let reference = try CLVAnalysis.fit(options)
        let values = model.estimatesByID(h)
        XCTAssertEqual(reference.summary.customers.count, 2357)
        for (i, c) in reference.summary.customers.enumerated() {
            let e = try XCTUnwrap(values[reference.customerIDs[c]])
            XCTAssertEqual(e.value, reference.predictions.clv[i], accuracy: 1e-6 * max(1, reference.predictions.clv[i]), "customer \(i)")
            XCTAssertEqual(e.probabilityAlive, reference.predictions.probabilityAlive[i], accuracy: 1e-9, "customer \(i)")
        }
        // The high-value cut-off: the 10th percentile from the top of the training population's values (235 of 2357).
        let sorted = model.estimates(h).map(\.value).sorted(by: >)
        XCTAssertEqual(model.trainingCustomers, 2357)
        XCTAssertEqual(model.highValueCut, sorted[234])
        XCTAssertTrue(model.definition.contains("BG/NBD + Gamma-Gamma"), model.definition)
        XCTAssertTrue(model.definition.contains("12 months"), model.definition)
    }

    func testValuesAsOfALaterDateUseOnlyThePurchasesBeforeIt() throws {
        let csv = try cdnowEvents()
        let model = ValueModel.fit(try history(csv, asOf: "1997-10-01"))
        // Scoring on 1998-01-01 with the same (stored) model: the summary is as of 1997-12-31.
        let later = try history(csv, asOf: "1998-01-01")
        var options = CLVAnalysis.Options(input: EventInput(events: Self.sample), format: .cdnow,
                                          calibrationEnd: Timestamp.daysFromCivil(year: 1997, month: 12, day: 31))
        let reference = try CLVAnalysis.fit(options)
        let summary = reference.summary
        let purchase = FittedBetaGeometricNBD(params: try XCTUnwrap(model.bgnbd), timeUnit: .week)
        let spend = FittedGammaGamma(params: try XCTUnwrap(model.gammaGamma))
        let values = model.estimatesByID(later)
        for i in stride(from: 0, to: summary.customers.count, by: 97) {
            let x = summary.frequency[i], tx = summary.recency[i], T = summary.age[i]
            let average = spend.expectedAverageValue(frequency: x, monetaryValue: summary.monetaryValue[i])
            let expected = try CustomerLifetimeValue().value(model: purchase, averageValue: average, frequency: x, recency: tx, age: T)
            let id = reference.customerIDs[summary.customers[i]]
            XCTAssertEqual(try XCTUnwrap(values[id]).value, expected, accuracy: 1e-9 * max(1, expected), "customer \(id)")
        }
    }

    /// Hand-computed revenue rates: value / max(tenure, 90 days) × 365.25 days.
    func testRevenueRateOnAHandMadeLog() throws {
        let csv = """
            customer_id,timestamp,event_type,value
            a,2025-01-01T10:00:00Z,login,
            a,2025-01-06T10:00:00Z,purchase,100
            b,2025-10-18T10:00:00Z,signup,
            a,2025-07-20T10:00:00Z,purchase,50
            b,2025-10-23T10:00:00Z,purchase,30
            c,2025-06-01T10:00:00Z,login,
            a,2025-10-28T10:00:00Z,purchase,1000
            b,2025-11-02T09:00:00Z,purchase,5000

            """
        let h = try history(csv, asOf: "2025-10-28")
        var model = ValueModel.fit(ValueModel.History(purchases: PurchaseLog.Builder().finish(customerIDs: [], eventTypes: []), firstDay: [], asOfDay: 0))
        XCTAssertEqual(model.method, .revenueRate)
        XCTAssertEqual(model.note, "the log has no purchase events before the training date")
        model.minimumTenureDays = 90
        let v = model.estimatesByID(h)
        // a: first event 2025-01-01, 300 days before 2025-10-28; 150 before the date (the 1000 on it is not).
        XCTAssertEqual(try XCTUnwrap(v["a"]).value, 150.0 / 300 * 365.25, accuracy: 1e-9)
        // b: 10 days of tenure count as 90: 30 / 90 × 365.25, not 30 / 10 × 365.25.
        XCTAssertEqual(try XCTUnwrap(v["b"]).value, 30.0 / 90 * 365.25, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(v["c"]).value, 0)
        XCTAssertTrue(try XCTUnwrap(v["a"]).probabilityAlive.isNaN)
        XCTAssertTrue(model.definition.contains("max(observed tenure, 90 days)"), model.definition)
    }

    func testTheFallbackSaysWhyThePurchaseModelIsNotUsed() throws {
        let noValues = try history("customer_id,timestamp,event_type,value\na,2025-01-01T00:00:00Z,purchase,\na,2025-02-01T00:00:00Z,purchase,\n", asOf: "2025-06-01")
        XCTAssertEqual(ValueModel.fit(noValues).note, "no purchase event has a value (map the value column)")
        let oneRepeat = try history("""
            customer_id,timestamp,event_type,value
            a,2025-01-01T00:00:00Z,purchase,10
            a,2025-02-01T00:00:00Z,purchase,20
            b,2025-03-01T00:00:00Z,purchase,5

            """, asOf: "2025-06-01")
        let m = ValueModel.fit(oneRepeat)
        XCTAssertEqual(m.method, .revenueRate)
        XCTAssertNotNil(m.note)
        XCTAssertTrue(m.definition.contains("purchase model not used: "), m.definition)
        // The cut-off: top 10 % of 2 customers = the largest value (a: 30 / 151 days × 365.25).
        XCTAssertEqual(m.highValueCut, 30.0 / 151 * 365.25, accuracy: 1e-9)
    }

    func testABundleWithAValueModelRoundTripsAndAnOldOneDecodesWithout() throws {
        var bundle = ModelBundleTests.bundle()
        let old = try ModelBundle.decode(try bundle.encoded(), path: "old.json")
        XCTAssertNil(old.value)
        var value = ValueModel.fit(ValueModel.History(purchases: PurchaseLog.Builder().finish(customerIDs: [], eventTypes: []), firstDay: [], asOfDay: 0))
        value.bgnbd = .init(r: 0.243, alpha: 4.414, a: 0.793, b: 2.426)
        value.highValueCut = 12.5
        bundle.value = value
        let back = try ModelBundle.decode(try bundle.encoded(), path: "new.json")
        XCTAssertEqual(back.value, value)
    }
}
