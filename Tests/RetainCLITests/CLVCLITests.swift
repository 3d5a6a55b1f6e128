import Foundation
import XCTest

/// `retain clv` and `retain selftest` end to end: the workflows' reports printed (text and --json),
/// error texts with flag advice, and exit codes. The workflows themselves are tested in
/// RetainScoringTests (CLVAnalysisTests, SelftestTests).
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

    func testCLVJSONPrintsTheReportOfTheWorkflow() throws {
        let r = try retain(Self.cdnowArgs + ["--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        let o = try object(r.stdout)
        XCTAssertEqual(o["model"] as? String, "bgnbd")
        let p = try XCTUnwrap(o["params"] as? [String: Double])
        // Fader, Hardie & Lee (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9,582.43.
        XCTAssertEqual(rounded(p["r"], 3), 0.243)
        XCTAssertEqual(rounded(o["log_likelihood"], 2), -9582.43)
        XCTAssertEqual(o["customers"] as? Int, 2357)
        let g = try XCTUnwrap(o["gamma_gamma"] as? [String: Any])
        XCTAssertEqual(rounded(g["gamma"], 2), 15.44)
        let h = try XCTUnwrap(o["holdout"] as? [String: Any])
        XCTAssertEqual(h["start"] as? String, "1997-10-01")
        XCTAssertEqual((h["by_frequency"] as? [[String: Any]])?.count, 8)
    }

    func testCLVTextReportShowsFitsHoldoutTableAndOutFile() throws {
        let out = tmp.appendingPathComponent("clv.csv").path
        let r = try retain(Self.cdnowArgs + ["--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("BG/NBD + Gamma-Gamma on \(Self.sample): 2,357 customers (946 with repeat purchases), calibration to 1997-09-30, times in weeks\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Holdout 1997-10-01 to 1998-06-30 (39 weeks)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("7+"))
        XCTAssertTrue(r.stdout.contains("total           2,357      1882.0      1653.4"), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("\nPer-customer values written to \(out)\n"), r.stdout)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").count, 2358)
    }

    func testUnmappedPurchaseTypeErrorAdvisesTheRoleFlag() throws {
        let events = try cdnowAsEvents(type: "order_paid")
        let base = ["clv", "--events", events, "--calibration-end", "1997-09-30", "--json"]
        let unmapped = try retain(base)
        XCTAssertEqual(unmapped.status, 1)
        XCTAssertTrue(unmapped.stderr.contains("has no purchase events: none of its event types (order_paid, session) has the role purchase. Map your purchase event type to it with --role purchase=EVENT_TYPE, or roles: {purchase: EVENT_TYPE} in the --config file."), unmapped.stderr)
        let mapped = try retain(base + ["--role", "purchase=order_paid"])
        XCTAssertEqual(mapped.status, 0, mapped.stderr)
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

    func testSaveModelWritesAClvModelFileThatModelsListAndShowAndScoreRefuses() throws {
        let path = tmp.appendingPathComponent("clv.json").path
        let r = try retain(Self.cdnowArgs + ["--json", "--save-model", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try object(r.stdout)
        XCTAssertEqual(o["model_file"] as? String, path)
        let g = try XCTUnwrap(o["gamma_gamma"] as? [String: Any])

        let list = try retain(["models", "list", "--dir", tmp.path])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.hasPrefix("\(path)  CLV model BG/NBD + Gamma-Gamma (weeks)  calibration end 1997-09-30  2357 customers  r 0.2426, alpha 4.414, a 0.7929, b 2.426  created "), list.stdout)
        // The verified file holds the parameters of the report, bit for bit.
        let shown = try retain(["models", "show", "--json", path])
        XCTAssertEqual(shown.status, 0, shown.stderr)
        let file = try object(shown.stdout)
        XCTAssertEqual(file["format"] as? String, "retain.model")
        XCTAssertEqual(file["kind"] as? String, "clv")
        XCTAssertEqual(file["time_unit"] as? String, "week")
        XCTAssertEqual(file["calibration_end"] as? String, "1997-09-30")
        XCTAssertEqual(file["log_likelihood"] as? Double, o["log_likelihood"] as? Double)
        let purchase = try XCTUnwrap(file["purchase"] as? [String: Any])
        XCTAssertEqual(purchase["model"] as? String, "bgnbd")
        XCTAssertEqual(purchase["params"] as? [String: Double], o["params"] as? [String: Double])
        XCTAssertEqual(file["gamma_gamma"] as? [String: Double],
                       ["p": try XCTUnwrap(g["p"] as? Double), "q": try XCTUnwrap(g["q"] as? Double), "gamma": try XCTUnwrap(g["gamma"] as? Double)])
        let details = try retain(["models", "show", path])
        XCTAssertEqual(details.status, 0, details.stderr)
        for text in ["checksum OK", "Purchase model BG/NBD (bgnbd), rates per week; calibration end 1997-09-30; fitted on 2357 customers, log-likelihood -9582.4",
                     "  r 0.2425", ", alpha 4.41", ", a 0.792", ", b 2.42", "Gamma-Gamma spend model: p 6.2"] {
            XCTAssertTrue(details.stdout.contains(text), "show lacks \(text):\n\(details.stdout)")
        }

        // A CLV model given as the churn model is refused, naming both kinds.
        let events = Self.root.appendingPathComponent("datasets/sample/events.csv").path
        let wrong = try retain(["score", "--events", events, "--model", path, "--as-of", "2025-12-01"])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.stderr.contains("\(path) is a CLV model, not a churn model; give a churn model to --model."), wrong.stderr)

        // The readable report says where the file went; without the option the JSON has no model_file.
        let text = try retain(Self.cdnowArgs + ["--save-model", path])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasSuffix("\n\nCLV model written to \(path)\n"), text.stdout)
        XCTAssertTrue(try retain(["clv", "--help"]).stdout.contains("--save-model <file.json>"))
    }

    func testCommittedSampleCLVModelVerifies() throws {
        let path = Self.root.appendingPathComponent("models/sample-clv.json").path
        let r = try retain(["models", "show", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("(CLV model)") && r.stdout.contains("checksum OK") && r.stdout.contains("Gamma-Gamma spend model"), r.stdout)
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
