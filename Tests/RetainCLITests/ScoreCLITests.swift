import Foundation
import XCTest

final class ScoreCLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sample = root.appendingPathComponent("datasets/sample")
    static let churn = root.appendingPathComponent("models/sample-churn.json").path
    static let segments = root.appendingPathComponent("models/sample-segments.json").path
    static let knownActions: Set<String> = ["personal_outreach", "save_offer", "win_back_offer", "service_recovery", "loyalty_reward", "referral_invite", "none"]
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("score-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func sampleArgs(_ extra: [String]) -> [String] {
        ["score", "--events", Self.sample.appendingPathComponent("events.csv").path,
         "--customers", Self.sample.appendingPathComponent("customers.csv").path,
         "--model", Self.churn, "--segments", Self.segments, "--as-of", "2025-12-01"] + extra
    }

    /// Splits one CSV line with double-quote quoting.
    func fields(_ line: Substring) -> [String] {
        var out: [String] = [], cur = "", quoted = false
        var it = line.makeIterator()
        while let c = it.next() {
            if c == "\"" { quoted.toggle(); if !quoted { continue } else { continue } }
            if c == "," && !quoted { out.append(cur); cur = "" } else { cur.append(c) }
        }
        out.append(cur)
        return out
    }

    func testScoringTheSampleWritesOneRowPerCustomerWithKnownActions() throws {
        let out = dir.appendingPathComponent("scores.csv").path
        let r = try runRetain(sampleArgs(["--out", out, "--json"]))
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for key in ["customers", "tiers", "actions", "drift", "seconds", "model"] { XCTAssertNotNil(j[key], "missing key \(key)") }
        let drift = try XCTUnwrap(j["drift"] as? [String: Any])
        XCTAssertNotNil(drift["score_psi"] as? Double)
        XCTAssertNotNil(drift["features_over_0_2"] as? [String])
        let customers = try XCTUnwrap(j["customers"] as? Int)
        XCTAssertGreaterThan(customers, 1000)
        let tiers = try XCTUnwrap(j["tiers"] as? [String: Int])
        XCTAssertEqual(tiers.values.reduce(0, +), try XCTUnwrap(j["universe"] as? Int))

        let text = try String(contentsOfFile: out, encoding: .utf8)
        var lines = text.split(separator: "\n")
        XCTAssertEqual(String(lines.removeFirst()), "customer_id,churn_probability,risk_tier,predicted_value,segment,flags,action,reasons,lifecycle,p_alive,winback_rank")
        XCTAssertEqual(lines.count, customers)
        var atRisk = 0, segmentNames = Set<String>()
        for line in lines {
            let f = fields(line)
            XCTAssertEqual(f.count, 11, String(line))
            if f[1].isEmpty {
                // Outside the at-risk universe: no tier, never at risk.
                XCTAssertTrue(["lapsed", "churned"].contains(f[8]), String(line))
                XCTAssertEqual(f[2], "", String(line))
                XCTAssertFalse(f[5].split(separator: ";").contains("at_risk"), String(line))
            } else {
                let p = try XCTUnwrap(Double(f[1]))
                XCTAssertTrue((0...1).contains(p), String(line))
                XCTAssertTrue(["high", "medium", "low"].contains(f[2]))
            }
            XCTAssertTrue(Self.knownActions.contains(f[6]), f[6])
            segmentNames.insert(f[4])
            if f[5].split(separator: ";").contains("at_risk") { atRisk += 1 }
        }
        XCTAssertGreaterThan(atRisk, 0, "the at-risk list is empty")
        XCTAssertFalse(segmentNames.contains(""))
    }

    func testPreparedFeatureTableScoresWithTheBundlesColumns() throws {
        let table = dir.appendingPathComponent("features.csv").path
        let f = try runRetain(["features", "--events", Self.sample.appendingPathComponent("events.csv").path,
                               "--customers", Self.sample.appendingPathComponent("customers.csv").path,
                               "--as-of", "2025-12-01", "--out", table])
        XCTAssertEqual(f.status, 0, f.stderr)
        let rules = dir.appendingPathComponent("rules.yaml").path
        try "rules:\n  - action: call\n    when: { tier: [high] }\n".write(toFile: rules, atomically: true, encoding: .utf8)
        let r = try runRetain(["score", "--features", table, "--id", "customer_id", "--model", Self.churn,
                               "--rules", rules, "--as-of", "2025-12-01", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let tiers = try XCTUnwrap(j["tiers"] as? [String: Int]), actions = try XCTUnwrap(j["actions"] as? [String: Int])
        XCTAssertEqual(actions["call"], tiers["high"])
        XCTAssertEqual(Set(actions.keys), ["call", "none"])
    }

    func testTableWithoutTheModelFeaturesIsRefusedNamingThem() throws {
        let table = dir.appendingPathComponent("t.csv").path
        try "customer_id,recency_days\nA,3\n".write(toFile: table, atomically: true, encoding: .utf8)
        let r = try runRetain(["score", "--features", table, "--id", "customer_id", "--model", Self.churn, "--as-of", "2025-12-01"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("needs features the data do not provide") && r.stderr.contains("tenure_days"), r.stderr)
    }

    func testHistoryDatabaseIsWrittenAndARerunOfTheDayReplacesIt() throws {
        let db = dir.appendingPathComponent("history.db").path
        for _ in 0..<2 {
            let r = try runRetain(sampleArgs(["--db", db]))
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("records for 2025-12-01 written to"), r.stdout)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: db))
    }

    func testReadableSummaryNamesTiersAndActions() throws {
        let r = try runRetain(sampleArgs([]))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Risk tiers: high"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Actions: personal_outreach"), r.stdout)
    }

    func testEventOptionsAreSharedAndExactlyOneSourceIsAUsageError() throws {
        let help = try runRetain(["score", "--help"])
        XCTAssertEqual(help.status, 0)
        for option in ["--events <file>", "--table <name>", "--customers <file.csv>", "--config <file>", "--role <role=type>",
                       "--bad-rows <fail|skip>", "--features <table.csv>", "--id <column>"] {
            XCTAssertTrue(help.stdout.contains(option), "missing \(option)")
        }
        let none = try runRetain(["score", "--model", Self.churn, "--as-of", "2025-12-01"])
        XCTAssertEqual(none.status, 64)
        XCTAssertTrue(none.stderr.contains("Give exactly one of --events FILE (event history) or --features TABLE.csv"), none.stderr)
        let both = try runRetain(sampleArgs(["--features", "t.csv"]))
        XCTAssertEqual(both.status, 64)
        let badRows = try runRetain(sampleArgs(["--bad-rows", "maybe"]))
        XCTAssertEqual(badRows.status, 64)
        XCTAssertTrue(badRows.stderr.contains("fail"), badRows.stderr)
    }

    func testModelOfTheWrongKindNamesTheOptionThatTakesIt() throws {
        let events = Self.sample.appendingPathComponent("events.csv").path
        let asSegments = try runRetain(["score", "--events", events, "--model", Self.churn, "--segments", Self.churn, "--as-of", "2025-12-01"])
        XCTAssertEqual(asSegments.status, 1)
        XCTAssertTrue(asSegments.stderr.contains("Error: \(Self.churn) is a churn model, not a segment model; give it to --model, and give a segment model to --segments."), asSegments.stderr)
        let asModel = try runRetain(["score", "--events", events, "--model", Self.segments, "--as-of", "2025-12-01"])
        XCTAssertEqual(asModel.status, 1)
        XCTAssertTrue(asModel.stderr.contains("Error: \(Self.segments) is a segment model, not a churn model; give it to --segments, and give a churn model to --model."), asModel.stderr)
    }

    func testMissingIdColumnOfATableIsAClearError() throws {
        let table = dir.appendingPathComponent("t.csv").path
        try "customer_id,recency_days\nA,3\n".write(toFile: table, atomically: true, encoding: .utf8)
        let r = try runRetain(["score", "--features", table, "--id", "cid", "--model", Self.churn, "--as-of", "2025-12-01"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("Error: \(table): no id column 'cid' in the header."), r.stderr)
    }
}
