import CSQLite
import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainScoring
@testable import RetainStore

/// Lifecycle, win-back and the universe in the score history (schema v2) and the lists.
final class LifecycleHistoryTests: XCTestCase {
    /// A history file as retain wrote it before lifecycles (schema v1), with one scored day.
    private func versionOneHistory() throws -> String {
        let path = try temporaryDirectory(self).appendingPathComponent("v1.sqlite").path
        var db: OpaquePointer?
        XCTAssertEqual(sqlite3_open(path, &db), SQLITE_OK)
        let sql = """
            CREATE TABLE scores (date TEXT NOT NULL, customer_id TEXT NOT NULL, model_id TEXT NOT NULL,
                churn_probability REAL NOT NULL, risk_tier TEXT NOT NULL, predicted_value REAL NOT NULL,
                segment TEXT NOT NULL, flags TEXT NOT NULL, action TEXT NOT NULL, reasons TEXT NOT NULL,
                PRIMARY KEY (date, customer_id)) WITHOUT ROWID;
            CREATE INDEX scores_by_customer ON scores(customer_id, date);
            CREATE TABLE runs (date TEXT PRIMARY KEY, model_id TEXT NOT NULL, rows INTEGER NOT NULL, written_at TEXT NOT NULL);
            INSERT INTO scores VALUES ('2025-10-01', 'a', 'm1', 0.8, 'high', 120, '', 'at_risk', 'win_back_offer', 'few sessions');
            INSERT INTO scores VALUES ('2025-10-01', 'b', 'm1', 0.1, 'low', 50, '', '', 'none', '');
            INSERT INTO runs VALUES ('2025-10-01', 'm1', 2, '2025-10-01T06:00:00Z');
            PRAGMA user_version = 1;
            """
        XCTAssertEqual(sqlite3_exec(db, sql, nil, nil, nil), SQLITE_OK)
        sqlite3_close(db)
        return path
    }

