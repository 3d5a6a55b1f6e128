import Foundation
import XCTest

/// `retain train --events …` and `retain models …` on a slice of the bundled sample.
final class TrainEventsCLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sample = root.appendingPathComponent("datasets/sample")
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("train-events-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// The sample's first `customers` customers (ids below C00NNNN): events and customers files.
    func slice(customers: Int = 800, extraEvents: [String] = []) throws -> (events: String, customers: String) {
        let limit = String(format: "C%06d", customers + 1)
        func filter(_ name: String, extra: [String]) throws -> String {
            let text = try String(contentsOf: Self.sample.appendingPathComponent(name), encoding: .utf8)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
            let header = lines.removeFirst()
            let kept = lines.filter { $0.prefix(7) < Substring(limit) }
            let path = dir.appendingPathComponent(name).path
            try ([String(header)] + kept.map(String.init) + extra).joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        return (try filter("events.csv", extra: extraEvents), try filter("customers.csv", extra: []))
    }

    func train(_ data: (events: String, customers: String), out: String, extra: [String] = []) throws -> (CLIResult, [String: Any]) {
        let r = try runRetain(["train", "--events", data.events, "--customers", data.customers, "--as-of", "2025-12-01",
                               "--snapshots", "4", "--out", out, "--json"] + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
        return (r, json)
    }

    func bundle(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
    }

    func testEventsAtOrAfterTheAsOfDateNeverChangeTheTrainingSetOrTheBundle() throws {
        let a = dir.appendingPathComponent("a.json").path, b = dir.appendingPathComponent("b.json").path
        _ = try train(try slice(), out: a)
        // Late events: at the as-of instant and after it, for an existing customer and a new one.
        _ = try train(try slice(extraEvents: ["C000001,2025-12-01T00:00:00Z,purchase,999,", "C000002,2025-12-20T10:00:00Z,session,60,S-late",
                                              "C999999,2025-12-02T00:00:00Z,purchase,5,"]), out: b)
        var ba = try bundle(a), bb = try bundle(b)
        XCTAssertEqual(ba["fingerprint"] as? NSDictionary, bb["fingerprint"] as? NSDictionary)
        for key in ["created_at", "checksum"] { ba[key] = nil; bb[key] = nil }
        XCTAssertEqual(NSDictionary(dictionary: ba), NSDictionary(dictionary: bb))
    }

    func testJSONReportHasTheHoldoutContractAndTheBundleIsWritten() throws {
        let out = dir.appendingPathComponent("m.json").path
        let (_, j) = try train(try slice(), out: out)
        let holdout = try XCTUnwrap(j["holdout"] as? [String: Any])
        for key in ["auc", "average_precision", "log_loss", "brier", "lift_top_decile", "base_rate", "observations"] {
            XCTAssertNotNil(holdout[key], key)
        }
        for key in ["baseline_auc", "c", "features", "observations", "customers", "fit_seconds", "model"] { XCTAssertNotNil(j[key], key) }
        XCTAssertEqual(j["model"] as? String, out)
        XCTAssertGreaterThan((j["features"] as? [String])?.count ?? 0, 10)
        let b = try bundle(out)
        XCTAssertEqual(b["format"] as? String, "retain.model")
        XCTAssertEqual(b["kind"] as? String, "churn")
        XCTAssertTrue((b["checksum"] as? String)?.hasPrefix("sha256:") == true)
        // Time-based split: the holdout is exactly the latest observation date.
        let dates = try XCTUnwrap(b["observation_dates"] as? [String])
        XCTAssertEqual(dates, ["2025-08-03", "2025-09-02", "2025-10-02", "2025-11-01"])
        XCTAssertEqual(b["holdout_dates"] as? [String], ["2025-11-01"])
        let show = try runRetain(["models", "show", out])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("checksum OK"), show.stdout)
    }

    func testModelBeatsTheRecencyBaselineOnTheSampleSlice() throws {
        let (_, j) = try train(try slice(), out: dir.appendingPathComponent("m.json").path)
        let auc = try XCTUnwrap((j["holdout"] as? [String: Any])?["auc"] as? Double)
        let baseline = try XCTUnwrap(j["baseline_auc"] as? Double)
        XCTAssertGreaterThan(auc, baseline)
    }

    func testCommittedSampleBundleVerifiesAndBeatsTheRecencyBaseline() throws {
        let path = Self.root.appendingPathComponent("models/sample-churn.json").path
        let show = try runRetain(["models", "show", path])
        XCTAssertEqual(show.status, 0, show.stderr)
        let metrics = try XCTUnwrap(try bundle(path)["metrics"] as? [String: Any])
        let auc = try XCTUnwrap(metrics["auc"] as? Double), baseline = try XCTUnwrap(metrics["baseline_auc"] as? Double)
        XCTAssertGreaterThan(auc, baseline)
        let segments = try runRetain(["models", "show", Self.root.appendingPathComponent("models/sample-segments.json").path])
        XCTAssertEqual(segments.status, 0, segments.stderr)
        XCTAssertTrue(segments.stdout.contains("checksum OK") && segments.stdout.contains("RFM:"), segments.stdout)
    }

    func testTamperedBundleIsRefusedWithTheFileNamed() throws {
        let out = dir.appendingPathComponent("m.json").path
        _ = try train(try slice(customers: 400), out: out, extra: ["--c", "1"])
        var text = try String(contentsOfFile: out, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"c\" : 1,", with: "\"c\" : 2,")
        try text.write(toFile: out, atomically: true, encoding: .utf8)
        let r = try runRetain(["models", "show", out])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains(out) && r.stderr.contains("SHA-256 does not match"), r.stderr)
    }

    func testTrainNeedsExactlyOneOfFeaturesOrEvents() throws {
        let none = try runRetain(["train", "--out", "x.json"])
        XCTAssertEqual(none.status, 64)
        XCTAssertTrue(none.stderr.contains("exactly one of --features"), none.stderr)
        let both = try runRetain(["train", "--features", "x.csv", "--label", "y", "--events", "e.csv"])
        XCTAssertEqual(both.status, 64)
        let noAsOf = try runRetain(["train", "--events", "e.csv", "--out", "m.json"])
        XCTAssertEqual(noAsOf.status, 64)
        XCTAssertTrue(noAsOf.stderr.contains("--as-of"), noAsOf.stderr)
    }

    func testSegmentFromEventsPicksKAutomaticallyAndNamesProfiles() throws {
        let data = try slice(customers: 600)
        let out = dir.appendingPathComponent("s-segments.json").path
        let r = try runRetain(["segment", "--events", data.events, "--customers", data.customers, "--as-of", "2025-11-01",
                               "--k", "auto", "--out", out, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let k = try XCTUnwrap(j["k"] as? Int)
        XCTAssertTrue((3...8).contains(k))
        XCTAssertEqual((j["k_search"] as? [[String: Any]])?.compactMap { $0["k"] as? Int }, Array(3...8))
        let segments = try XCTUnwrap(j["segments"] as? [[String: Any]])
        XCTAssertEqual(segments.count, k)
        XCTAssertEqual(segments.compactMap { $0["share"] as? Double }.reduce(0, +), 1, accuracy: 1e-9)
        XCTAssertTrue(segments.allSatisfy { ($0["name"] as? String)?.isEmpty == false && $0["churn_rate"] != nil })
        XCTAssertEqual((j["rfm"] as? [String: Int])?.values.reduce(0, +), j["customers"] as? Int)
        let list = try runRetain(["models", "list", "--dir", dir.path])
        XCTAssertTrue(list.stdout.contains("segments as of 2025-11-01"), list.stdout)
        XCTAssertFalse(list.stdout.contains("not a retain"), list.stdout)
        let usage = try runRetain(["segment", "--features", "x.csv", "--k", "auto"])
        XCTAssertEqual(usage.status, 64)
        XCTAssertTrue(usage.stderr.contains("--k auto needs --events"), usage.stderr)
    }

    func testBundleIsIdenticalWhateverTheThreadCount() throws {
        let data = try slice(customers: 500)
        var bundles: [NSDictionary] = []
        let previous = getenv("RETAIN_THREADS").map { String(cString: $0) }
        defer { if let previous { setenv("RETAIN_THREADS", previous, 1) } else { unsetenv("RETAIN_THREADS") } }
        for threads in ["1", "3"] {
            setenv("RETAIN_THREADS", threads, 1)
            let out = dir.appendingPathComponent("t\(threads).json").path
            _ = try train(data, out: out)
            var b = try bundle(out)
            b["created_at"] = nil; b["checksum"] = nil
            bundles.append(NSDictionary(dictionary: b))
        }
        XCTAssertEqual(bundles[0], bundles[1])
    }

    func testModelsListShowsChurnSegmentAndTableModelsAndScoreNamesTheWrongKind() throws {
        let data = try slice(customers: 400)
        let churn = dir.appendingPathComponent("churn.json").path, segments = dir.appendingPathComponent("segments.json").path
        _ = try train(data, out: churn, extra: ["--c", "1"])
        let seg = try runRetain(["segment", "--events", data.events, "--customers", data.customers, "--as-of", "2025-12-01",
                                 "--k", "3", "--out", segments])
        XCTAssertEqual(seg.status, 0, seg.stderr)
        var table = "id,a,b,y\n"
        for i in 0..<40 { table += "c\(i),\(i % 7),\(Double(i % 5) / 2),\(i % 3 == 0 ? 1 : 0)\n" }
        let csv = dir.appendingPathComponent("t.csv").path
        try table.write(toFile: csv, atomically: true, encoding: .utf8)
        let tableModel = dir.appendingPathComponent("table.json").path, tableSegments = dir.appendingPathComponent("table-segments.json").path
        XCTAssertEqual(try runRetain(["train", "--features", csv, "--label", "y", "--id", "id", "--out", tableModel]).status, 0)
        XCTAssertEqual(try runRetain(["segment", "--features", csv, "--id", "id", "--columns", "a,b", "--k", "2", "--out", tableSegments]).status, 0)
        let list = try runRetain(["models", "list", "--dir", dir.path])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("churn.json  as of 2025-12-01"), list.stdout)
        XCTAssertTrue(list.stdout.contains("segments.json  segments as of 2025-12-01  k = 3"), list.stdout)
        XCTAssertTrue(list.stdout.contains("table.json  churn model from table \(csv)  2 features"), list.stdout)
        XCTAssertTrue(list.stdout.contains("table-segments.json  segments of table \(csv)  k = 2"), list.stdout)
        XCTAssertFalse(list.stdout.contains("not a retain") || list.stdout.contains("REFUSED"), list.stdout)
        for path in [tableModel, tableSegments] {
            let show = try runRetain(["models", "show", path])
            XCTAssertEqual(show.status, 0, show.stderr)
            XCTAssertTrue(show.stdout.contains("checksum OK"), show.stdout)
        }
        // A segment model given as the churn model (and the reverse) is refused with advice.
        let wrong = try runRetain(["score", "--events", data.events, "--customers", data.customers, "--model", segments, "--as-of", "2025-12-01"])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.stderr.contains("\(segments) is a segment model, not a churn model; give it to --segments, and give a churn model to --model."), wrong.stderr)
        let reverse = try runRetain(["score", "--events", data.events, "--customers", data.customers, "--model", churn, "--segments", churn, "--as-of", "2025-12-01"])
        XCTAssertEqual(reverse.status, 1)
        XCTAssertTrue(reverse.stderr.contains("\(churn) is a churn model, not a segment model; give it to --model, and give a segment model to --segments."), reverse.stderr)
    }

    func testTamperedSegmentModelIsRefusedButItsNamesMayBeEdited() throws {
        let data = try slice(customers: 300)
        let out = dir.appendingPathComponent("s.json").path
        XCTAssertEqual(try runRetain(["segment", "--events", data.events, "--customers", data.customers, "--as-of", "2025-12-01",
                                      "--k", "2", "--out", out]).status, 0)
        var b = try bundle(out)
        var segments = try XCTUnwrap(b["segments"] as? [[String: Any]])
        segments[0]["name"] = "Win-back candidates"
        b["segments"] = segments
        try JSONSerialization.data(withJSONObject: b, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: out))
        let renamed = try runRetain(["models", "show", out])
        XCTAssertEqual(renamed.status, 0, renamed.stderr)
        XCTAssertTrue(renamed.stdout.contains("Win-back candidates"), renamed.stdout)
        b["k"] = 3
        try JSONSerialization.data(withJSONObject: b, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: out))
        let tampered = try runRetain(["models", "list", "--dir", dir.path])
        XCTAssertTrue(tampered.stdout.contains("\(out)  REFUSED: ") && tampered.stdout.contains("SHA-256 does not match"), tampered.stdout)
    }
}
