import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainNumerics
@testable import RetainScoring

/// `CLVAnalysis.fit` on the bundled CDNOW data: published parameters, the per-customer CSV and its
/// reading back by the scorer, the holdout table (against lifetimes' calibration/holdout split in
/// Tests/RetainNumericsTests/Fixtures/lifetimes), and errors.
final class CLVAnalysisTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sample = root.appendingPathComponent("datasets/cdnow/CDNOW_sample.txt").path
    static let calibrationEnd = Timestamp.daysFromCivil(year: 1997, month: 9, day: 30)
    static let holdoutEnd = Timestamp.daysFromCivil(year: 1998, month: 6, day: 30)

    private var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("retain-clv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    /// The published analysis: CDNOW_sample.txt, weeks, calibration to 1997-09-30, holdout to 1998-06-30.
    private func cdnowOptions(holdout: Bool = true) -> CLVAnalysis.Options {
        CLVAnalysis.Options(input: EventInput(events: Self.sample), format: .cdnow, calibrationEnd: Self.calibrationEnd,
                            holdoutEnd: holdout ? Self.holdoutEnd : nil)
    }

    /// Rounds to `decimals` places, as the published figures are.
    private func rounded(_ v: Double?, _ decimals: Int) -> Double {
        let f = pow(10, Double(decimals))
        return ((v ?? .nan) * f).rounded() / f
    }

    /// CDNOW_sample.txt as an events CSV with the business's own purchase type name, a session
    /// beside each purchase, and customer ids made by `id` (written as CSV fields, quoted when needed).
    private func cdnowAsEvents(type: String, id: (String) -> String = { $0 }) throws -> String {
        let text = try String(contentsOfFile: Self.sample, encoding: .utf8)
        var csv = "customer_id,timestamp,event_type,value\n"
        for line in text.split(whereSeparator: \.isNewline) {
            let f = line.split(separator: " ")
            guard f.count == 5 else { continue }
            let d = f[2], c = CSVText.field(id(String(f[1])))
            csv += "\(c),\(d.prefix(4))-\(d.dropFirst(4).prefix(2))-\(d.suffix(2))T12:00:00Z,\(type),\(f[4])\n"
            csv += "\(c),\(d.prefix(4))-\(d.dropFirst(4).prefix(2))-\(d.suffix(2))T13:00:00Z,session,\n"
        }
        let path = tmp.appendingPathComponent("cdnow-events.csv").path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // MARK: Fits

    func testFitOnCDNOWSampleEqualsPublishedBGNBDAndGammaGammaToPublishedPrecision() throws {
        let r = try CLVAnalysis.fit(cdnowOptions(holdout: false))
        XCTAssertEqual(r.model, "bgnbd")
        // Fader, Hardie & Lee (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9,582.43.
        XCTAssertEqual(rounded(r.params["r"], 3), 0.243)
        XCTAssertEqual(rounded(r.params["alpha"], 3), 4.414)
        XCTAssertEqual(rounded(r.params["a"], 3), 0.793)
        XCTAssertEqual(rounded(r.params["b"], 3), 2.426)
        XCTAssertEqual(rounded(r.logLikelihood, 2), -9582.43)
        let se = try XCTUnwrap(r.standardErrors)
        XCTAssertEqual(Set(se.keys), ["r", "alpha", "a", "b"])
        XCTAssertTrue(se.values.allSatisfy { $0 > 0 })
        XCTAssertEqual(r.customers, 2357)
        XCTAssertEqual(r.repeatCustomers, 946)
        // Fader & Hardie note 025: p = 6.25, q = 3.74, gamma = 15.44 on 946 repeat buyers.
        let g = try XCTUnwrap(r.gammaGamma)
        XCTAssertEqual(rounded(g.params["p"], 2), 6.25)
        XCTAssertEqual(rounded(g.params["q"], 2), 3.74)
        XCTAssertEqual(rounded(g.params["gamma"], 2), 15.44)
        XCTAssertEqual(g.customers, 946)
        XCTAssertEqual(r.timeUnit, "week")
        XCTAssertEqual(r.horizon, 12)
        XCTAssertEqual(r.horizonUnit, "month")
        XCTAssertEqual(r.discount, 0.01)
        XCTAssertEqual(r.horizonInTimeUnit, 12 * 30.4375 / 7, accuracy: 1e-12)
        XCTAssertGreaterThan(r.fitSeconds, 0)
        XCTAssertEqual(r.calibrationEnd, "1997-09-30")
        XCTAssertNil(r.holdoutEnd)
        XCTAssertEqual(r.warnings, [])
    }

    func testJSONKeysAreSnakeCase() throws {
        let r = try CLVAnalysis.fit(cdnowOptions())
        let data = try RetainJSON.encoder().encode(r)
        let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(Set(o.keys), ["source", "model", "model_name", "time_unit", "calibration_end", "holdout_end", "params",
                                     "standard_errors", "log_likelihood", "iterations", "customers", "repeat_customers",
                                     "purchase_events", "transactions", "purchase_types", "gamma_gamma", "horizon", "horizon_unit",
                                     "horizon_in_time_unit", "discount", "discount_unit", "totals", "holdout", "fit_seconds", "seconds", "out"])
        let g = try XCTUnwrap(o["gamma_gamma"] as? [String: Any])
        XCTAssertEqual(Set(g.keys), ["p", "q", "gamma", "standard_errors", "log_likelihood", "customers", "population_mean_value"])
        let t = try XCTUnwrap(o["totals"] as? [String: Any])
        XCTAssertEqual(Set(t.keys), ["expected_purchases", "mean_p_alive", "clv", "mean_clv"])
        let s = try XCTUnwrap(o["seconds"] as? [String: Any])
        XCTAssertEqual(Set(s.keys), ["read", "summary", "fit_purchase", "fit_spend", "predict", "total"])
    }

    func testParetoModelOnCDNOWSampleIsCloseToPublishedParameters() throws {
        var options = cdnowOptions()
        options.model = .pareto
        let r = try CLVAnalysis.fit(options)
        // Published r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669 on the rounded summary; the
        // raw log's unrounded weeks move beta in the third decimal (lifetimes: 11.6661).
        XCTAssertEqual(rounded(r.params["r"], 3), 0.553)
        XCTAssertEqual(rounded(r.params["alpha"], 3), 10.578)
        XCTAssertEqual(rounded(r.params["s"], 3), 0.606)
        XCTAssertEqual(try XCTUnwrap(r.params["beta"]), 11.669, accuracy: 0.005)
        XCTAssertEqual(rounded(r.logLikelihood, 1), -9595.0)
        XCTAssertEqual(r.modelName, "Pareto/NBD")
    }

    func testSaveModelWritesTheFittedModelsAsAClvModelFile() throws {
        var options = cdnowOptions()
        options.model = .pareto
        let path = tmp.appendingPathComponent("pareto.json").path
        options.saveModel = .init(path: path, createdAt: "2026-01-01T00:00:00Z", toolVersion: "test")
        let r = try CLVAnalysis.fit(options)
        XCTAssertEqual(r.modelFile, path)
        let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: RetainJSON.encoder().encode(r)) as? [String: Any])
        XCTAssertEqual(o["model_file"] as? String, path)
        let m = try CLVModel.load(path: path)
        let p = r.params
        XCTAssertEqual(m.purchase, .paretoNBD(.init(r: try XCTUnwrap(p["r"]), alpha: try XCTUnwrap(p["alpha"]),
                                                    s: try XCTUnwrap(p["s"]), beta: try XCTUnwrap(p["beta"]))))
        XCTAssertEqual(m.gammaGamma, r.spendModel?.params)
        XCTAssertNotNil(m.gammaGamma)
        XCTAssertEqual(m.timeUnit, .week)
        XCTAssertEqual(m.calibrationEnd, "1997-09-30")
        XCTAssertEqual(m.customers, 2357)
        XCTAssertEqual(m.logLikelihood, r.logLikelihood)
        XCTAssertEqual(m.createdAt, "2026-01-01T00:00:00Z")
        XCTAssertEqual(m.purchaseModel.probabilityAlive(frequency: 2, recency: 30, age: 38),
                       r.purchaseModel.model.probabilityAlive(frequency: 2, recency: 30, age: 38))
    }

    func testEventLogWithMappedPurchaseTypeGivesTheSameFitAsTheCDNOWFile() throws {
        let events = try cdnowAsEvents(type: "order_paid")
        var options = CLVAnalysis.Options(input: EventInput(events: events), calibrationEnd: Self.calibrationEnd)
        XCTAssertThrowsError(try CLVAnalysis.fit(options)) { error in
            XCTAssertEqual(error as? ScoringError, .noPurchaseEvents(source: events, eventTypes: ["order_paid", "session"]))
            XCTAssertEqual("\(error)", "\(events) has no purchase events: none of its event types (order_paid, session) has the role purchase. Map your purchase event type to that role (roles: {purchase: EVENT_TYPE} in the config).")
        }
        options.input.roles = ["purchase=order_paid"]
        let mapped = try CLVAnalysis.fit(options)
        let direct = try CLVAnalysis.fit(cdnowOptions(holdout: false))
        XCTAssertEqual(mapped.params, direct.params)
        XCTAssertEqual(mapped.purchaseTypes, ["order_paid"])
    }

    // MARK: Per-customer CSV

    func testOutWritesOneCSVRowPerCustomerAtomically() throws {
        var options = cdnowOptions()
        let out = tmp.appendingPathComponent("clv.csv").path
        options.out = out
        let r = try CLVAnalysis.fit(options)
        XCTAssertEqual(r.out, out)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, "customer_id,frequency,recency,T,monetary_value,expected_purchases,p_alive,expected_spend,clv,holdout_purchases,holdout_predicted")
        XCTAssertEqual(lines.count, 2358)
        let first = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(first[0], "0001")
        XCTAssertEqual(first[1], "2")
        XCTAssertEqual(try XCTUnwrap(Double(first[2])), 30.43, accuracy: 0.005)
        XCTAssertEqual(try XCTUnwrap(Double(first[3])), 38.86, accuracy: 0.005)
        XCTAssertEqual(try XCTUnwrap(Double(first[4])), 22.345, accuracy: 1e-9)   // mean of the 2 repeat days
        // The published conditional expectation of this customer: E[X(39) | 2, 30.43, 38.86] = 1.226.
        XCTAssertEqual(try XCTUnwrap(Double(first[10])), 1.226, accuracy: 0.0005)
        for line in lines.dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).compactMap { Double($0) }
            XCTAssertEqual(f.count, 11, String(line))
            XCTAssertTrue((0...1).contains(f[6]), "p_alive \(line)")
            XCTAssertGreaterThan(f[8], 0, "clv \(line)")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])
    }

    func testOutWithQuotedIdsIsReadBackByTheScorersCLVReader() throws {
        // Ids with a comma, a double quote, both, and leading spaces; the rest plain.
        func tricky(_ id: String) -> String {
            switch Int(id) ?? 0 {
            case 1: return "Smith, J"
            case 2: return "say \"hi\""
            case 3: return "a,\"b\",c"
            case 4: return "  padded "
            default: return "C" + id
            }
        }
        let events = try cdnowAsEvents(type: "purchase", id: tricky)
        var options = CLVAnalysis.Options(input: EventInput(events: events), calibrationEnd: Self.calibrationEnd)
        let out = tmp.appendingPathComponent("clv.csv").path
        options.out = out
        let r = try CLVAnalysis.fit(options)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(text.contains("\n\"Smith, J\",2,"), String(text.prefix(300)))
        XCTAssertTrue(text.contains("\n\"say \"\"hi\"\"\","), String(text.prefix(300)))

        let values = try Scorer.readCLV(path: out)
        XCTAssertEqual(values.count, r.customers)
        for (i, c) in r.summary.customers.enumerated() {
            XCTAssertEqual(values[r.customerIDs[c]], r.predictions.clv[i], "customer \(i)")
        }
        for id in ["Smith, J", "say \"hi\"", "a,\"b\",c", "  padded "] { XCTAssertNotNil(values[id], id) }
    }

    func testCLVReaderSkipsBlankLinesAndNamesThePhysicalLineOfABadCell() throws {
        let path = tmp.appendingPathComponent("clv.csv").path
        try "customer_id,frequency,clv\n\n\"a,1\",2,10.5\n\n\nb,1,\n\"c\"\"\",0,7\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try Scorer.readCLV(path: path), ["a,1": 10.5, "c\"": 7])   // b's empty clv: no value
        try "customer_id,frequency,clv\n\n\"a,1\",2,10.5\n\n\nb,1,ten\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Scorer.readCLV(path: path)) { error in
            XCTAssertEqual(error as? IngestError, .notANumber(file: path, line: 6, column: "clv", cell: CellShape("ten")))
        }
        try "customer_id,frequency,clv\n\na,2,1\n\nb,1\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Scorer.readCLV(path: path)) { error in
            XCTAssertEqual(error as? IngestError, .fieldCount(file: path, line: 5, found: 2, expected: 3))
        }
        try "customer_id,value\na,1\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Scorer.readCLV(path: path)) { error in
            XCTAssertEqual(error as? IngestError, .missingColumn(file: path, column: "clv", available: ["customer_id", "value"]))
        }
    }

    // MARK: Holdout

    func testHoldoutTableCountsEqualLifetimesSplitAndTotalsAddUp() throws {
        let h = try XCTUnwrap(try CLVAnalysis.fit(cdnowOptions()).holdout)
        XCTAssertEqual(h.start, "1997-10-01")
        XCTAssertEqual(h.end, "1998-06-30")
        XCTAssertEqual(h.length, 39, accuracy: 1e-12)
        XCTAssertEqual(h.byFrequency.map(\.frequency), ["0", "1", "2", "3", "4", "5", "6", "7+"])
        // lifetimes' calibration_and_holdout_data (Fixtures/lifetimes/cdnow_sample_calibration_holdout.csv):
        // holdout transaction days by calibration frequency 0…7+.
        XCTAssertEqual(h.byFrequency.map(\.actual), [334, 306, 298, 156, 157, 112, 112, 407])
        XCTAssertEqual(h.byFrequency.map(\.customers), [1411, 439, 214, 100, 62, 38, 29, 64])
        XCTAssertEqual(h.actual, 1882)
        XCTAssertEqual(h.customers, 2357)
        XCTAssertEqual(h.predicted, h.byFrequency.map(\.predicted).reduce(0, +), accuracy: 1e-6)
        XCTAssertEqual(h.predicted, 1653.4, accuracy: 0.5)
        XCTAssertEqual(h.total.frequency, "total")
    }

    func testHoldoutBeyondTheLogIsANotice() throws {
        var options = cdnowOptions()
        options.holdoutEnd = Timestamp.daysFromCivil(year: 1999, month: 9, day: 1)
        var seen: [CLVAnalysis.Diagnostic] = []
        let r = try CLVAnalysis.fit(options) { seen.append($0) }
        let warning = "warning: the holdout runs to 1999-09-01 but the log ends on 1998-06-30; actual holdout purchases are counted only to then."
        XCTAssertEqual(r.warnings, [warning])
        XCTAssertEqual(seen.filter { if case .notice = $0 { return true } else { return false } }, [.notice(warning)])
        XCTAssertTrue(seen.contains { if case .progress(let line) = $0 { return line.hasPrefix("read 6919 purchase events of 2357 customers in") } else { return false } })
    }

    // MARK: Errors

    func testCalibrationEndBeforeFirstPurchaseThrows() throws {
        var options = cdnowOptions(holdout: false)
        options.calibrationEnd = Timestamp.daysFromCivil(year: 1996, month: 12, day: 31)
        XCTAssertThrowsError(try CLVAnalysis.fit(options)) { error in
            XCTAssertEqual(error as? ScoringError, .calibrationBeforeFirstPurchase(calibrationEnd: "1996-12-31", firstPurchase: "1997-01-01"))
            XCTAssertEqual("\(error)", "the calibration end 1996-12-31 is before the first purchase (1997-01-01): no customer has a purchase in the calibration period. Choose a later date.")
        }
    }

    func testSettingsThatCannotWorkThrowWithoutNamingFlags() throws {
        var options = cdnowOptions()
        options.holdoutEnd = Self.calibrationEnd
        XCTAssertThrowsError(try CLVAnalysis.fit(options)) { XCTAssertEqual($0 as? ScoringError, .holdoutNotAfterCalibration(holdoutEnd: "1997-09-30", calibrationEnd: "1997-09-30")) }
        options = cdnowOptions()
        options.horizon = 0
        XCTAssertThrowsError(try CLVAnalysis.fit(options)) { XCTAssertEqual("\($0)", "the CLV horizon must be at least 1 period, got 0.") }
        options = cdnowOptions()
        options.discount = -1
        XCTAssertThrowsError(try CLVAnalysis.fit(options)) { XCTAssertEqual($0 as? ScoringError, .badDiscount(-1, perUnit: .month)) }
        options = cdnowOptions()
        options.input.config = "x.yaml"
        XCTAssertThrowsError(try CLVAnalysis.fit(options)) { error in
            XCTAssertEqual(error as? ScoringError, .cdnowWithEventSettings)
            XCTAssertFalse("\(error)".contains("--"), "\(error)")
        }
    }

    func testPurchasesWithoutValuesLeaveOutSpendAndCLV() throws {
        // The CDNOW purchases without their values (the value column holds only sessions' empty cells).
        let events = try cdnowAsEvents(type: "purchase")
        let text = try String(contentsOfFile: events, encoding: .utf8)
        let path = tmp.appendingPathComponent("no-values.csv").path
        try text.split(separator: "\n").map { $0.hasSuffix(",session,") || $0.hasPrefix("customer_id") ? String($0) : $0.split(separator: ",").dropLast().joined(separator: ",") + "," }
            .joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let r = try CLVAnalysis.fit(CLVAnalysis.Options(input: EventInput(events: path), calibrationEnd: Self.calibrationEnd))
        XCTAssertNil(r.gammaGamma)
        XCTAssertNil(r.totals.clv)
        XCTAssertEqual(r.spendNote, "no purchase has a value, so the Gamma-Gamma spend model and CLV are left out (map the value column).")
        XCTAssertEqual(r.warnings, ["warning: " + (r.spendNote ?? "")])
        XCTAssertTrue(r.predictions.clv.allSatisfy(\.isNaN))
    }
}
