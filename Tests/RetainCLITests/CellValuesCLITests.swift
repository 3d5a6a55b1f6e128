import Foundation
import XCTest

/// `retain` on files with misaligned columns: stderr names file, line and column but carries no
/// email address or customer id (the acceptance check greps for the sample's).
final class CellValuesCLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sample = root.appendingPathComponent("datasets/sample")
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("retain-cells-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// Exit 1 and no email or id on stderr; file paths are left out of the check (a temporary
    /// directory's UUID may hold `C0` and five digits).
    func assertNoCellValue(_ r: CLIResult, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 1, r.stderr, file: file, line: line)
        let text = r.stderr.replacingOccurrences(of: #"/[^\s:]+"#, with: "PATH", options: .regularExpression)
        XCTAssertNil(text.range(of: #"@example\.com|C0[0-9]{5}"#, options: .regularExpression), r.stderr, file: file, line: line)
    }

    func testFeaturesWithSwappedCustomerColumnsPrintNoEmail() throws {
        let text = try String(contentsOf: Self.sample.appendingPathComponent("customers.csv"), encoding: .utf8)
        var lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let i = lines[0].firstIndex(of: "signup_date")!, j = lines[0].firstIndex(of: "email")!
        for k in 1..<lines.count { lines[k].swapAt(i, j) }
        let swapped = dir.appendingPathComponent("customers.csv").path
        try (lines.map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n").write(toFile: swapped, atomically: true, encoding: .utf8)
        let r = try runRetain(["features", "--events", Self.sample.appendingPathComponent("events.csv").path, "--customers", swapped,
                               "--as-of", "2025-10-01", "--out", dir.appendingPathComponent("f.csv").path])
        assertNoCellValue(r)
        XCTAssertTrue(r.stderr.contains("\(swapped) line 2, column signup_date: not a date"), r.stderr)
        XCTAssertTrue(r.stderr.contains("it looks like an email address: are the columns in the right order?"), r.stderr)
    }

    func testScoreAndTrainOnATableWithIdsInAFeatureColumnPrintNoId() throws {
        let table = dir.appendingPathComponent("t.csv").path
        try "customer_id,churned,x\n1,0,C000001\n2,1,C000002\n".write(toFile: table, atomically: true, encoding: .utf8)
        let train = try runRetain(["train", "--features", table, "--label", "churned"])
        assertNoCellValue(train)
        XCTAssertTrue(train.stderr.contains("t.csv line 2, column x: not a number; the cell holds 7 characters of letters and digits"), train.stderr)
        let model = Self.root.appendingPathComponent("models/sample-churn.json").path
        let score = try runRetain(["score", "--features", table, "--model", model, "--as-of", "2025-12-01",
                                   "--out", dir.appendingPathComponent("s.csv").path])
        assertNoCellValue(score)
    }
}
