import Foundation
import XCTest

/// End-to-end tests of the `retain` executable: help, exit codes, `--json` contracts, error text.
final class CLITests: XCTestCase {
    static let numericsFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("RetainNumericsTests/Fixtures")

    func run(_ arguments: [String]) throws -> CLIResult { try runRetain(arguments) }

    var tmp: URL!
    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("retain-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func write(_ name: String, _ text: String) throws -> String {
        let url = tmp.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func json(_ s: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(s.utf8)) as! [String: Any]
    }

    func testHelpListsSubcommandsAndVersionPrints() throws {
        let help = try run(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("Churn prediction, customer segments"))
        XCTAssertTrue(help.stdout.contains("train"))
        XCTAssertTrue(help.stdout.contains("segment"))
        let version = try run(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertEqual(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "0.1.0")
        let trainHelp = try run(["train", "--help"])
        XCTAssertTrue(trainHelp.stdout.contains("--sample-weight"))
        XCTAssertTrue(trainHelp.stdout.contains("--class-weight"))
    }

    func testTrainJSONMatchesScikitLearnWeightedFit() throws {
        let csv = Self.numericsFixtures.appendingPathComponent("logistic/weighted.csv").path
        let ref = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.numericsFixtures.appendingPathComponent("logistic/weighted.json"))) as! [String: Any]
        let r = try run(["train", "--features", csv, "--label", "label", "--sample-weight", "weight", "--c", "1.0", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(r.stdout)
        let coefs = o["coefficients"] as! [String: Double]
        let refCoefs = ref["coefficients"] as! [Double]
        for (j, v) in refCoefs.enumerated() { XCTAssertEqual(coefs["x\(j)"]!, v, accuracy: 1e-6) }
        XCTAssertEqual(o["intercept"] as! Double, ref["intercept"] as! Double, accuracy: 1e-6)
        XCTAssertEqual(o["converged"] as? Bool, true)
        for key in ["iterations", "fit_seconds", "auc", "log_loss"] { XCTAssertNotNil(o[key], key) }
        XCTAssertNil(coefs["weight"], "the weight column is not a feature")
    }

    func testTrainWritesModelFileAtomicallyAndPrintsReadableTable() throws {
        let csv = try write("t.csv", "id,a,b,y\nc1,1,0.5,0\nc2,2,0.1,1\nc3,3,0.7,0\nc4,4,0.2,1\nc5,5,0.9,1\nc6,0.5,0.4,0\n")
        let model = tmp.appendingPathComponent("m.json").path
        let r = try run(["train", "--features", csv, "--label", "y", "--id", "id", "--out", model])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("(intercept)"))
        XCTAssertTrue(r.stdout.contains("std err"))
        let m = try json(String(contentsOfFile: model, encoding: .utf8))
        XCTAssertEqual(m["format"] as? String, "retain.model")
        XCTAssertEqual(m["kind"] as? String, "churn")
        XCTAssertEqual((m["features"] as? [[String: Any]])?.compactMap { $0["name"] as? String }, ["a", "b"])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])
    }

    func testTableTrainedModelIsScoredOnItsTableEndToEnd() throws {
        var text = "customer_id,a,b,churned\n"
        for i in 0..<200 {
            let a = Double(i % 17) / 4 - 2, b = Double((i * 7) % 13) / 3 - 2
            text += "C\(i),\(a),\(b),\((a - 0.5 * b + Double(i % 5) / 2 - 1) > 0 ? 1 : 0)\n"
        }
        let csv = try write("t.csv", text)
        let model = tmp.appendingPathComponent("m.json").path, scores = tmp.appendingPathComponent("s.csv").path
        let train = try run(["train", "--features", csv, "--label", "churned", "--id", "customer_id", "--out", model, "--json"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let report = try json(train.stdout)
        let coefs = try XCTUnwrap(report["coefficients"] as? [String: Double])
        let intercept = try XCTUnwrap(report["intercept"] as? Double)
        let r = try run(["score", "--features", csv, "--id", "customer_id", "--model", model, "--as-of", "2025-01-01", "--out", scores])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = try String(contentsOfFile: scores, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 201)
        let header = lines[0].split(separator: ",").map(String.init)
        let id = try XCTUnwrap(header.firstIndex(of: "customer_id")), p = try XCTUnwrap(header.firstIndex(of: "churn_probability"))
        // The table's columns as they are: p = sigma(intercept + coefficients . x), no calibration.
        for line in lines.dropFirst().prefix(20) {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let i = try XCTUnwrap(Int(f[id].dropFirst()))
            let a = Double(i % 17) / 4 - 2, b = Double((i * 7) % 13) / 3 - 2
            let expected = 1 / (1 + exp(-(intercept + coefs["a"]! * a + coefs["b"]! * b)))
            XCTAssertEqual(try XCTUnwrap(Double(f[p])), expected, accuracy: 1e-5, String(line))
        }
        let list = try run(["models", "list", "--dir", tmp.path])
        XCTAssertTrue(list.stdout.contains("m.json  churn model from table"), list.stdout)
        XCTAssertFalse(list.stdout.contains("not a retain"), list.stdout)
    }

    func testTableSegmentModelIsASegmentModelFile() throws {
        var text = "id,a,b\n"
        for i in 0..<20 { text += "c\(i),\(i < 10 ? 0 : 100).\(i % 3),\(i < 10 ? 5 : 50)\n" }
        let csv = try write("k.csv", text)
        let out = tmp.appendingPathComponent("s.json").path
        let r = try run(["segment", "--features", csv, "--id", "id", "--k", "2", "--standardize", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Segments written to \(out)"), r.stdout)
        let m = try json(String(contentsOfFile: out, encoding: .utf8))
        XCTAssertEqual(m["format"] as? String, "retain.model")
        XCTAssertEqual(m["kind"] as? String, "segments")
        let show = try run(["models", "show", out])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("segment 1: 10 (50.0 %)") || show.stdout.contains("segment 2: 10 (50.0 %)"), show.stdout)
    }

    func testMissingLabelColumnIsAClearError() throws {
        let csv = try write("t.csv", "a,b\n1,2\n3,4\n")
        let r = try run(["train", "--features", csv, "--label", "churned"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("t.csv: no label column 'churned' in the header (columns: a, b)."), r.stderr)
    }

    func testLabelOtherThanZeroOrOneNamesLineAndColumn() throws {
        let csv = try write("t.csv", "a,y\n1,0\n\n2,1\n3,2\n")
        let r = try run(["train", "--features", csv, "--label", "y"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("t.csv line 5, column y: not a label (expected 0 or 1); the cell holds a whole number other than 0 and 1."), r.stderr)
    }

    func testNonNumericCellNamesFileLineAndColumn() throws {
        let csv = try write("t.csv", "a,y\n1,0\nabc,1\n")
        let r = try run(["train", "--features", csv, "--label", "y"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("t.csv line 3, column a: not a number; the cell holds a word of 3 characters."), r.stderr)
    }

    func testEmptyFileIsAClearError() throws {
        let csv = try write("empty.csv", "")
        let r = try run(["train", "--features", csv, "--label", "y"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("empty.csv is empty"), r.stderr)
    }

    func testMissingRequiredOptionIsAUsageErrorWithExit64() throws {
        let r = try run(["train", "--features", "x.csv"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("--label"), r.stderr)
        let k = try run(["segment", "--features", "x.csv", "--k", "0"])
        XCTAssertEqual(k.status, 64)
        XCTAssertTrue(k.stderr.contains("--k must be at least 1"), k.stderr)
    }

    func testSeparableDataWithoutPenaltyFailsWithAdvice() throws {
        let csv = try write("s.csv", "a,y\n1,0\n2,0\n3,1\n4,1\n")
        let r = try run(["train", "--features", csv, "--label", "y", "--no-penalty"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("perfectly separable"), r.stderr)
    }

    func testSegmentJSONReportsCentroidsInOriginalUnits() throws {
        var text = "id,a,b\n"
        for i in 0..<20 { text += "c\(i),\(i < 10 ? 0 : 100).\(i % 3),\(i < 10 ? 5 : 50)\n" }
        let csv = try write("k.csv", text)
        let r = try run(["segment", "--features", csv, "--id", "id", "--k", "2", "--standardize", "--json", "--n-init", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(r.stdout)
        let c = (o["centroids"] as! [[Double]]).sorted { $0[0] < $1[0] }
        XCTAssertEqual(c[0][0], 0.09, accuracy: 1e-9)
        XCTAssertEqual(c[0][1], 5, accuracy: 1e-9)
        XCTAssertEqual(c[1][0], 100.1, accuracy: 1e-9)
        XCTAssertEqual((o["sizes"] as! [Int]).sorted(), [10, 10])
        for key in ["inertia", "iterations", "fit_seconds"] { XCTAssertNotNil(o[key], key) }
    }

    func testSegmentWithMoreClustersThanRowsIsAClearError() throws {
        let csv = try write("k.csv", "a\n1\n2\n3\n")
        let r = try run(["segment", "--features", csv, "--k", "4"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("k-means needs at least 4 rows for 4 clusters, got 3. Lower --k or add data."), r.stderr)
    }

    /// Help paragraphs are reflowed, not hard-wrapped twice: two consecutive prose lines of the
    /// description only break where the next word would not have fitted (ArgumentParser keeps lines under 80 columns).
    func testHelpDescriptionsWrapOnlyWhereTheLineIsFull() throws {
        for command in ["features", "train", "segment", "generate", "clv", "selftest", "metrics", "cohorts", "score", "history", "diff", "export", "demo"] {
            let help = try run([command, "--help"]).stdout
            let description = help.components(separatedBy: "USAGE:")[0].split(separator: "\n", omittingEmptySubsequences: false)
            for (a, b) in zip(description, description.dropFirst()) where !a.isEmpty && !b.isEmpty && b.first != " " && a.first != " " {
                let nextWord = b.split(separator: " ").first.map(\.count) ?? 0
                XCTAssertGreaterThanOrEqual(a.count + 1 + nextWord, 80, "\(command) --help breaks early:\n\(a)\n\(b)")
            }
        }
    }
}
