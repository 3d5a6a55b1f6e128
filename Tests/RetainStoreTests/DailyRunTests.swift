import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainScoring
@testable import RetainStore

/// The daily run: scores, then the scores CSV, then the history; a rerun of the day replaces it.
final class DailyRunTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The sample churn model and a prepared table of three customers (the bundle's impute values, recency varied).
    func scoring(_ dir: URL) throws -> DailyScoring { try Self.scoring(dir) }

    static func scoring(_ dir: URL) throws -> DailyScoring {
        let modelPath = root.appendingPathComponent("models/sample-churn.json").path
        let bundle = try ModelBundle.load(path: modelPath)
        let names = bundle.features.map(\.name)
        var text = "customer_id," + names.joined(separator: ",") + "\n"
        for (id, recency) in [("a", 1.0), ("b", 30.0), ("c", 200.0)] {
            text += id + "," + bundle.features.map { $0.name == "recency_days" ? "\(recency)" : "\($0.impute)" }.joined(separator: ",") + "\n"
        }
        let table = dir.appendingPathComponent("t.csv").path
        try text.write(toFile: table, atomically: true, encoding: .utf8)
        return DailyScoring(bundle: bundle, modelPath: modelPath, date: "2025-12-01", source: .table(path: table, idColumn: "customer_id"))
    }

    func testRunWritesTheScoresCSVAndTheHistoryRows() throws {
        let dir = try temporaryDirectory(self)
        let out = dir.appendingPathComponent("scores.csv").path, db = dir.appendingPathComponent("h.db").path
        let scoring = try scoring(dir)
        var phases: [String] = []
        let report = try DailyRun.run(DailyRun.Options(scoring: scoring, out: out, db: db)) { phases.append($0) }
        XCTAssertEqual(phases, ["read and score", "actions", "csv", "history records", "history write"])
        XCTAssertEqual(report.customers, 3)
        XCTAssertEqual(report.model, scoring.modelID)
        XCTAssertEqual(report.out, out)
        XCTAssertEqual(report.db, db)

        let batch = try scoring.run().batch
        let expected = (0..<batch.csvPieceCount()).flatMap { batch.csvPiece($0) }
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: out))), expected)
        let history = try ScoreHistory(path: db, create: false)
        XCTAssertEqual(try history.records(date: "2025-12-01").map(\.customerID).sorted(), ["a", "b", "c"])
        XCTAssertEqual(try history.modelID(date: "2025-12-01"), scoring.modelID)
    }

    func testRerunningTheDayReplacesItsRowsAndWritesNothingUnasked() throws {
        let dir = try temporaryDirectory(self)
        let db = dir.appendingPathComponent("h.db").path
        let scoring = try scoring(dir)
        _ = try DailyRun.run(DailyRun.Options(scoring: scoring, db: db))
        _ = try DailyRun.run(DailyRun.Options(scoring: scoring, db: db))
        let none = try DailyRun.run(DailyRun.Options(scoring: scoring))
        XCTAssertNil(none.out)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["h.db", "t.csv"])
        // Read last: a read-only connection to a WAL database leaves its empty -wal/-shm files.
        XCTAssertEqual(try ScoreHistory(path: db, create: false).records(date: "2025-12-01").count, 3)
    }

    func testRejectsGoBesideTheScores() {
        XCTAssertEqual(DailyRun.Options.rejectsPath(out: "out/s.csv"), "out/s.csv.rejects.csv")
        XCTAssertEqual(DailyRun.Options.rejectsPath(out: nil), "scores.rejects.csv")
    }
}
