import Foundation
import XCTest
@testable import RetainCore
@testable import RetainNumerics

/// BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma on CDNOW against the published figures (Fader, Hardie &
/// Lee 2005; datasets/cdnow/README.md) and lifetimes 0.11.3 (Fixtures/make_lifetimes_fixtures.py).
final class LifetimesTests: XCTestCase {
    // MARK: BG/NBD

    func testBGNBDFitMatchesPublishedCDNOWParameters() throws {
        let m = try BetaGeometricNBD().fit(try CDNOW.summary().rfm())
        XCTAssertEqual(m.params.r, 0.243, accuracy: 0.0005)
        XCTAssertEqual(m.params.alpha, 4.414, accuracy: 0.0005)
        XCTAssertEqual(m.params.a, 0.793, accuracy: 0.0005)
        XCTAssertEqual(m.params.b, 2.426, accuracy: 0.0005)
        XCTAssertEqual(m.logLikelihood, -9582.43, accuracy: 0.005)
        XCTAssertEqual(m.timeUnit, .week)
        XCTAssertEqual(m.customerCount, 2357)
        XCTAssertEqual(m.diagnostics.distinctRows, 1016)
    }

    func testBGNBDConditionalExpectationMatchesPublishedValue() throws {
        let m = try BetaGeometricNBD().fit(try CDNOW.summary().rfm())
        XCTAssertEqual(m.expectedPurchases(t: 39, frequency: 2, recency: 30.43, age: 38.86), 1.226, accuracy: 0.0005)
    }

    func testBGNBDFitMatchesLifetimesParametersLikelihoodAndStandardErrors() throws {
        let fx = try LifetimesFixture.fits()
        let m = try BetaGeometricNBD().fit(try CDNOW.summary().rfm())
        let p = LifetimesFixture.params(fx, "bgnbd")
        assertRelative(m.params.r, p["r"]!, 1e-5, "r")
        assertRelative(m.params.alpha, p["alpha"]!, 1e-5, "alpha")
        assertRelative(m.params.a, p["a"]!, 1e-5, "a")
        assertRelative(m.params.b, p["b"]!, 1e-5, "b")
        assertRelative(m.logLikelihood, LifetimesFixture.number(fx, "bgnbd", "loglik"), 1e-10, "log-likelihood")
        let se = try XCTUnwrap(m.standardErrors)
        let lse = (fx["bgnbd"] as! [String: Any])["se"] as! [String: Double]
        assertRelative(se.r, lse["r"]!, 1e-3, "se r")
        assertRelative(se.alpha, lse["alpha"]!, 1e-3, "se alpha")
        assertRelative(se.a, lse["a"]!, 1e-3, "se a")
        assertRelative(se.b, lse["b"]!, 1e-3, "se b")
    }

    func testBGNBDPredictionsMatchLifetimesAtItsParameters() throws {
        let fx = try LifetimesFixture.fits()
        let p = LifetimesFixture.params(fx, "bgnbd")
        let m = FittedBetaGeometricNBD(params: .init(r: p["r"]!, alpha: p["alpha"]!, a: p["a"]!, b: p["b"]!), timeUnit: .week)
        for q in LifetimesFixture.points(fx, "bgnbd") {
            assertRelative(m.probabilityAlive(frequency: q.x, recency: q.tx, age: q.T), q.alive, 1e-12, "P(alive) \(q)")
            for (t, e) in q.expected {
                assertRelative(m.expectedPurchases(t: t, frequency: q.x, recency: q.tx, age: q.T), e, 1e-9, "E[X(\(t))|\(q.x),\(q.tx),\(q.T)]")
            }
        }
        for (t, e) in LifetimesFixture.unconditional(fx, "bgnbd") {
            assertRelative(m.expectedPurchases(t: t), e, 1e-10, "E[X(\(t))]")
        }
    }

