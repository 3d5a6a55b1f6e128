import Foundation
import XCTest

/// End-to-end tests of `retain metrics` and `retain cohorts`: JSON keys, explanations, exit codes,
/// the reasons for KPIs that cannot be computed, and sane numbers on the bundled sample.
final class MetricsCLITests: XCTestCase {
    static let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("datasets/sample")

    func run(_ arguments: [String]) throws -> CLIResult { try runRetain(arguments) }

    var tmp: URL!
    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("retain-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func write(_ name: String, _ text: String) throws -> String {
        let url = tmp.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func json(_ s: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any], s)
    }

    /// Two customers over February and March: 1 of 2 lost in March; 4 promoters and 1 detractor;
    /// 10 sends and 1 click; no csat, ces or social events.
    func tinyLog() throws -> String {
        var text = "customer_id,timestamp,event_type,value,ref\n"
        text += "a,2025-01-20T10:00:00Z,login,,\nb,2025-01-25T10:00:00Z,login,,\n"
        for (i, score) in [10, 9, 9, 10, 2].enumerated() { text += "a,2025-02-0\(i + 1)T10:00:00Z,nps,\(score),\n" }
        for d in 10...19 { text += "a,2025-02-\(d)T08:00:00Z,email_sent,,cmp1\n" }
        text += "a,2025-02-12T09:00:00Z,email_click,,cmp1\na,2025-02-13T09:00:00Z,purchase,25,\n"
        text += "b,2025-02-01T10:00:00Z,login,,\na,2025-03-20T10:00:00Z,login,,\n"
        return try write("events.csv", text)
    }

    func testJSONHasTotalsSubPeriodsAndNotComputedReasons() throws {
        let events = try tinyLog()
        let r = try run(["metrics", "--events", events, "--from", "2025-02-01", "--to", "2025-04-01", "--by", "month", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(r.stdout)
        for key in ["from", "to", "by", "settings", "total", "periods", "not_computed", "warnings", "events_read", "events_in_period"] {
            XCTAssertNotNil(o[key], key)
        }
        XCTAssertEqual(o["by"] as? String, "month")
        let total = try XCTUnwrap(o["total"] as? [String: Any])
        for key in ["customers_start", "customers_end", "new_customers", "lost_customers", "churn_rate", "retention_rate",
                    "nps", "promoters", "passives", "detractors", "csat", "ces", "open_rate", "ctr", "conversion_rate",
                    "unsubscribe_rate", "bounce_rate", "exit_rate", "mean_session_duration_seconds", "pages_per_session",
                    "average_handle_time_seconds", "mean_resolution_time_seconds", "first_contact_resolution_rate",
                    "social_engagement_rate", "repeat_purchase_rate", "average_order_value", "purchase_frequency", "clv",
                    "event_registrations", "event_attendance", "attendance_rate"] {
            XCTAssertTrue(total.keys.contains(key), key)
        }
        XCTAssertEqual(total["nps"] as? Double, 60)
        XCTAssertEqual(total["ctr"] as? Double, 10)
        XCTAssertEqual(total["churn_rate"] as? Double, 50)
        XCTAssertEqual(total["retention_rate"] as? Double, 50)
        XCTAssertTrue(total["csat"] is NSNull)
        let periods = try XCTUnwrap(o["periods"] as? [[String: Any]])
        XCTAssertEqual(periods.map { $0["from"] as? String }, ["2025-02-01", "2025-03-01"])
        let reasons = try XCTUnwrap(o["not_computed"] as? [[String: String]])
        XCTAssertTrue(reasons.contains(["kpi": "csat", "reason": "no csat events in the log (map one with --role csat=TYPE)"]), "\(reasons)")
        XCTAssertTrue(reasons.contains { $0["kpi"] == "social_engagement_rate" })
        XCTAssertNil(o["definitions"])
    }

    func testTextSaysWhatCannotBeComputedAndWhy() throws {
        let events = try tinyLog()
        let r = try run(["metrics", "--events", events, "--from", "2025-02-01", "--to", "2025-04-01"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Not computed:"), r.stdout)
        XCTAssertTrue(r.stdout.contains("CSAT: no csat events in the log (map one with --role csat=TYPE)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("social engagement rate: no like, share or comment events in the log"), r.stdout)
        XCTAssertTrue(r.stdout.contains("churn rate %"), r.stdout)
        // Mapping a type to the role makes it computable.
        let mapped = try run(["metrics", "--events", events, "--from", "2025-02-01", "--to", "2025-04-01", "--role", "csat=login"])
        XCTAssertFalse(mapped.stdout.contains("CSAT: no csat events"), mapped.stdout)
    }

    func testExplainPrintsEveryDefinition() throws {
        let events = try tinyLog()
        let r = try run(["metrics", "--events", events, "--from", "2025-02-01", "--to", "2025-04-01", "--explain"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Definitions"), r.stdout)
        XCTAssertTrue(r.stdout.contains("retention rate % [retention_rate]: (customers at end − new customers) / customers at start × 100."), r.stdout)
        XCTAssertTrue(r.stdout.contains("churn rate % [churn_rate]: lost customers / customers at start × 100."), r.stdout)
        XCTAssertTrue(r.stdout.contains("NPS [nps]: % promoters − % detractors"), r.stdout)
        XCTAssertTrue(r.stdout.contains("[clv]: simple CLV = average order value × purchase frequency × lifespan"), r.stdout)
        let j = try run(["metrics", "--events", events, "--from", "2025-02-01", "--to", "2025-04-01", "--explain", "--json"])
        let definitions = try XCTUnwrap(try json(j.stdout)["definitions"] as? [String: String])
        XCTAssertEqual(definitions.count, 56)
    }

    func testBadDatesAndOptionsAreUsageErrorsWithExit64() throws {
        let events = try tinyLog()
        let bad = try run(["metrics", "--events", events, "--from", "2025-02-30", "--to", "2025-04-01"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("--from '2025-02-30' is not a date: expected YYYY-MM-DD"), bad.stderr)
        let order = try run(["metrics", "--events", events, "--from", "2025-04-01", "--to", "2025-02-01"])
        XCTAssertEqual(order.status, 64)
        XCTAssertTrue(order.stderr.contains("--from 2025-04-01 must be before --to 2025-02-01."), order.stderr)
        let followers = try run(["metrics", "--events", events, "--from", "2025-02-01", "--to", "2025-04-01", "--followers", "-3"])
        XCTAssertEqual(followers.status, 64)
        let by = try run(["metrics", "--events", events, "--from", "2025-02-01", "--to", "2025-04-01", "--by", "year"])
        XCTAssertEqual(by.status, 64)
        let missing = try run(["metrics", "--events", tmp.appendingPathComponent("nope.csv").path, "--from", "2025-02-01", "--to", "2025-04-01"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("nope.csv"), missing.stderr)
    }

    func testSampleLogGivesSaneNumbersEveryMonth() throws {
        let r = try run(["metrics", "--events", Self.sample.appendingPathComponent("events.csv").path,
                         "--customers", Self.sample.appendingPathComponent("customers.csv").path,
                         "--from", "2025-01-01", "--to", "2026-01-01", "--by", "month", "--followers", "50000", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(r.stdout)
        XCTAssertEqual(o["events_read"] as? Int, 305_711)
        let total = try XCTUnwrap(o["total"] as? [String: Any])
        let periods = try XCTUnwrap(o["periods"] as? [[String: Any]])
        XCTAssertEqual(periods.count, 12)
        let percents = ["churn_rate", "retention_rate", "csat", "open_rate", "ctr", "unsubscribe_rate", "conversion_rate",
                        "bounce_rate", "first_contact_resolution_rate", "repeat_purchase_rate", "attendance_rate", "social_engagement_rate"]
        for p in [total] + periods {
            for key in percents {
                let v = try XCTUnwrap(p[key] as? Double, "\(key) in \(p["from"] ?? "")")
                XCTAssertTrue((0...100).contains(v), "\(key) = \(v)")
            }
            let nps = try XCTUnwrap(p["nps"] as? Double)
            XCTAssertTrue((-100...100).contains(nps), "nps = \(nps)")
            let ces = try XCTUnwrap(p["ces"] as? Double)
            XCTAssertTrue((1...7).contains(ces), "ces = \(ces)")
            for key in ["mean_session_duration_seconds", "average_handle_time_seconds", "mean_resolution_time_seconds", "average_order_value"] {
                XCTAssertGreaterThan(try XCTUnwrap(p[key] as? Double), 0, key)
            }
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(p["pages_per_session"] as? Double), 1)
            let start = try XCTUnwrap(p["customers_start"] as? Double), end = try XCTUnwrap(p["customers_end"] as? Double)
            let new = try XCTUnwrap(p["new_customers"] as? Double), lost = try XCTUnwrap(p["lost_customers"] as? Double)
            XCTAssertEqual(end, start + new - lost)
        }
        XCTAssertEqual(total["new_customers"] as? Double, 2037, "customers.csv: 2,037 signed up inside the window")
        XCTAssertEqual(total["customers_start"] as? Double, periods[0]["customers_start"] as? Double)
        XCTAssertEqual(total["customers_end"] as? Double, periods[11]["customers_end"] as? Double)
        for k in 1..<12 { XCTAssertEqual(periods[k]["customers_start"] as? Double, periods[k - 1]["customers_end"] as? Double) }
        XCTAssertEqual(total["purchases"] as? Double, 13_555)
        XCTAssertEqual(total["emails_sent"] as? Double, 43_489)
        let reasons = try XCTUnwrap(o["not_computed"] as? [[String: String]])
        XCTAssertEqual(reasons.map { $0["kpi"] }, ["exit_rate"], "every role is in the sample; only the page identity is missing")
    }

    func testCohortsCSVAndJSON() throws {
        let events = try tinyLog()
        let csv = try run(["cohorts", "--events", events, "--by", "month"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let lines = csv.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "cohort,customers,measure,m0,m1,m2")
        XCTAssertTrue(lines.contains("2025-01,2,active,2,2,1"), csv.stdout)
        XCTAssertTrue(lines.contains("2025-01,2,active_pct,100.00,100.00,50.00"), csv.stdout)
        let out = tmp.appendingPathComponent("cohorts.json").path
        let j = try run(["cohorts", "--events", events, "--metric", "revenue", "--format", "json", "--out", out])
        XCTAssertEqual(j.status, 0, j.stderr)
        XCTAssertEqual(j.stdout, "")
        let o = try json(String(contentsOfFile: out, encoding: .utf8))
        XCTAssertEqual(o["basis"] as? String, "first_activity")
        XCTAssertEqual(o["metric"] as? String, "revenue")
        let cohorts = try XCTUnwrap(o["cohorts"] as? [[String: Any]])
        XCTAssertEqual(cohorts.first?["cohort"] as? String, "2025-01")
        XCTAssertEqual(cohorts.first?["revenue"] as? [Double], [0, 25, 0])
        XCTAssertEqual(cohorts.first?["revenue_per_customer"] as? [Double], [0, 12.5, 0])
        let bad = try run(["cohorts", "--events", events, "--metric", "clicks"])
        XCTAssertEqual(bad.status, 64)
    }
}
