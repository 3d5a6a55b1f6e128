import CSQLite
import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainNumerics
@testable import RetainScoring
@testable import RetainStore

/// A record for tests: customer `id` on `date`.
func record(_ id: String, _ date: String, p: Double = 0.2, flags: [String] = [], action: String = "none",
            segment: String = "", value: Double = 100, reasons: [String] = ["few sessions"], model: String = "m1") -> ScoreRecord {
    ScoreRecord(customerID: id, date: date, modelID: model, churnProbability: p, riskTier: p >= 0.5 ? "high" : "low",
                predictedValue: value, segment: segment, flags: flags, action: action, reasons: reasons)
}

/// A temporary directory removed after the test.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("retain-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
}

func day(_ date: String, count: Int, p: Double = 0.3, model: String = "m1") -> [ScoreRecord] {
    (0..<count).map { record(String(format: "c%07d", $0), date, p: p, reasons: ["r1", "r2"], model: model) }
}

final class ScoreHistoryTests: XCTestCase {
    func testWriteCreatesFileWithCurrentSchemaAndReadsBack() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("h.sqlite").path
        let h = try ScoreHistory(path: path)
        XCTAssertEqual(try h.userVersion(), ScoreHistory.schemaVersion)
        let recs = [record("a", "2025-10-01", p: 0.7, flags: ["at_risk", "high_value"], action: "personal_outreach",
                           segment: "Loyal", reasons: ["no purchase in 60 days", "sessions down, 50%"]),
                    record("b", "2025-10-01", flags: [], reasons: [])]
        try h.write(recs, date: "2025-10-01", modelID: "m1")
        XCTAssertEqual(try h.records(date: "2025-10-01"), recs)
        XCTAssertEqual(try h.dates(), ["2025-10-01"])
        XCTAssertEqual(try h.modelID(date: "2025-10-01"), "m1")
    }

    func testWritingTheSameDayTwiceLeavesOneCopy() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("h.sqlite").path
        let h = try ScoreHistory(path: path)
        let recs = day("2025-10-01", count: 50)
        try h.write(recs, date: "2025-10-01", modelID: "m1")
        try h.write(recs, date: "2025-10-01", modelID: "m1")
        XCTAssertEqual(try h.records(date: "2025-10-01"), recs)
        XCTAssertEqual(try h.dates(), ["2025-10-01"])
    }

    func testSecondWriteOfADayReplacesIt() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("h.sqlite").path
        let h = try ScoreHistory(path: path)
        try h.write(day("2025-10-01", count: 50), date: "2025-10-01", modelID: "m1")
        try h.write(day("2025-10-02", count: 5), date: "2025-10-02", modelID: "m1")
        let redo = day("2025-10-01", count: 20, p: 0.9, model: "m2")
        try h.write(redo, date: "2025-10-01", modelID: "m2")
        XCTAssertEqual(try h.records(date: "2025-10-01"), redo)
        XCTAssertEqual(try h.modelID(date: "2025-10-01"), "m2")
        XCTAssertEqual(try h.records(date: "2025-10-02").count, 5)
    }

    func testWriteRejectsARepeatedCustomerAndKeepsThePreviousDay() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("h.sqlite").path
        let h = try ScoreHistory(path: path)
        let old = day("2025-10-01", count: 3)
        try h.write(old, date: "2025-10-01", modelID: "m1")
        let dup = [record("x", "2025-10-01"), record("x", "2025-10-01")]
        XCTAssertThrowsError(try h.write(dup, date: "2025-10-01", modelID: "m1")) { error in
            XCTAssertEqual("\(error)", "cannot write scores: record 2 repeats a customer already scored on 2025-10-01.")
        }
        XCTAssertEqual(try h.records(date: "2025-10-01"), old)
    }

    func testWriteRejectsRecordsOfAnotherDay() throws {
        let h = try ScoreHistory(path: try temporaryDirectory(self).appendingPathComponent("h.sqlite").path)
        XCTAssertThrowsError(try h.write([record("a", "2025-10-02")], date: "2025-10-01", modelID: "m1")) { error in
            XCTAssertEqual("\(error)", "cannot write scores: record 1 is dated 2025-10-02, not 2025-10-01.")
        }
    }

    func testWriteAbortedMidTransactionLeavesThePreviousDayIntact() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("h.sqlite").path
        let h = try ScoreHistory(path: path)
        let old = day("2025-10-01", count: 1000)
        try h.write(old, date: "2025-10-01", modelID: "m1")
        h.failAfterInserts = 500
        XCTAssertThrowsError(try h.write(day("2025-10-01", count: 2000, p: 0.9, model: "m2"), date: "2025-10-01", modelID: "m2")) {
            XCTAssertEqual($0 as? StoreError, .injectedFailure)
        }
        XCTAssertEqual(try h.integrityCheck(), "ok")
        XCTAssertEqual(try h.records(date: "2025-10-01"), old)
        XCTAssertEqual(try h.modelID(date: "2025-10-01"), "m1")
        let reopened = try ScoreHistory(path: path, create: false)
        XCTAssertEqual(try reopened.records(date: "2025-10-01"), old)
    }

    func testProcessKilledMidWriteLeavesThePreviousDayIntact() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("h.sqlite").path
        let old = day("2025-10-01", count: 2000)
        try ScoreHistory(path: path).write(old, date: "2025-10-01", modelID: "m1")
        let big = day("2025-10-01", count: 400_000, p: 0.9, model: "m2")
        let pid = fork()
        XCTAssertGreaterThanOrEqual(pid, 0)
        if pid == 0 {
            // Child: replace the day with a large one; the parent kills it before it commits.
            if let h = try? ScoreHistory(path: path) { try? h.write(big, date: "2025-10-01", modelID: "m2") }
            _exit(0)
        }
        usleep(50_000)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let killed = (status & 0x7f) == SIGKILL
        XCTAssertTrue(killed, "the child finished a 400k-row write in under 50 ms; the test proves nothing")
        let h = try ScoreHistory(path: path, create: false)
        XCTAssertEqual(try h.integrityCheck(), "ok")
        XCTAssertEqual(try h.records(date: "2025-10-01"), old)
        XCTAssertEqual(try h.modelID(date: "2025-10-01"), "m1")
    }

    func testOpeningAVersion0FileMigratesItToTheCurrentVersion() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("old.sqlite").path
        var db: OpaquePointer?
        XCTAssertEqual(sqlite3_open(path, &db), SQLITE_OK)
        XCTAssertEqual(sqlite3_exec(db, "CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('kept')", nil, nil, nil), SQLITE_OK)
        sqlite3_close(db)
        let h = try ScoreHistory(path: path)
        XCTAssertEqual(try h.userVersion(), 2)
        XCTAssertEqual(try h.dates(), [])
        try h.write([record("a", "2025-10-01")], date: "2025-10-01", modelID: "m1")
        XCTAssertEqual(try h.records(date: "2025-10-01").count, 1)
        XCTAssertEqual(try h.integrityCheck(), "ok")
    }

    func testOpeningANewerSchemaThrows() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("new.sqlite").path
        var db: OpaquePointer?
        XCTAssertEqual(sqlite3_open(path, &db), SQLITE_OK)
        XCTAssertEqual(sqlite3_exec(db, "PRAGMA user_version = 7", nil, nil, nil), SQLITE_OK)
        sqlite3_close(db)
        XCTAssertThrowsError(try ScoreHistory(path: path)) {
            XCTAssertEqual($0 as? StoreError, .newerSchema(path: path, version: 7, supported: 2))
        }
    }

    func testOpeningAMissingFileForReadingThrowsWithoutCreatingIt() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("none.sqlite").path
        XCTAssertThrowsError(try ScoreHistory(path: path, create: false)) {
            XCTAssertEqual($0 as? StoreError, .missingDatabase(path: path))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testUnknownDateListsTheScoredDates() throws {
        let h = try ScoreHistory(path: try temporaryDirectory(self).appendingPathComponent("h.sqlite").path)
        try h.write([record("a", "2025-10-01")], date: "2025-10-01", modelID: "m1")
        try h.write([record("a", "2025-10-03")], date: "2025-10-03", modelID: "m1")
        XCTAssertThrowsError(try h.records(date: "2025-10-02")) {
            XCTAssertEqual("\($0)", "no scores for 2025-10-02. Scored dates: 2025-10-01, 2025-10-03.")
        }
    }

    func testTrajectoryAndPreviousDate() throws {
        let h = try ScoreHistory(path: try temporaryDirectory(self).appendingPathComponent("h.sqlite").path)
        try h.write([record("a", "2025-10-03", p: 0.6), record("b", "2025-10-03")], date: "2025-10-03", modelID: "m1")
        try h.write([record("a", "2025-10-01", p: 0.1)], date: "2025-10-01", modelID: "m1")
        XCTAssertEqual(try h.trajectory(customer: "a").map(\.churnProbability), [0.1, 0.6])
        XCTAssertEqual(try h.trajectory(customer: "zz"), [])
        XCTAssertEqual(try h.previousDate(before: "2025-10-03"), "2025-10-01")
        XCTAssertEqual(try h.previousDate(before: "2025-10-02"), "2025-10-01")
        XCTAssertNil(try h.previousDate(before: "2025-10-01"))
    }

    func testWritingManyRowsIsFast() throws {
        let h = try ScoreHistory(path: try temporaryDirectory(self).appendingPathComponent("h.sqlite").path)
        let recs = day("2025-10-01", count: 200_000)
        let start = Date()
        try h.write(recs, date: "2025-10-01", modelID: "m1")
        try h.write(recs, date: "2025-10-01", modelID: "m1")
        let seconds = Date().timeIntervalSince(start)
        XCTAssertLessThan(seconds, 20, "two 200k-row writes (debug build)")
        XCTAssertEqual(try h.records(date: "2025-10-01").count, 200_000)
    }
}