    func testBGNBDGradientMatchesFiniteDifferences() throws {
        let c = CompressedRFM(try CDNOW.summary().rfm())
        let f = BGNBDLikelihood(c)
        try assertGradient({ f.evaluate($0, &$1) }, at: [log(0.3), log(5), log(0.7), log(2.0)])
        try assertGradient({ f.evaluate($0, &$1) }, at: [log(2), log(40), log(3), log(0.5)])
        let fm = BGNBDLikelihood(c, modified: true)
        try assertGradient({ fm.evaluate($0, &$1) }, at: [log(0.5), log(6), log(0.9), log(1.6)])
    }

    func testBGNBDLikelihoodSumsPerCustomerLogLikelihoods() throws {
        let s = try CDNOW.summary()
        let m = try BetaGeometricNBD().fit(try s.rfm())
        let total = (0..<s.x.count).reduce(0.0) { $0 + m.logLikelihood(frequency: s.x[$1], recency: s.tx[$1], age: s.T[$1]) }
        assertRelative(total, m.logLikelihood, 1e-11, "sum of per-customer log-likelihoods")
    }

    func testBGNBDFitOnMergedRowsWithWeightsEqualsFitOnCustomers() throws {
        let s = try CDNOW.summary()
        var counts = [String: (Double, Double, Double, Double)]()
        for i in 0..<s.x.count {
            let k = "\(s.x[i])|\(s.tx[i])|\(s.T[i])"
            counts[k, default: (s.x[i], s.tx[i], s.T[i], 0)].3 += 1
        }
        let rows = counts.values.sorted { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        let merged = try RFMData(frequency: rows.map(\.0), recency: rows.map(\.1), age: rows.map(\.2), weights: rows.map(\.3))
        let a = try BetaGeometricNBD().fit(merged), b = try BetaGeometricNBD().fit(try s.rfm())
        assertRelative(a.params.r, b.params.r, 1e-9, "r")
        assertRelative(a.params.b, b.params.b, 1e-9, "b")
        assertRelative(a.logLikelihood, b.logLikelihood, 1e-12, "log-likelihood")
        XCTAssertEqual(a.customerCount, 2357)
    }

    func testBGNBDFitRecoversSimulatedParameters() throws {
        let truth = FittedBetaGeometricNBD(params: .init(r: 0.25, alpha: 4, a: 0.8, b: 2.5), timeUnit: .week)
        var rng = SeededGenerator(seed: 42)
        let ages = (0..<20_000).map { _ in Double(Int(rng.nextUnit() * 84) + 189) / 7 }
        let data = truth.simulate(ages: ages, using: &rng)
        let m = try BetaGeometricNBD().fit(data)
        let se = try XCTUnwrap(m.standardErrors)
        XCTAssertEqual(m.params.r, 0.25, accuracy: 4 * se.r)
        XCTAssertEqual(m.params.alpha, 4, accuracy: 4 * se.alpha)
        XCTAssertEqual(m.params.a, 0.8, accuracy: 4 * se.a)
        XCTAssertEqual(m.params.b, 2.5, accuracy: 4 * se.b)
    }

    func testBGNBDFitInDaysScalesAlphaAndKeepsPredictions() throws {
        let weeks = try CDNOW.summary().rfm()
        let w = try BetaGeometricNBD().fit(weeks)
        let d = try BetaGeometricNBD().fit(weeks.converted(to: .day))
        XCTAssertEqual(d.timeUnit, .day)
        assertRelative(d.params.alpha, 7 * w.params.alpha, 1e-6, "alpha per day = 7 x alpha per week")
        assertRelative(d.params.r, w.params.r, 1e-6, "r")
        assertRelative(d.params.a, w.params.a, 1e-6, "a")
        // The likelihood of event times changes by 7^−x per customer when days replace weeks.
        let sumX = weeks.frequency.reduce(0, +)
        assertRelative(d.logLikelihood, w.logLikelihood - sumX * log(7), 1e-9, "log-likelihood in days")
        let conv = w.converted(to: .day)
        assertRelative(conv.expectedPurchases(t: 273, frequency: 2, recency: 213, age: 272),
                       w.expectedPurchases(t: 39, frequency: 2, recency: 213.0 / 7, age: 272.0 / 7), 1e-12, "converted model")
    }

    func testBGNBDFitThrowsWithoutRepeatPurchases() throws {
        let data = try RFMData(frequency: [0, 0], recency: [0, 0], age: [10, 20])
        XCTAssertThrowsError(try BetaGeometricNBD().fit(data)) { e in
            XCTAssertTrue("\(e)".contains("BG/NBD needs some repeat purchases"), "\(e)")
        }
    }

    // MARK: Modified BG/NBD

    func testModifiedBGNBDFitMatchesLifetimes() throws {
        let fx = try LifetimesFixture.fits()
        let m = try ModifiedBetaGeometricNBD().fit(try CDNOW.summary().rfm())
        let p = LifetimesFixture.params(fx, "mbgnbd")
        assertRelative(m.params.r, p["r"]!, 1e-5, "r")
        assertRelative(m.params.alpha, p["alpha"]!, 1e-5, "alpha")
        assertRelative(m.params.a, p["a"]!, 1e-5, "a")
        assertRelative(m.params.b, p["b"]!, 1e-5, "b")
        assertRelative(m.logLikelihood, LifetimesFixture.number(fx, "mbgnbd", "loglik"), 1e-10, "log-likelihood")
        let se = try XCTUnwrap(m.standardErrors)
        let lse = (fx["mbgnbd"] as! [String: Any])["se"] as! [String: Double]
        assertRelative(se.r, lse["r"]!, 1e-3, "se r")
        assertRelative(se.b, lse["b"]!, 1e-3, "se b")
    }

    func testModifiedBGNBDPredictionsMatchLifetimesAtItsParameters() throws {
        let fx = try LifetimesFixture.fits()
        let p = LifetimesFixture.params(fx, "mbgnbd")
        let m = FittedModifiedBetaGeometricNBD(params: .init(r: p["r"]!, alpha: p["alpha"]!, a: p["a"]!, b: p["b"]!), timeUnit: .week)
        for q in LifetimesFixture.points(fx, "mbgnbd") {
            assertRelative(m.probabilityAlive(frequency: q.x, recency: q.tx, age: q.T), q.alive, 1e-12, "P(alive) \(q)")
            for (t, e) in q.expected {
                assertRelative(m.expectedPurchases(t: t, frequency: q.x, recency: q.tx, age: q.T), e, 1e-9, "E[X(\(t))|\(q.x),\(q.tx),\(q.T)]")
            }
        }
        for (t, e) in LifetimesFixture.unconditional(fx, "mbgnbd") {
            assertRelative(m.expectedPurchases(t: t), e, 1e-10, "E[X(\(t))]")
        }
    }

    // MARK: Pareto/NBD

    func testParetoNBDFitMatchesPublishedCDNOWParameters() throws {
        let m = try ParetoNBD().fit(try CDNOW.summary().rfm())
        XCTAssertEqual(m.params.r, 0.553, accuracy: 0.0005)
        XCTAssertEqual(m.params.alpha, 10.578, accuracy: 0.0005)
        XCTAssertEqual(m.params.s, 0.606, accuracy: 0.0005)
        XCTAssertEqual(m.params.beta, 11.669, accuracy: 0.0015)   // 11.6679: the published value is rounded up
        XCTAssertEqual(m.logLikelihood, -9594.97, accuracy: 0.005)
        XCTAssertNotNil(m.standardErrors)
    }

    func testParetoNBDFitMatchesLifetimesTightOptimumStandardErrorsAndBeatsItsDefault() throws {
        let fx = try LifetimesFixture.fits()
        let m = try ParetoNBD().fit(try CDNOW.summary().rfm())
        let p = LifetimesFixture.params(fx, "pareto")   // lifetimes with tol=1e-10
        assertRelative(m.params.r, p["r"]!, 1e-5, "r")
        assertRelative(m.params.alpha, p["alpha"]!, 1e-5, "alpha")
        assertRelative(m.params.s, p["s"]!, 1e-5, "s")
        assertRelative(m.params.beta, p["beta"]!, 1e-5, "beta")
        assertRelative(m.logLikelihood, LifetimesFixture.number(fx, "pareto", "loglik"), 1e-11, "log-likelihood")
        let se = try XCTUnwrap(m.standardErrors)
        let lse = (fx["pareto"] as! [String: Any])["se"] as! [String: Double]   // finite differences of lifetimes' likelihood
        assertRelative(se.r, lse["r"]!, 1e-3, "se r")
        assertRelative(se.alpha, lse["alpha"]!, 1e-3, "se alpha")
        assertRelative(se.s, lse["s"]!, 1e-3, "se s")
        assertRelative(se.beta, lse["beta"]!, 1e-3, "se beta")
        // lifetimes' default Nelder–Mead (tol 1e-4) stops at a slightly worse point.
        XCTAssertGreaterThan(m.logLikelihood, LifetimesFixture.number(fx, "pareto_default", "loglik"))
    }

    func testParetoNBDPredictionsMatchLifetimesAtItsParameters() throws {
        let fx = try LifetimesFixture.fits()
        let p = LifetimesFixture.params(fx, "pareto")
        let m = FittedParetoNBD(params: .init(r: p["r"]!, alpha: p["alpha"]!, s: p["s"]!, beta: p["beta"]!), timeUnit: .week)
        for q in LifetimesFixture.points(fx, "pareto") {
            assertRelative(m.probabilityAlive(frequency: q.x, recency: q.tx, age: q.T), q.alive, 1e-10, "P(alive) \(q)")
            for (t, e) in q.expected {
                assertRelative(m.expectedPurchases(t: t, frequency: q.x, recency: q.tx, age: q.T), e, 1e-9, "E[X(\(t))|\(q.x),\(q.tx),\(q.T)]")
            }
        }
        for (t, e) in LifetimesFixture.unconditional(fx, "pareto") {
            assertRelative(m.expectedPurchases(t: t), e, 1e-12, "E[X(\(t))]")
        }
    }

    func testParetoNBDLikelihoodMatchesScipyHypergeometricAcrossParameterRegimes() throws {
        let data = try Data(contentsOf: Fixture.url("lifetimes/pareto_loglik.json"))
        let cases = try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        XCTAssertEqual(cases.count, 60)
        for c in cases {
            let p = (c["params"] as! [NSNumber]).map(\.doubleValue)
            let m = FittedParetoNBD(params: .init(r: p[0], alpha: p[1], s: p[2], beta: p[3]), timeUnit: .week)
            let x = (c["x"] as! NSNumber).doubleValue, tx = (c["tx"] as! NSNumber).doubleValue, T = (c["T"] as! NSNumber).doubleValue
            let expected = c["loglik"] as! Double
            let ll = m.logLikelihood(frequency: x, recency: tx, age: T)
            XCTAssertEqual(ll, expected, accuracy: 1e-10 * max(1, abs(expected)), "params \(p), x \(x), tx \(tx), T \(T)")
        }
    }

    func testParetoNBDIntegralSeriesAndContinuedFractionAgree() {
        for (alpha, beta) in [(10.0, 3.0), (3.0, 10.0), (5.0, 1.2), (1.1, 4.0)] {
            for (x, tx, T) in [(0.0, 0.0, 39.0), (4.0, 10.0, 39.0), (20.0, 38.0, 39.0), (2.0, 0.1, 0.5)] {
                let (r, s) = (0.6, 0.8)
                let series = ParetoNBDLikelihood.logIntegral(r: r, alpha: alpha, s: s, beta: beta, x: x, tx: tx, T: T).value
                let m = max(alpha, beta), d = abs(alpha - beta)
                let cf = ParetoNBDLikelihood.fractionLogIntegral(a: r + s + x, bb: alpha >= beta ? s + 1 : r + x, m: m, d: d, tx: tx, T: T)
                XCTAssertEqual(series, cf, accuracy: 1e-12 * max(1, abs(cf)), "alpha \(alpha) beta \(beta) x \(x) tx \(tx) T \(T)")
            }
        }
    }

    func testParetoNBDGradientMatchesFiniteDifferencesIncludingEqualRatesAndContinuedFraction() throws {
        let f = ParetoNBDLikelihood(CompressedRFM(try CDNOW.summary().rfm()))
        try assertGradient({ f.evaluate($0, &$1) }, at: [log(0.55), log(10.6), log(0.6), log(11.7)])
        try assertGradient({ f.evaluate($0, &$1) }, at: [log(0.5), log(8), log(0.7), log(8)])      // α = β
        try assertGradient({ f.evaluate($0, &$1) }, at: [log(0.3), log(400), log(1.5), log(2)])   // continued fraction rows
        try assertGradient({ f.evaluate($0, &$1) }, at: [log(2), log(0.5), log(0.3), log(30)])    // α < β
    }

    // MARK: Gamma-Gamma

    func testGammaGammaFitMatchesPublishedCDNOWParameters() throws {
        let s = try CDNOW.summary()
        let m = try GammaGamma().fit(frequency: s.x, monetaryValue: s.zbar)
        XCTAssertEqual(m.customerCount, 946)
        XCTAssertEqual(m.params.p, 6.25, accuracy: 0.005)
        XCTAssertEqual(m.params.q, 3.74, accuracy: 0.005)
        XCTAssertEqual(m.params.gamma, 15.44, accuracy: 0.01)   // 15.4477, published truncated to 15.44
        XCTAssertEqual(m.logLikelihood, -4055.92, accuracy: 0.005)
    }

    func testGammaGammaFitAndExpectedSpendMatchLifetimes() throws {
        let fx = try LifetimesFixture.fits()
        let s = try CDNOW.summary()
        let m = try GammaGamma().fit(frequency: s.x, monetaryValue: s.zbar)
        let p = LifetimesFixture.params(fx, "gammagamma")
        assertRelative(m.params.p, p["p"]!, 1e-5, "p")
        assertRelative(m.params.q, p["q"]!, 1e-5, "q")
        assertRelative(m.params.gamma, p["v"]!, 1e-5, "gamma")
        assertRelative(m.logLikelihood, LifetimesFixture.number(fx, "gammagamma", "loglik"), 1e-11, "log-likelihood")
        let lse = (fx["gammagamma"] as! [String: Any])["se"] as! [String: Double]
        let se = try XCTUnwrap(m.standardErrors)
        assertRelative(se.p, lse["p"]!, 1e-3, "se p")
        assertRelative(se.q, lse["q"]!, 1e-3, "se q")
        assertRelative(se.gamma, lse["v"]!, 1e-3, "se gamma")
        let at = FittedGammaGamma(params: .init(p: p["p"]!, q: p["q"]!, gamma: p["v"]!))
        let expected = (fx["gammagamma"] as! [String: Any])["expected_average"] as! [Double]
        for i in 0..<expected.count {
            assertRelative(at.expectedAverageValue(frequency: s.x[i], monetaryValue: s.zbar[i]), expected[i], 1e-12, "E[Z] customer \(i + 1)")
        }
    }

    func testGammaGammaGradientMatchesFiniteDifferences() throws {
        let s = try CDNOW.summary()
        let keep = s.x.indices.filter { s.x[$0] > 0 }
        let f = GammaGammaLikelihood(frequency: keep.map { s.x[$0] }, monetaryValue: keep.map { s.zbar[$0] },
                                     weights: keep.map { _ in 1 })
        try assertGradient({ f.evaluate($0, &$1) }, at: [log(6), log(3.7), log(15)])
        try assertGradient({ f.evaluate($0, &$1) }, at: [log(1), log(1.5), log(40)])
    }

    func testGammaGammaThrowsWithoutRepeatCustomers() {
        XCTAssertThrowsError(try GammaGamma().fit(frequency: [0, 0, 0], monetaryValue: [0, 0, 0])) { e in
            XCTAssertTrue("\(e)".contains("Gamma-Gamma is fitted to repeat customers (frequency > 0) and there are none"), "\(e)")
        }
    }

    func testGammaGammaThrowsOnNonPositiveSpendOfARepeatCustomer() {
        XCTAssertThrowsError(try GammaGamma().fit(frequency: [2, 1], monetaryValue: [10, -5])) { e in
            XCTAssertTrue("\(e)".contains("row 2: a repeat customer's mean transaction value must be > 0"), "\(e)")
        }
    }

    // MARK: Input validation

    func testRFMDataRejectsRecencyAfterAge() {
        XCTAssertThrowsError(try RFMData(frequency: [1, 2], recency: [3, 40.1], age: [10, 38.9])) { e in
            XCTAssertEqual("\(e)", "invalid recency = 40.1: row 2: recency is greater than age T = 38.9; the last purchase cannot come after the end of the calibration period. Measure both from the first purchase, in the same unit.")
        }
    }

    func testRFMDataRejectsNegativeRecencyAndRecencyWithoutRepeatPurchase() {
        XCTAssertThrowsError(try RFMData(frequency: [1], recency: [-1], age: [10])) { e in
            XCTAssertTrue("\(e)".contains("recency is the time from the first to the last purchase and cannot be negative"), "\(e)")
        }
        XCTAssertThrowsError(try RFMData(frequency: [0], recency: [2], age: [10])) { e in
            XCTAssertTrue("\(e)".contains("a customer with frequency 0 has no repeat purchase, so recency must be 0"), "\(e)")
        }
    }

    func testRFMDataRejectsFractionalFrequencyMismatchedColumnsAndNaN() {
        XCTAssertThrowsError(try RFMData(frequency: [1.5], recency: [1], age: [10])) { e in
            XCTAssertTrue("\(e)".contains("must be a whole number >= 0"), "\(e)")
        }
        XCTAssertThrowsError(try RFMData(frequency: [1, 2], recency: [1], age: [10, 10])) { e in
            XCTAssertTrue("\(e)".contains("RFM columns differ in length: frequency 2, recency 1, age 2"), "\(e)")
        }
        XCTAssertThrowsError(try RFMData(frequency: [1], recency: [.nan], age: [10])) { e in
            XCTAssertEqual(e as? NumericsError, .nonFinite(row: 0, column: 1, context: "RFM data (columns: frequency, recency, age)"))
        }
    }

    // MARK: Helpers

    /// Compares the analytic gradient with central differences of the objective.
    private func assertGradient(_ f: MaximumLikelihood.Objective, at x: [Double], file: StaticString = #filePath, line: UInt = #line) throws {
        var g = [Double](repeating: 0, count: x.count), scratch = g
        _ = f(x, &g)
        for i in 0..<x.count {
            let h = 1e-5
            var xp = x, xm = x
            xp[i] += h; xm[i] -= h
            let numeric = (f(xp, &scratch) - f(xm, &scratch)) / (2 * h)
            XCTAssertEqual(g[i], numeric, accuracy: 1e-7 * max(1, abs(numeric)), "component \(i) at \(x)", file: file, line: line)
        }
    }
}

/// The CDNOW data in datasets/cdnow, read the way the published analyses use it.
enum CDNOW {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("datasets/cdnow")

