import Foundation
import XCTest

/// `retain history`, `retain diff`, `retain export`. The score history is seeded through the hidden
/// `retain history --import-jsonl FILE --db DB` (ScoreRecord JSON lines), so these tests need no model.
final class ExportCLITests: XCTestCase {
    private var dir: URL!
    private var db: String { dir.appendingPathComponent("retain.sqlite").path }

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("retain-export-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let lines = [
            #"{"customer_id":"a","date":"2025-10-01","model_id":"m1","churn_probability":0.2,"risk_tier":"low","predicted_value":300,"segment":"Loyal","flags":["high_value"],"action":"loyalty_reward","reasons":["steady buyer"]}"#,
            #"{"customer_id":"b","date":"2025-10-01","model_id":"m1","churn_probability":0.7,"risk_tier":"high","predicted_value":40,"segment":"At risk","flags":["at_risk"],"action":"win_back_offer","reasons":["no purchase in 60 days"]}"#,
            #"{"customer_id":"a","date":"2025-10-02","model_id":"m1","churn_probability":0.8,"risk_tier":"high","predicted_value":300,"segment":"At risk","flags":["at_risk","high_value"],"action":"personal_outreach","reasons":["sessions down 70%"]}"#,
            #"{"customer_id":"b","date":"2025-10-02","model_id":"m1","churn_probability":0.75,"risk_tier":"high","predicted_value":40,"segment":"At risk","flags":["at_risk"],"action":"win_back_offer","reasons":["no purchase in 61 days"]}"#,
        ]
        let jsonl = dir.appendingPathComponent("scores.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: jsonl, atomically: true, encoding: .utf8)
        try "customer_id,signup_date,email,plan\na,2024-01-01,a@example.org,pro\nb,2024-02-01,b@example.org,basic\n"
            .write(to: dir.appendingPathComponent("customers.csv"), atomically: true, encoding: .utf8)
        let r = try runRetain(["history", "--import-jsonl", jsonl.path, "--db", db])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func testHistoryJSONShowsTheTrajectory() throws {
        let r = try runRetain(["history", "--db", db, "--customer", "a", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let scores = obj?["scores"] as? [[String: Any]]
        XCTAssertEqual(scores?.map { $0["date"] as? String }, ["2025-10-01", "2025-10-02"])
        XCTAssertEqual(scores?.map { $0["segment"] as? String }, ["Loyal", "At risk"])
        XCTAssertEqual(scores?.last?["churn_probability"] as? Double, 0.8)
    }

    func testHistoryTableAndMissingDatabase() throws {
        let table = try runRetain(["history", "--db", db, "--customer", "b"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("2025-10-02"))
        let missing = try runRetain(["history", "--db", dir.appendingPathComponent("nope.sqlite").path, "--customer", "a"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no score history at"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("nope.sqlite").path))
        let noCustomer = try runRetain(["history", "--db", db])
        XCTAssertEqual(noCustomer.status, 64)
    }

    func testDiffJSONReportsMovesWithReasons() throws {
        let r = try runRetain(["diff", "--db", db, "--from", "2025-10-01", "--to", "2025-10-02", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let moves = obj?["moves"] as? [[String: Any]]
        XCTAssertEqual(moves?.count, 1)
        XCTAssertEqual(moves?.first?["customer_id"] as? String, "a")
        XCTAssertEqual(moves?.first?["from"] as? String, "Loyal")
        XCTAssertEqual(moves?.first?["to"] as? String, "At risk")
        XCTAssertEqual(moves?.first?["reason"] as? String, "sessions down 70%")
        let lists = obj?["lists"] as? [[String: Any]]
        let atRisk = lists?.first { $0["list"] as? String == "at-risk" }
        XCTAssertEqual(atRisk?["entered"] as? [String], ["a"])
        XCTAssertEqual(atRisk?["stayed"] as? Int, 1)
        let text = try runRetain(["diff", "--db", db, "--from", "2025-10-01", "--to", "2025-10-02"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("Loyal → At risk"), text.stdout)
    }

    func testDiffUnknownDateAndBadMarginExit64() throws {
        let r = try runRetain(["diff", "--db", db, "--from", "2025-09-01", "--to", "2025-10-02"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("no scores for 2025-09-01. Scored dates: 2025-10-01, 2025-10-02."), r.stderr)
        let m = try runRetain(["diff", "--db", db, "--from", "2025-10-01", "--to", "2025-10-02", "--margin", "2"])
        XCTAssertEqual(m.status, 64)
        XCTAssertTrue(m.stderr.contains("--margin must be in [0, 1)"), m.stderr)
    }

    func testExportWritesListsWithCustomerAttributesOwnerOnly() throws {
        let out = dir.appendingPathComponent("lists")
        let r = try runRetain(["export", "--db", db, "--date", "2025-10-02", "--customers", dir.appendingPathComponent("customers.csv").path,
                               "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(files, ["action-personal_outreach.csv", "action-win_back_offer.csv", "at-risk.csv", "high-value.csv", "manifest.json", "win-back.csv"])
        let atRisk = try String(contentsOf: out.appendingPathComponent("at-risk.csv"), encoding: .utf8)
        XCTAssertEqual(atRisk.split(separator: "\n").first, "customer_id,email,plan,churn_probability,risk_tier,lifecycle,predicted_value,winback_rank,segment,action,reasons")
        XCTAssertTrue(atRisk.contains("\na,a@example.org,pro,0.8,high,,300.0,,At risk,personal_outreach,sessions down 70%\n"), atRisk)
        for f in files {
            let mode = try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent(f).path)[.posixPermissions] as? Int
            XCTAssertEqual(mode, 0o600, f)
        }
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("manifest.json"))) as? [String: Any]
        let lists = manifest?["lists"] as? [[String: Any]]
        XCTAssertEqual(lists?.first?["file"] as? String, "at-risk.csv")
        XCTAssertEqual(lists?.first?["rows"] as? Int, 2)
        XCTAssertEqual(lists?.first?["model_id"] as? String, "m1")
        XCTAssertTrue((lists?.first?["checksum"] as? String)?.hasPrefix("sha256:") == true)
    }

    func testExportNewOnlyJSONL() throws {
        let out = dir.appendingPathComponent("new")
        let r = try runRetain(["export", "--db", db, "--date", "2025-10-02", "--list", "at-risk", "--new-only", "--format", "jsonl", "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = try String(contentsOf: out.appendingPathComponent("at-risk.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines[0].hasPrefix(#"{"customer_id":"a","#), String(lines[0]))
    }

    func testExportUsageErrorsExit64WithTheChoices() throws {
        let out = dir.appendingPathComponent("x").path
        let list = try runRetain(["export", "--db", db, "--date", "2025-10-02", "--list", "vip", "--out", out])
        XCTAssertEqual(list.status, 64)
        XCTAssertTrue(list.stderr.contains("unknown list 'vip'. Valid lists: at-risk, high-value, win-back, personal_outreach, win_back_offer, At risk."), list.stderr)
        let date = try runRetain(["export", "--db", db, "--date", "2025-12-24", "--out", out])
        XCTAssertEqual(date.status, 64)
        XCTAssertTrue(date.stderr.contains("Scored dates: 2025-10-01, 2025-10-02."), date.stderr)
        let format = try runRetain(["export", "--db", db, "--date", "2025-10-02", "--format", "xml", "--out", out])
        XCTAssertEqual(format.status, 64)
        let missing = try runRetain(["export", "--db", dir.appendingPathComponent("none.sqlite").path, "--date", "2025-10-02", "--out", out])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no score history at"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testHelpDescribesTheCommands() throws {
        let r = try runRetain(["export", "--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("--new-only"))
        XCTAssertTrue(r.stdout.contains("mode 0600"))
    }
}
