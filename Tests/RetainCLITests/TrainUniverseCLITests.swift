import Foundation
import XCTest

/// `retain train`: the backtest and tiers in the report, label windows closing before the holdout,
/// `--tiers` parsing, and a table's `in_universe` column.
final class TrainUniverseCLITests: XCTestCase {
    static let sample = TrainEventsCLITests.sample
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("train-universe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// The sample's first 800 customers: events and customers files.
    func slice() throws -> [String] {
        var paths: [String] = []
        for name in ["events.csv", "customers.csv"] {
            let text = try String(contentsOf: Self.sample.appendingPathComponent(name), encoding: .utf8)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
            let header = lines.removeFirst()
            let path = dir.appendingPathComponent(name).path
            try ([String(header)] + lines.filter { $0.prefix(7) < "C000801" }.map(String.init)).joined(separator: "\n").appending("\n")
                .write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        return ["--events", paths[0], "--customers", paths[1], "--as-of", "2025-12-01"]
    }

    static func day(_ s: String) throws -> Date {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate]
        return try XCTUnwrap(f.date(from: s), s)
    }

    func testJSONHasABacktestRowPerDateWithAClosedEarlierWindowAndBaseRateTiers() throws {
        let out = dir.appendingPathComponent("m.json").path
        let r = try runRetain(["train"] + (try slice()) + ["--out", out, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let backtest = try XCTUnwrap(j["backtest"] as? [[String: Any]])
        // Defaults: 6 dates 30 days apart, 30-day horizon: every date but the first.
        XCTAssertEqual(backtest.compactMap { $0["date"] as? String }, ["2025-07-04", "2025-08-03", "2025-09-02", "2025-10-02", "2025-11-01"])
        for row in backtest {
            for key in ["date", "auc", "lift_top_decile", "brier", "base_rate", "rows", "baseline_auc"] { XCTAssertNotNil(row[key], key) }
            let auc = try XCTUnwrap(row["auc"] as? Double), base = try XCTUnwrap(row["baseline_auc"] as? Double)
            XCTAssertTrue(auc > 0.5 && auc <= 1 && base > 0.5 && base <= 1, "\(row)")
        }
        let holdout = try XCTUnwrap(j["holdout"] as? [String: Any])
        XCTAssertEqual(backtest.last?["auc"] as? Double, holdout["auc"] as? Double, "the last date's backtest is the holdout")
        XCTAssertEqual(backtest.last?["baseline_auc"] as? Double, j["baseline_auc"] as? Double)
        XCTAssertEqual(backtest.last?["rows"] as? Int, holdout["observations"] as? Int)
        // Tiers: medium = base rate, high = min(2b, (1 + b) / 2), in the report and the bundle.
        let tiers = try XCTUnwrap(j["tiers"] as? [String: Any])
        let b = try XCTUnwrap(tiers["base_rate"] as? Double)
        XCTAssertEqual(try XCTUnwrap(tiers["medium"] as? Double), b, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(tiers["high"] as? Double), min(2 * b, (1 + b) / 2), accuracy: 1e-12)
        let bundle = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        XCTAssertEqual((bundle["thresholds"] as? NSDictionary), tiers as NSDictionary)
        XCTAssertEqual((bundle["backtest"] as? [[String: Any]])?.count, 5)
        // The readable report prints the backtest table and the tier rule.
        let text = try runRetain(["train"] + (try slice()) + ["--out", dir.appendingPathComponent("t.json").path])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("Rolling-origin backtest"), text.stdout)
        XCTAssertTrue(text.stdout.contains("  2025-07-04 "), text.stdout)
        XCTAssertTrue(text.stdout.contains("rule: base_rate: medium = b, high = min(2b, (1 + b) / 2)"), text.stdout)
    }

    func testWeeklyDatesWithAMonthlyHorizonNeverTrainOnAWindowThatRunsIntoTheHoldout() throws {
        let out = dir.appendingPathComponent("m.json").path
        let r = try runRetain(["train"] + (try slice()) + ["--snapshots", "8", "--every", "7", "--horizon", "30", "--out", out, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let holdout = try XCTUnwrap((j["holdout_dates"] as? [String])?.first)
        let training = try XCTUnwrap(j["training_dates"] as? [String])
        XCTAssertEqual(training, ["2025-09-13", "2025-09-20", "2025-09-27"])
        for d in training {
            XCTAssertLessThanOrEqual(try Self.day(d).addingTimeInterval(30 * 86_400), try Self.day(holdout), "\(d) + 30 days runs past \(holdout)")
        }
        XCTAssertTrue(r.stderr.contains("2025-10-04, 2025-10-11, 2025-10-18, 2025-10-25 are not used for training"), r.stderr)
        let backtest = try XCTUnwrap(j["backtest"] as? [[String: Any]])
        XCTAssertEqual(backtest.compactMap { $0["date"] as? String }, ["2025-10-18", "2025-10-25", "2025-11-01"])
        for row in backtest {
            let d = try Self.day(try XCTUnwrap(row["date"] as? String))
            for t in try XCTUnwrap(row["train_dates"] as? [String]) {
                XCTAssertLessThanOrEqual(try Self.day(t).addingTimeInterval(30 * 86_400), d)
            }
        }
    }

    func testTiersOptionIsParsedAndBadRulesAreUsageErrors() throws {
        let out = dir.appendingPathComponent("m.json").path
        let r = try runRetain(["train"] + (try slice()) + ["--snapshots", "3", "--tiers", "absolute:0.6,0.2", "--out", out, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let tiers = try XCTUnwrap(j["tiers"] as? [String: Any])
        XCTAssertEqual(tiers["high"] as? Double, 0.6)
        XCTAssertEqual(tiers["medium"] as? Double, 0.2)
        for (rule, message) in [("deciles", "expected base-rate, absolute:HIGH,MEDIUM or top:HIGH_FRACTION,MEDIUM_FRACTION"),
                                ("top:0.5,0.1", "the high fraction (0.5) is larger than the medium fraction (0.1)"),
                                ("absolute:2,0.1", "the thresholds are probabilities and must lie in [0, 1]")] {
            let bad = try runRetain(["train"] + (try slice()) + ["--tiers", rule, "--out", out])
            XCTAssertEqual(bad.status, 64, "\(rule): \(bad.stderr)")
            XCTAssertTrue(bad.stderr.contains("--tiers: tier rule '\(rule)': \(message)"), bad.stderr)
        }
        let help = try runRetain(["train", "--help"])
        let flat = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        XCTAssertTrue(flat.contains("--tiers <rule> Risk tiers, fixed at training on the calibrated probability: base-rate (default: medium = training base rate b, high = min(2b, (1+b)/2)"), flat)
        XCTAssertTrue(flat.contains("a customer above the base rate is never low"), flat)
    }

    func testTableWithAnInUniverseColumnTrainsOnItsRowsOnly() throws {
        var rows = ["id,x,churned,in_universe"]
        for i in 0..<60 {
            rows.append("c\(i),\(Double(i % 10) / 10),\(i % 3 == 0 ? 1 : 0),1")
            if i % 6 == 0 { rows.append("o\(i),5,1,0") }
        }
        let table = dir.appendingPathComponent("t.csv").path
        try (rows.joined(separator: "\n") + "\n").write(toFile: table, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("m.json").path
        let r = try runRetain(["train", "--features", table, "--label", "churned", "--id", "id", "--out", out, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(j["features"] as? [String], ["x"])
        XCTAssertEqual(j["rows"] as? Int, 60)
        XCTAssertEqual(j["in_universe_rows"] as? Int, 60)
        XCTAssertEqual(j["outside_universe_rows"] as? Int, 10)
        let tiers = try XCTUnwrap(j["tiers"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(tiers["base_rate"] as? Double), 20.0 / 60, accuracy: 1e-12)
        let text = try runRetain(["train", "--features", table, "--label", "churned", "--id", "id"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("trained only on the 60 rows with in_universe = 1 (10 rows with 0 left out)"), text.stdout)
    }
}