    struct Summary {
        var id: [Int] = []
        var x: [Double] = []
        var tx: [Double] = []
        var T: [Double] = []
        var zbar: [Double] = []
        func rfm() throws -> RFMData { try RFMData(frequency: x, recency: tx, age: T, timeUnit: .week) }
    }

    /// cdnow_customers_summary_with_transactions.csv: ID, x, t_x, T (weeks), zbar.
    static func summary() throws -> Summary {
        let text = try String(contentsOf: directory.appendingPathComponent("cdnow_customers_summary_with_transactions.csv"), encoding: .utf8)
        var s = Summary()
        for line in text.split(whereSeparator: \.isNewline).dropFirst() {
            let f = line.split(separator: ",").map { Double($0)! }
            s.id.append(Int(f[0])); s.x.append(f[1]); s.tx.append(f[2]); s.T.append(f[3]); s.zbar.append(f[4])
        }
        return s
    }

    /// Transactions of CDNOW_sample.txt: sample customer id (1-based), day number, dollar value.
    static func sampleTransactions() throws -> (customer: [Int], day: [Double], value: [Double]) {
        let text = try String(contentsOf: directory.appendingPathComponent("CDNOW_sample.txt"), encoding: .utf8)
        var c = [Int](), d = [Double](), v = [Double]()
        for line in text.split(whereSeparator: \.isNewline) {
            let f = line.split(separator: " ")
            guard f.count == 5 else { continue }
            c.append(Int(f[1])!)
            d.append(Double(dayNumber(String(f[2]))))
            v.append(Double(f[4])!)
        }
        return (c, d, v)
    }

