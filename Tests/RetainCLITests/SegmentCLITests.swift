import Foundation
import XCTest

/// `retain segment --events …`: --k auto with --k-range and the 2% rule, unique names, --method rfm,
/// and the usage errors of the new flags, on the bundled sample as of 2025-12-01.
final class SegmentCLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let events = root.appendingPathComponent("datasets/sample/events.csv").path
    static let customers = root.appendingPathComponent("datasets/sample/customers.csv").path
    static let rfmNames: Set<String> = ["champions", "loyal", "potential loyalists", "new", "promising", "need attention", "about to sleep",
                                        "at risk", "can't lose", "hibernating", "lost", "no purchases"]
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("segment-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func segment(_ extra: [String], out: String = "s.json") throws -> (CLIResult, [String: Any]) {
        let r = try runRetain(["segment", "--events", Self.events, "--customers", Self.customers, "--as-of", "2025-12-01",
                               "--out", dir.appendingPathComponent(out).path, "--json"] + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        return (r, try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]))
    }

    func testAutoKOnTheSampleIsInThreeToEightWithUniqueNamesAndNoSegmentUnderTwoPercent() throws {
        let (_, j) = try segment(["--k", "auto"])
        let k = try XCTUnwrap(j["k"] as? Int)
        XCTAssertTrue((3...8).contains(k), "k = \(k)")
        XCTAssertEqual(j["method"] as? String, "kmeans")
        let search = try XCTUnwrap(j["k_search"] as? [[String: Any]])
        XCTAssertEqual(search.compactMap { $0["k"] as? Int }, Array(3...8))
        let segments = try XCTUnwrap(j["segments"] as? [[String: Any]])
        let names = segments.compactMap { $0["name"] as? String }
        XCTAssertEqual(names.count, k)
        XCTAssertEqual(Set(names).count, k, "\(names)")
        XCTAssertFalse(names.contains { $0.last?.isNumber == true }, "\(names)")
        XCTAssertTrue(segments.allSatisfy { ($0["share"] as? Double ?? 0) >= 0.02 })
        XCTAssertEqual(segments.compactMap { $0["size"] as? Int }.reduce(0, +), j["customers"] as? Int)
        // The chosen k has the best silhouette among the admissible ks.
        let admissible = search.filter { $0["admissible"] as? Bool == true }
        XCTAssertEqual(admissible.max { ($0["silhouette"] as! Double) < ($1["silhouette"] as! Double) }?["k"] as? Int, k)
        // The RFM counts beside the segments cover every customer.
        XCTAssertEqual((j["rfm"] as? [String: Int])?.values.reduce(0, +), j["customers"] as? Int)

        let (_, narrow) = try segment(["--k", "auto", "--k-range", "4..6"], out: "n.json")
        XCTAssertEqual((narrow["k_search"] as? [[String: Any]])?.compactMap { $0["k"] as? Int }, [4, 5, 6])
        XCTAssertTrue((4...6).contains(narrow["k"] as? Int ?? 0))

        // A fixed k also gets unique names (it used to repeat "active 2").
        let (_, five) = try segment(["--k", "5"], out: "f.json")
        let fiveNames = (five["segments"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        XCTAssertEqual(Set(fiveNames).count, 5, "\(fiveNames)")
    }

    func testRFMOnTheSampleNamesGridSegmentsAndScoringRefusesTheModel() throws {
        let (_, j) = try segment(["--method", "rfm"], out: "rfm.json")
        XCTAssertEqual(j["method"] as? String, "rfm")
        let segments = try XCTUnwrap(j["segments"] as? [[String: Any]])
        let names = segments.compactMap { $0["name"] as? String }
        XCTAssertTrue(Set(names).isSubset(of: Self.rfmNames), "\(names)")
        XCTAssertGreaterThanOrEqual(Set(names).count, 5)
        XCTAssertEqual(segments.compactMap { $0["size"] as? Int }.reduce(0, +), j["customers"] as? Int)
        let scores = try XCTUnwrap(j["rfm_scores"] as? [String: Any])
        let withPurchases = try XCTUnwrap(scores["customers_with_purchases"] as? Int)
        XCTAssertEqual(segments.filter { $0["name"] as? String != "no purchases" }.compactMap { $0["size"] as? Int }.reduce(0, +), withPurchases)
        // R score 5 holds about a fifth of the purchasers (days since the last purchase has few ties).
        let r5 = try XCTUnwrap((scores["score_ranges"] as? [[String: Any]])?.first { $0["dimension"] as? String == "r" && $0["score"] as? Int == 5 })
        XCTAssertEqual(Double(r5["customers"] as! Int) / Double(withPurchases), 0.2, accuracy: 0.03)

        let model = dir.appendingPathComponent("rfm.json").path
        let score = try runRetain(["score", "--events", Self.events, "--model", Self.root.appendingPathComponent("models/sample-churn.json").path,
                                   "--segments", model, "--as-of", "2025-12-01"])
        XCTAssertEqual(score.status, 1)
        XCTAssertTrue(score.stderr.contains("\(model) is an RFM segment model"), score.stderr)
        let show = try runRetain(["models", "show", model])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("named by the R/F grid"), show.stdout)
    }

    func testNewFlagsAreValidatedWithClearUsageErrors() throws {
        let base = ["segment", "--events", "e.csv", "--as-of", "2025-12-01", "--out", "s.json"]
        let cases: [([String], String)] = [
            (["--k", "auto", "--k-range", "8..3"], "--k-range must be two whole numbers lowest..highest, e.g. 3..8, got '8..3'."),
            (["--k", "auto", "--k-range", "three"], "--k-range must be two whole numbers lowest..highest"),
            (["--k", "auto", "--k-range", "1..4"], "--k-range must start at 2 or more"),
            (["--k", "auto", "--min-share", "1.5"], "--min-share must be in [0, 1), got 1.5."),
            (["--k", "auto", "--method", "dbscan"], "--method must be kmeans or rfm, got 'dbscan'."),
            (["--method", "rfm", "--k", "4"], "--k is for --method kmeans"),
            (["--method", "rfm", "--monetary", "median"], "--monetary must be total or mean, got 'median'."),
            ([], "Missing expected argument '--k <K|auto>'"),
        ]
        for (extra, message) in cases {
            let r = try runRetain(base + extra)
            XCTAssertEqual(r.status, 64, "\(extra)")
            XCTAssertTrue(r.stderr.contains(message), "\(extra): \(r.stderr)")
        }
        let table = try runRetain(["segment", "--features", "x.csv", "--method", "rfm"])
        XCTAssertEqual(table.status, 64)
        XCTAssertTrue(table.stderr.contains("--method rfm needs --events"), table.stderr)
        // 3..8, 3...8 and 3-8 are all ranges: these pass validation and fail on the missing file.
        for range in ["3..8", "3...8", "3-8"] {
            let r = try runRetain(base + ["--k", "auto", "--k-range", range])
            XCTAssertEqual(r.status, 1, "\(range): \(r.stderr)")
        }
        let help = try runRetain(["segment", "--help"])
        XCTAssertTrue(help.stdout.contains("--k-range") && help.stdout.contains("--method") && help.stdout.contains("can't lose"), help.stdout)
    }

    func testAutoKExplainsWhenNoKInTheRangeKeepsSegmentsLargeEnough() throws {
        let r = try runRetain(["segment", "--events", Self.events, "--customers", Self.customers, "--as-of", "2025-12-01",
                               "--out", dir.appendingPathComponent("x.json").path, "--k", "auto", "--k-range", "3..4", "--min-share", "0.34"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("no k in 3...4 gives every segment at least 34% of the customers (smallest segment: k = 3: "), r.stderr)
    }
}