    func testAVersionOneHistoryIsReadAsItIsAndExportsWithEmptyLifecycles() throws {
        let path = try versionOneHistory()
        let h = try ScoreHistory(readingFrom: path)
        XCTAssertEqual(try h.userVersion(), 1)
        let records = try h.records(date: "2025-10-01")
        XCTAssertEqual(records.map(\.churnProbability), [0.8, 0.1])
        XCTAssertEqual(records.map(\.lifecycle), ["", ""])
        XCTAssertEqual(records.map(\.winbackRank), [nil, nil])
        let out = try temporaryDirectory(self).appendingPathComponent("lists")
        let m = try ListExport().write(from: h, date: "2025-10-01", to: out.path)
        XCTAssertEqual(m.lists.map(\.list), ["at-risk", "high-value", "win-back", "win_back_offer"])
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("at-risk.csv"), encoding: .utf8), """
            customer_id,churn_probability,risk_tier,lifecycle,predicted_value,winback_rank,segment,action,reasons
            a,0.8,high,,120.0,,,win_back_offer,few sessions

            """)
    }

    func testWritingToAVersionOneHistoryMigratesItKeepingItsRows() throws {
        let path = try versionOneHistory()
        let old = try ScoreHistory(readingFrom: path).records(date: "2025-10-01")
        let h = try ScoreHistory(path: path)
        XCTAssertEqual(try h.userVersion(), 2)
        XCTAssertEqual(try h.integrityCheck(), "ok")
        XCTAssertEqual(try h.records(date: "2025-10-01"), old)
        try h.write([ScoreRecord(customerID: "z", date: "2025-10-02", modelID: "m2", churnProbability: nil, riskTier: "",
                                 predictedValue: 10, segment: "", flags: ["win_back"], action: "win_back_offer", reasons: [],
                                 lifecycle: "lapsed", probabilityAlive: 0.3, winbackRank: 1)],
                    date: "2025-10-02", modelID: "m2")
        XCTAssertEqual(try h.dates(), ["2025-10-01", "2025-10-02"])
    }

    func testOutsideTheUniverseIsStoredAsNullAndKeptOffTheAtRiskList() throws {
        let dir = try temporaryDirectory(self)
        let h = try ScoreHistory(path: dir.appendingPathComponent("h.sqlite").path)
        func outside(_ id: String, _ lifecycle: String, rank: Int?, value: Double, flags: [String] = ["win_back"]) -> ScoreRecord {
            ScoreRecord(customerID: id, date: "2025-10-01", modelID: "m", churnProbability: nil, riskTier: "", predictedValue: value,
                        segment: "", flags: flags, action: rank == nil ? "none" : "win_back_offer", reasons: [], lifecycle: lifecycle,
                        probabilityAlive: 0.5, winbackRank: rank)
        }
        let records = [
            ScoreRecord(customerID: "a", date: "2025-10-01", modelID: "m", churnProbability: 0.9, riskTier: "high", predictedValue: 5,
                        segment: "", flags: ["at_risk"], action: "save_offer", reasons: ["r"], lifecycle: "active"),
            outside("b", "lapsed", rank: 2, value: 40),
            outside("c", "churned", rank: 1, value: 80),
            // Not written by the scorer, but a hand-made or foreign record must not reach the at-risk list either.
            outside("d", "churned", rank: nil, value: 0, flags: ["at_risk"]),
        ]
        try h.write(records, date: "2025-10-01", modelID: "m")
        let back = try h.records(date: "2025-10-01")
        XCTAssertEqual(back, records)
        XCTAssertEqual(back.map(\.inUniverse), [true, false, false, false])
        let out = dir.appendingPathComponent("lists")
        let m = try ListExport(lists: ["at-risk", "win-back"]).write(from: h, date: "2025-10-01", to: out.path)
        XCTAssertEqual(m.lists.map(\.rows), [1, 2])
        // The win-back list in rank order, with empty probability and tier cells.
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("win-back.csv"), encoding: .utf8), """
            customer_id,churn_probability,risk_tier,lifecycle,predicted_value,winback_rank,segment,action,reasons
            c,,,churned,80.0,1,,win_back_offer,
            b,,,lapsed,40.0,2,,win_back_offer,

            """)
        XCTAssertEqual(try h.members(of: .atRisk, date: "2025-10-01", margin: 0.1), ["a"])
        let jsonl = try ListExport(lists: ["win-back"], format: .jsonl).write(from: h, date: "2025-10-01", to: dir.appendingPathComponent("j").path)
        XCTAssertEqual(jsonl.lists.map(\.rows), [2])
        let first = try String(contentsOf: dir.appendingPathComponent("j/win-back.jsonl"), encoding: .utf8).split(separator: "\n")[0]
        XCTAssertEqual(String(first), #"{"customer_id":"c","churn_probability":null,"risk_tier":"","lifecycle":"churned","predicted_value":80.0,"winback_rank":1,"segment":"","action":"win_back_offer","reasons":[]}"#)
    }

    /// The high-value list holds current (universe) customers only: a churned customer flagged
    /// high_value is on the win-back list, not the high-value one.
    func testHighValueListIsTheUniverseOnly() throws {
        let dir = try temporaryDirectory(self)
        let h = try ScoreHistory(path: dir.appendingPathComponent("h.sqlite").path)
        let records = [
            ScoreRecord(customerID: "in", date: "2025-10-01", modelID: "m", churnProbability: 0.1, riskTier: "low", predictedValue: 900,
                        segment: "", flags: ["high_value"], action: "loyalty_reward", reasons: [], lifecycle: "active"),
            ScoreRecord(customerID: "gone", date: "2025-10-01", modelID: "m", churnProbability: nil, riskTier: "", predictedValue: 950,
                        segment: "", flags: ["high_value", "win_back"], action: "win_back_offer", reasons: [], lifecycle: "churned",
                        probabilityAlive: nil, winbackRank: 1),
        ]
        try h.write(records, date: "2025-10-01", modelID: "m")
        XCTAssertEqual(try h.members(of: .highValue, date: "2025-10-01", margin: 0), ["in"])
        XCTAssertEqual(try h.members(of: .winBack, date: "2025-10-01", margin: 0), ["gone"])
    }
}