    /// Days since 1970-01-01 of a YYYYMMDD date (proleptic Gregorian, Hinnant's algorithm).
    static func dayNumber(_ yyyymmdd: String) -> Int {
        let n = Int(yyyymmdd)!
        var y = n / 10000
        let m = (n / 100) % 100, d = n % 100
        y -= m <= 2 ? 1 : 0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}

/// Asserts |actual − expected| ≤ tolerance · |expected|.
func assertRelative(_ actual: Double, _ expected: Double, _ tolerance: Double, _ what: String = "",
                    file: StaticString = #filePath, line: UInt = #line) {
    let err = abs(actual - expected) / max(abs(expected), 1e-300)
    XCTAssert(err <= tolerance, "\(what): \(actual) vs \(expected) (relative error \(err) > \(tolerance))", file: file, line: line)
}

/// The lifetimes fixtures (see Fixtures/make_lifetimes_fixtures.py).
enum LifetimesFixture {
    static func fits() throws -> [String: Any] { try Fixture.json("lifetimes/cdnow_fits.json") }

    static func params(_ fits: [String: Any], _ model: String) -> [String: Double] {
        (fits[model] as! [String: Any])["params"] as! [String: Double]
    }

    static func number(_ fits: [String: Any], _ model: String, _ key: String) -> Double {
        (fits[model] as! [String: Any])[key] as! Double
    }

    /// (x, tₓ, T, P(alive), [horizon: E[X(t) | …]]) per query point.
    static func points(_ fits: [String: Any], _ model: String) -> [(x: Double, tx: Double, T: Double, alive: Double, expected: [Double: Double])] {
        ((fits[model] as! [String: Any])["points"] as! [[String: Any]]).map { p in
            let e = (p["expected"] as! [String: Double]).reduce(into: [Double: Double]()) { $0[Double($1.key)!] = $1.value }
            return ((p["x"] as! NSNumber).doubleValue, (p["tx"] as! NSNumber).doubleValue, (p["T"] as! NSNumber).doubleValue,
                    p["p_alive"] as! Double, e)
        }
    }

    static func unconditional(_ fits: [String: Any], _ model: String) -> [Double: Double] {
        ((fits[model] as! [String: Any])["unconditional"] as! [String: Double])
            .reduce(into: [Double: Double]()) { $0[Double($1.key)!] = $1.value }
    }
}
