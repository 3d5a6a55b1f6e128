import Foundation
import XCTest

/// `retain clv` and `retain selftest` end to end on the bundled CDNOW data: published parameters,
/// the per-customer CSV, the holdout table (against lifetimes' calibration/holdout split in
/// Tests/RetainNumericsTests/Fixtures/lifetimes), error texts and exit codes.
final class CLVCLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sample = root.appendingPathComponent("datasets/cdnow/CDNOW_sample.txt").path
    static let cdnowArgs = ["clv", "--cdnow", "--events", sample, "--calibration-end", "1997-09-30",
                            "--holdout-end", "1998-06-30", "--time-unit", "week"]


    private var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("retain-clv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    private func retain(_ arguments: [String], in directory: URL? = nil) throws -> CLIResult {
        try runRetain(arguments, currentDirectory: directory)
    }

    private func object(_ s: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any], s)
    }

    /// Rounds to `decimals` places, as the published figures are.
    private func rounded(_ v: Any?, _ decimals: Int) -> Double {
        let f = pow(10, Double(decimals))
        return ((v as? Double ?? .nan) * f).rounded() / f
    }

    /// CDNOW_sample.txt as an events CSV with the business's own purchase type name.
    private func cdnowAsEvents(type: String) throws -> String {
        let text = try String(contentsOfFile: Self.sample, encoding: .utf8)
        var csv = "customer_id,timestamp,event_type,value\n"
        for line in text.split(whereSeparator: \.isNewline) {
            let f = line.split(separator: " ")
            guard f.count == 5 else { continue }
            let d = f[2]
            csv += "\(f[1]),\(d.prefix(4))-\(d.dropFirst(4).prefix(2))-\(d.suffix(2))T12:00:00Z,\(type),\(f[4])\n"
            csv += "\(f[1]),\(d.prefix(4))-\(d.dropFirst(4).prefix(2))-\(d.suffix(2))T13:00:00Z,session,\n"
        }
        let path = tmp.appendingPathComponent("cdnow-events.csv").path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // MARK: clv

    func testCLVJSONOnCDNOWSampleEqualsPublishedBGNBDAndGammaGammaToPublishedPrecision() throws {
        let r = try retain(Self.cdnowArgs + ["--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try object(r.stdout)
        XCTAssertEqual(o["model"] as? String, "bgnbd")
        let p = try XCTUnwrap(o["params"] as? [String: Double])
        // Fader, Hardie & Lee (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9,582.43.
        XCTAssertEqual(rounded(p["r"], 3), 0.243)
        XCTAssertEqual(rounded(p["alpha"], 3), 4.414)
        XCTAssertEqual(rounded(p["a"], 3), 0.793)
        XCTAssertEqual(rounded(p["b"], 3), 2.426)
        XCTAssertEqual(rounded(o["log_likelihood"], 2), -9582.43)
        let se = try XCTUnwrap(o["standard_errors"] as? [String: Double])
        XCTAssertEqual(Set(se.keys), ["r", "alpha", "a", "b"])
        XCTAssertTrue(se.values.allSatisfy { $0 > 0 })
        XCTAssertEqual(o["customers"] as? Int, 2357)
        XCTAssertEqual(o["repeat_customers"] as? Int, 946)
        // Fader & Hardie note 025: p = 6.25, q = 3.74, gamma = 15.44 on 946 repeat buyers.
        let g = try XCTUnwrap(o["gamma_gamma"] as? [String: Any])
        XCTAssertEqual(rounded(g["p"], 2), 6.25)
        XCTAssertEqual(rounded(g["q"], 2), 3.74)
        XCTAssertEqual(rounded(g["gamma"], 2), 15.44)
        XCTAssertEqual(g["customers"] as? Int, 946)
        XCTAssertNotNil(g["log_likelihood"] as? Double)
        XCTAssertEqual(o["time_unit"] as? String, "week")
        XCTAssertEqual(o["horizon"] as? Int, 12)
        XCTAssertEqual(o["horizon_unit"] as? String, "month")
        XCTAssertEqual(o["discount"] as? Double, 0.01)
        XCTAssertEqual(o["discount_unit"] as? String, "month")
        XCTAssertEqual(try XCTUnwrap(o["horizon_in_time_unit"] as? Double), 12 * 30.4375 / 7, accuracy: 1e-12)
        XCTAssertGreaterThan(try XCTUnwrap(o["fit_seconds"] as? Double), 0)
    }

    func testParetoModelOnCDNOWSampleIsCloseToPublishedParameters() throws {
        let r = try retain(Self.cdnowArgs + ["--model", "pareto", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try object(r.stdout)
        let p = try XCTUnwrap(o["params"] as? [String: Double])
        // Published r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669 on the rounded summary; the
        // raw log's unrounded weeks move beta in the third decimal (lifetimes: 11.6661).
        XCTAssertEqual(rounded(p["r"], 3), 0.553)
        XCTAssertEqual(rounded(p["alpha"], 3), 10.578)
        XCTAssertEqual(rounded(p["s"], 3), 0.606)
        XCTAssertEqual(try XCTUnwrap(p["beta"]), 11.669, accuracy: 0.005)
        XCTAssertEqual(rounded(o["log_likelihood"], 1), -9595.0)
    }

    func testCLVWritesOneCSVRowPerCustomerAtomically() throws {
        let out = tmp.appendingPathComponent("clv.csv").path
        let r = try retain(Self.cdnowArgs + ["--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Per-customer values written to \(out)"))
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, "customer_id,frequency,recency,T,monetary_value,expected_purchases,p_alive,expected_spend,clv,holdout_purchases,holdout_predicted")
        XCTAssertEqual(lines.count, 2358)
        let first = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(first[0], "0001")
        XCTAssertEqual(first[1], "2")
        XCTAssertEqual(try XCTUnwrap(Double(first[2])), 30.43, accuracy: 0.005)
        XCTAssertEqual(try XCTUnwrap(Double(first[3])), 38.86, accuracy: 0.005)
        XCTAssertEqual(try XCTUnwrap(Double(first[4])), 22.345, accuracy: 1e-9)   // (26.48 + ... ) mean of the 2 repeat days
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

    func testHoldoutTableCountsEqualLifetimesSplitAndTotalsAddUp() throws {
        let r = try retain(Self.cdnowArgs + ["--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let h = try XCTUnwrap(try object(r.stdout)["holdout"] as? [String: Any])
        XCTAssertEqual(h["start"] as? String, "1997-10-01")
        XCTAssertEqual(h["end"] as? String, "1998-06-30")
        XCTAssertEqual(try XCTUnwrap(h["length"] as? Double), 39, accuracy: 1e-12)
        let buckets = try XCTUnwrap(h["by_frequency"] as? [[String: Any]])
        XCTAssertEqual(buckets.map { $0["frequency"] as? String }, ["0", "1", "2", "3", "4", "5", "6", "7+"])
        // lifetimes' calibration_and_holdout_data (Fixtures/lifetimes/cdnow_sample_calibration_holdout.csv):
        // holdout transaction days by calibration frequency 0…7+.
        XCTAssertEqual(buckets.map { $0["actual"] as? Double }, [334, 306, 298, 156, 157, 112, 112, 407])
        XCTAssertEqual(buckets.map { $0["customers"] as? Int }, [1411, 439, 214, 100, 62, 38, 29, 64])
        XCTAssertEqual(h["actual"] as? Double, 1882)
        XCTAssertEqual(h["customers"] as? Int, 2357)
        let predicted = buckets.compactMap { $0["predicted"] as? Double }
        XCTAssertEqual(try XCTUnwrap(h["predicted"] as? Double), predicted.reduce(0, +), accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(h["predicted"] as? Double), 1653.4, accuracy: 0.5)
        // The readable table shows the same totals.
        let text = try retain(Self.cdnowArgs)
        XCTAssertTrue(text.stdout.contains("Holdout 1997-10-01 to 1998-06-30 (39 weeks)"), text.stdout)
        XCTAssertTrue(text.stdout.contains("7+"))
        XCTAssertTrue(text.stdout.contains("total           2,357      1882.0      1653.4"), text.stdout)
    }

    func testEventLogWithMappedPurchaseTypeGivesTheSameFitAsTheCDNOWFile() throws {
        let events = try cdnowAsEvents(type: "order_paid")
        let base = ["clv", "--events", events, "--calibration-end", "1997-09-30", "--json"]
        let unmapped = try retain(base)
        XCTAssertEqual(unmapped.status, 1)
        XCTAssertTrue(unmapped.stderr.contains("has no purchase events: none of its event types (order_paid, session) has the role purchase. Map your purchase event type to it with --role purchase=EVENT_TYPE, or roles: {purchase: EVENT_TYPE} in the --config file."), unmapped.stderr)
        let mapped = try retain(base + ["--role", "purchase=order_paid"])
        XCTAssertEqual(mapped.status, 0, mapped.stderr)
        let direct = try retain(["clv", "--cdnow", "--events", Self.sample, "--calibration-end", "1997-09-30", "--json"])
        let a = try XCTUnwrap(try object(mapped.stdout)["params"] as? [String: Double])
        let b = try XCTUnwrap(try object(direct.stdout)["params"] as? [String: Double])
        XCTAssertEqual(a, b)
        XCTAssertEqual(try object(mapped.stdout)["purchase_types"] as? [String], ["order_paid"])
    }

    func testCalibrationEndBeforeFirstPurchaseIsAClearError() throws {
        let r = try retain(["clv", "--cdnow", "--events", Self.sample, "--calibration-end", "1996-12-31"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("--calibration-end 1996-12-31 is before the first purchase (1997-01-01): no customer has a purchase in the calibration period. Choose a later date."), r.stderr)
    }

    func testHoldoutEndNotAfterCalibrationEndIsAUsageError() throws {
        for end in ["1997-09-30", "1997-06-01"] {
            let r = try retain(["clv", "--cdnow", "--events", Self.sample, "--calibration-end", "1997-09-30", "--holdout-end", end])
            XCTAssertEqual(r.status, 64)
            XCTAssertTrue(r.stderr.contains("--holdout-end \(end) must be after --calibration-end 1997-09-30"), r.stderr)
        }
        let badDate = try retain(["clv", "--cdnow", "--events", Self.sample, "--calibration-end", "1997-09-31"])
        XCTAssertEqual(badDate.status, 64)
        XCTAssertTrue(badDate.stderr.contains("--calibration-end '1997-09-31' is not a date"), badDate.stderr)
        let role = try retain(["clv", "--cdnow", "--events", Self.sample, "--calibration-end", "1997-09-30", "--role", "purchase=x"])
        XCTAssertEqual(role.status, 64)
        XCTAssertTrue(role.stderr.contains("--cdnow reads a CDNOW text file"), role.stderr)
    }

    func testCLVHelpStatesUnitsAndTheCDNOWRecipe() throws {
        let r = try retain(["clv", "--help"])
        XCTAssertEqual(r.status, 0)
        for text in ["--calibration-end", "--holdout-end", "--time-unit", "--horizon-unit", "Discount rate per --horizon-unit",
                     "--cdnow", "CDNOW_sample.txt", "--role", "bgnbd|mbgnbd|pareto"] {
            XCTAssertTrue(r.stdout.contains(text), "help lacks \(text)")
        }
    }

    // MARK: selftest

    func testSelftestMatchesEveryPublishedFigureAndPrintsSources() throws {
        // Run from an unrelated directory: the data are found above the executable.
        let r = try retain(["selftest"], in: tmp)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("Fader, Hardie & Lee (2005)"))
        XCTAssertTrue(r.stdout.contains("The Gamma-Gamma model of monetary value"))
        XCTAssertTrue(r.stdout.contains("DESIGN.md"))
        XCTAssertTrue(r.stdout.contains("BG/NBD E[X(39) | x=2, t_x=30.43, T=38.86]"))
        XCTAssertTrue(r.stdout.range(of: #"All \d+ figures match\."#, options: .regularExpression) != nil, r.stdout)
        XCTAssertFalse(r.stdout.contains(" NO "))
    }

    func testSelftestJSONListsEachCheckWithItsSource() throws {
        let r = try retain(["selftest", "--json", "--data", Self.root.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try object(r.stdout)
        XCTAssertEqual(o["all_match"] as? Bool, true)
        XCTAssertEqual(o["failed"] as? Int, 0)
        let checks = try XCTUnwrap(o["checks"] as? [[String: Any]])
        let names = checks.compactMap { $0["name"] as? String }
        for name in ["BG/NBD r", "Pareto/NBD beta", "Gamma-Gamma gamma", "NPS: 300 promoters, 100 passives, 100 detractors",
                     "retention: 10,000 -> 12,000 with 5,000 new (%)"] {
            XCTAssertTrue(names.contains(name), name)
        }
        XCTAssertTrue(checks.allSatisfy { ($0["source"] as? String)?.isEmpty == false && $0["match"] as? Bool == true })
    }

    func testSelftestSaysWhereItLookedWhenDataAreMissing() throws {
        let r = try retain(["selftest", "--data", tmp.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("--data \(tmp.path): no CDNOW_sample.txt and cdnow_customers_summary_with_transactions.csv there"), r.stderr)
    }
}
