import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainScoring
@testable import RetainStore

/// What `retain diff` and `retain history` print: segment moves grouped with their reason, trajectories, imports.
final class ScoreTrajectoryTests: XCTestCase {
    func testMoveCountsGroupMovesWithTheirMostCommonReason() {
        let moves = [("x", "A", "B", "r1"), ("y", "A", "B", "r2"), ("z", "A", "B", "r2"), ("w", "B", "C", "")].map {
            ScoreDiff.Move(customerID: $0.0, from: $0.1, to: $0.2, reason: $0.3)
        }
        let diff = ScoreDiff(from: "d1", to: "d2", margin: 0, threshold: nil, lists: [], moves: moves)
        XCTAssertEqual(diff.moveCounts, [ScoreDiff.MoveCount(move: "A → B", customers: 3, topReason: "r2"),
                                         ScoreDiff.MoveCount(move: "B → C", customers: 1, topReason: "")])
    }

    func testImportedRecordsMakeATrajectory() throws {
        let dir = try temporaryDirectory(self)
        let db = dir.appendingPathComponent("h.db").path, jsonl = dir.appendingPathComponent("r.jsonl").path
        let encoder = JSONEncoder()
        let lines = try [record("a", "2025-10-02", p: 0.4), record("a", "2025-10-01"), record("b", "2025-10-01")]
            .map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: jsonl, atomically: true, encoding: .utf8)
        let (records, days) = try ScoreHistory.importJSONL(path: jsonl, into: db)
        XCTAssertEqual(records, 3)
        XCTAssertEqual(days, 2)
        let t = try ScoreHistory(path: db, create: false).trajectory(of: "a")
        XCTAssertEqual(t.records.map(\.date), ["2025-10-01", "2025-10-02"])

        try "{\"not\": 1}\n".write(toFile: jsonl, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ScoreHistory.importJSONL(path: jsonl, into: db)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(jsonl) line 1: not a score record ("), "\(error)")
        }
    }

    func testImportErrorsNameTheFieldButNoValueOfTheLine() throws {
        let dir = try temporaryDirectory(self)
        let db = dir.appendingPathComponent("h.db").path, jsonl = dir.appendingPathComponent("r.jsonl").path
        var good = try JSONSerialization.jsonObject(with: JSONEncoder().encode(record("C000123", "2025-10-01"))) as! [String: Any]
        good["churn_probability"] = "c000123@example.com"
        let line = String(decoding: try JSONSerialization.data(withJSONObject: good), as: UTF8.self)
        try (line + "\n").write(toFile: jsonl, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ScoreHistory.importJSONL(path: jsonl, into: db)) { error in
            XCTAssertEqual("\(error)", "\(jsonl) line 1: not a score record (field 'churn_probability' has the wrong type).")
        }
        try "{\"customer_id\": \"C000123\", \"date\": c000123@example.com}\n".write(toFile: jsonl, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ScoreHistory.importJSONL(path: jsonl, into: db)) { error in
            XCTAssertEqual("\(error)", "\(jsonl) line 1: not a score record (not a JSON object of the record's fields).")
        }
    }
}
