import Foundation
import XCTest

/// `retain features` end to end: the --json contract, config files, --role, bad rows, snapshots.
final class FeaturesCLITests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("retain-features-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func write(_ name: String, _ text: String) throws -> String {
        let url = tmp.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Parses a CSV without quotes into header + rows of fields.
    func readCSV(_ path: String) throws -> (header: [String], rows: [[String]]) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return (header, lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) })
    }

    func cell(_ t: (header: [String], rows: [[String]]), _ customer: String, _ column: String) -> String? {
        guard let j = t.header.firstIndex(of: column), let row = t.rows.first(where: { $0[0] == customer }) else { return nil }
        return row[j]
    }

    let log = """
        customer_id,timestamp,event_type,value,ref
        a,2025-05-20T10:00:00Z,session_end,120,
        a,2025-05-25,purchase,19.90,
        a,2025-05-31T23:59:59+00:00,login,,
        b,2025-04-01T12:00:00+02:00,login,,
        b,1748736000,login,,
        a,2025-06-10T00:00:00Z,login,,

        """

    func testFeaturesJSONContractAndValues() throws {
        let events = try write("events.csv", log)
        let out = tmp.appendingPathComponent("f.csv").path
        let r = try runRetain(["features", "--events", events, "--as-of", "2025-06-01", "--label",
                             "--role", "session=session_end", "--out", out, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(o["rows"] as? Int, 2)
        XCTAssertEqual(o["customers"] as? Int, 2)
        XCTAssertEqual(o["bad_rows"] as? Int, 0)
        for key in ["features", "seconds"] { XCTAssertNotNil(o[key], key) }
        let t = try readCSV(out)
        XCTAssertEqual(t.header.first, "customer_id")
        XCTAssertEqual(cell(t, "a", "mean_session_seconds_30d"), "120")
        XCTAssertEqual(cell(t, "a", "sum_purchase_7d"), "19.9")
        XCTAssertEqual(cell(t, "a", "recency_days"), String(1.0 / 86_400))
        XCTAssertEqual(cell(t, "a", "churned"), "0", "a logs in on June 10")
        XCTAssertEqual(cell(t, "b", "churned"), "0", "b's June 1 event is at T: a label event, not a feature")
        XCTAssertEqual(cell(t, "b", "n_login_90d"), "1")
        XCTAssertEqual(cell(t, "b", "recency_purchase_days"), "", "never purchased: empty")
    }

    func testConfigFileMapsRolesAndAddsCustomFeatures() throws {
        let events = try write("events.csv", log.replacingOccurrences(of: "customer_id,timestamp,event_type", with: "user,ts,action"))
        let config = try write("retain.yaml", """
            columns: {customer_id: user, timestamp: ts, event_type: action}
            roles:
              session: session_end
            windows: [30]
            custom:
              - {name: logins_30d, aggregate: count, event_type: login, window_days: 30}
              - {name: spend_per_login, ratio: [sum_purchase_30d, logins_30d]}
            """)
        let out = tmp.appendingPathComponent("f.csv").path
        let r = try runRetain(["features", "--events", events, "--config", config, "--as-of", "2025-06-01", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let t = try readCSV(out)
        XCTAssertEqual(cell(t, "a", "mean_session_seconds_30d"), "120")
        XCTAssertEqual(cell(t, "a", "logins_30d"), "1")
        XCTAssertEqual(cell(t, "a", "spend_per_login"), "19.9")
        XCTAssertNil(t.header.firstIndex(of: "n_login_7d"), "only the configured window")
    }

    func testBadRowsFailByDefaultAndAreCountedWithSkip() throws {
        let events = try write("events.csv", log + "c,2025-13-01,login,,\nd,2025-05-01,login,abc,\n")
        let out = tmp.appendingPathComponent("f.csv").path
        let fail = try runRetain(["features", "--events", events, "--as-of", "2025-06-01", "--out", out])
        XCTAssertEqual(fail.status, 1)
        XCTAssertTrue(fail.stderr.contains("line 8, column timestamp: not a date (the month is not 01–12); the cell holds 10 characters"), fail.stderr)
        XCTAssertFalse(fail.stderr.contains("2025-13-01"), fail.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no partial output")
        let skip = try runRetain(["features", "--events", events, "--as-of", "2025-06-01", "--out", out, "--bad-rows", "skip", "--json"])
        XCTAssertEqual(skip.status, 0, skip.stderr)
        let o = try JSONSerialization.jsonObject(with: Data(skip.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(o["bad_rows"] as? Int, 2)
        XCTAssertTrue(skip.stderr.contains("skipped 2 bad rows"), skip.stderr)
        let rejects = try String(contentsOfFile: out + ".rejects.csv", encoding: .utf8)
        XCTAssertTrue(rejects.contains("2025-13-01"), rejects)
    }

    func testSnapshotsAddAnAsOfColumnAndOneRowPerDate() throws {
        let events = try write("events.csv", log)
        let out = tmp.appendingPathComponent("f.csv").path
        let r = try runRetain(["features", "--events", events, "--as-of", "2025-06-01", "--snapshots", "2", "--every", "30d", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let t = try readCSV(out)
        XCTAssertEqual(Array(t.header.prefix(2)), ["customer_id", "as_of"])
        XCTAssertEqual(t.rows.map { $0[1] }, ["2025-05-02", "2025-06-01", "2025-06-01"], "b's first event is on April 1; a starts in May")
    }

    func testNoEventsBeforeAsOfAndBadDateAreClearErrors() throws {
        let events = try write("events.csv", log)
        let out = tmp.appendingPathComponent("f.csv").path
        let early = try runRetain(["features", "--events", events, "--as-of", "2024-01-01", "--out", out])
        XCTAssertEqual(early.status, 1)
        XCTAssertTrue(early.stderr.contains("has no events before 2024-01-01: nothing to build features from. Check --as-of (features use only events before it)."), early.stderr)
        let bad = try runRetain(["features", "--events", events, "--as-of", "2025-02-30", "--out", out])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("--as-of '2025-02-30' is not a date"), bad.stderr)
        let role = try runRetain(["features", "--events", events, "--as-of", "2025-06-01", "--out", out, "--role", "sessions=x"])
        XCTAssertEqual(role.status, 1)
        XCTAssertTrue(role.stderr.contains("Error: --role sessions=x: unknown role 'sessions'. Roles: purchase,"), role.stderr)
        let assignment = try runRetain(["features", "--events", events, "--as-of", "2025-06-01", "--out", out, "--role", "session"])
        XCTAssertEqual(assignment.status, 1)
        XCTAssertTrue(assignment.stderr.contains("Error: --role session: expected ROLE=EVENT_TYPE, e.g. --role session=session_end."), assignment.stderr)
    }

    func testGeneratedGzipLogIsReadByFeatures() throws {
        let data = tmp.appendingPathComponent("data").path
        let g = try runRetain(["generate", "--customers", "150", "--days", "45", "--out", data, "--gzip", "--json"])
        XCTAssertEqual(g.status, 0, g.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(g.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["gzip"] as? Bool, true)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: data + "/events.csv.gz"))
        XCTAssertEqual(Array(bytes.prefix(2)), [0x1F, 0x8B])
        let out = tmp.appendingPathComponent("f.csv").path
        let f = try runRetain(["features", "--events", data + "/events.csv.gz",
                               "--as-of", "2025-02-10", "--out", out, "--json"])
        XCTAssertEqual(f.status, 0, f.stderr)
        let j = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(f.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(j["events"] as? Int, report["events"] as? Int, "every generated event is read back")
    }
}
