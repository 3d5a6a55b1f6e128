import CSQLite
import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainScoring
@testable import RetainStore

/// `DailyRun` writes the scores CSV and the history all or nothing: when the history step fails,
/// yesterday's CSV and history stay exactly as they were.
final class DailyRunAllOrNothingTests: XCTestCase {
    static let oldCSV = Data("customer_id,churn_probability\nyesterday,0.5\n".utf8)

    /// A directory with yesterday's scores CSV and the scoring of three customers.
    func setUp(_ dir: URL) throws -> (DailyScoring, out: String) {
        let out = dir.appendingPathComponent("scores.csv").path
        XCTAssertTrue(FileManager.default.createFile(atPath: out, contents: Self.oldCSV))
        return (try DailyRunTests.scoring(dir), out)
    }

    /// Runs the day into `db`, expects it to fail, and checks the CSV is yesterday's and no temporary file is left.
    func assertFailsLeavingTheOldCSV(_ dir: URL, db: String, busyTimeout: Int32 = 10_000, scoring: DailyScoring? = nil,
                                     file: StaticString = #filePath, line: UInt = #line) throws -> Error? {
        let (daily, out) = try setUp(dir)
        var failure: Error?
        XCTAssertThrowsError(try DailyRun.run(DailyRun.Options(scoring: scoring ?? daily, out: out, db: db, busyTimeout: busyTimeout)),
                             file: file, line: line) { failure = $0 }
        XCTAssertEqual(FileManager.default.contents(atPath: out), Self.oldCSV, "the scores CSV was replaced", file: file, line: line)
        let stray = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".scores.csv") }
        XCTAssertEqual(stray, [], file: file, line: line)
        return failure
    }

    func testNotADatabaseLeavesTheOldCSVAndTheFile() throws {
        let dir = try temporaryDirectory(self)
        let db = dir.appendingPathComponent("h.sqlite").path
        let junk = Data(String(repeating: "not a database at all\n", count: 100).utf8)
        XCTAssertTrue(FileManager.default.createFile(atPath: db, contents: junk))
        let error = try assertFailsLeavingTheOldCSV(dir, db: db)
        XCTAssertTrue("\(String(describing: error))".contains("not a database"), "\(String(describing: error))")
        XCTAssertEqual(FileManager.default.contents(atPath: db), junk)
    }

    func testNewerSchemaLeavesTheOldCSVAndTheFile() throws {
        let dir = try temporaryDirectory(self)
        let db = dir.appendingPathComponent("h.sqlite").path
        try HistoryFileTests.sqlite(db, "PRAGMA user_version = 7")
        let before = FileManager.default.contents(atPath: db)
        let error = try assertFailsLeavingTheOldCSV(dir, db: db)
        XCTAssertEqual(error as? StoreError, .newerSchema(path: db, version: 7, supported: 2))
        XCTAssertEqual(FileManager.default.contents(atPath: db), before)
    }

    func testDuplicateIdsInTheHistoryWriteLeaveTheOldCSVAndTheHistory() throws {
        let dir = try temporaryDirectory(self)
        let db = dir.appendingPathComponent("h.sqlite").path
        let yesterday = [record("a", "2025-11-30", p: 0.1, model: "m0")]
        try ScoreHistory(path: db).write(yesterday, date: "2025-11-30", modelID: "m0")
        // Two of the day's three customers share a risk tier: with this index the second insert
        // breaks a uniqueness rule mid-transaction, as a repeated customer id does.
        try HistoryFileTests.sqlite(db, "CREATE UNIQUE INDEX one_per_tier ON scores(date, risk_tier)")
        let error = try assertFailsLeavingTheOldCSV(dir, db: db)
        guard case .invalidRecords? = error as? StoreError else { return XCTFail("\(String(describing: error))") }
        let h = try ScoreHistory(readingFrom: db)
        XCTAssertEqual(try h.dates(), ["2025-11-30"])
        XCTAssertEqual(try h.records(date: "2025-11-30"), yesterday)
    }

    func testLockedHistoryLeavesTheOldCSVAndTheHistory() throws {
        let dir = try temporaryDirectory(self)
        let db = dir.appendingPathComponent("h.sqlite").path
        try ScoreHistory(path: db).write([record("a", "2025-11-30")], date: "2025-11-30", modelID: "m0")
        var other: OpaquePointer?
        XCTAssertEqual(sqlite3_open(db, &other), SQLITE_OK)
        defer { sqlite3_close(other) }
        XCTAssertEqual(sqlite3_exec(other, "BEGIN IMMEDIATE", nil, nil, nil), SQLITE_OK)
        let error = try assertFailsLeavingTheOldCSV(dir, db: db, busyTimeout: 100)
        XCTAssertTrue("\(String(describing: error))".contains("locked"), "\(String(describing: error))")
        XCTAssertEqual(sqlite3_exec(other, "ROLLBACK", nil, nil, nil), SQLITE_OK)
        XCTAssertEqual(try ScoreHistory(readingFrom: db).dates(), ["2025-11-30"])
    }

    func testReadOnlyHistoryLeavesTheOldCSVAndTheHistory() throws {
        try XCTSkipIf(geteuid() == 0, "root writes to a read-only file")
        let dir = try temporaryDirectory(self)
        let db = dir.appendingPathComponent("h.sqlite").path
        try ScoreHistory(path: db).write([record("a", "2025-11-30")], date: "2025-11-30", modelID: "m0")
        XCTAssertEqual(chmod(db, 0o400), 0)
        defer { chmod(db, 0o600) }
        let before = FileManager.default.contents(atPath: db)
        _ = try assertFailsLeavingTheOldCSV(dir, db: db)
        XCTAssertEqual(FileManager.default.contents(atPath: db), before)
    }

    func testTheScoresCSVIsOwnerOnlyWhateverTheUmask() throws {
        let dir = try temporaryDirectory(self)
        let (scoring, out) = try setUp(dir)
        let old = umask(0)
        defer { umask(old) }
        _ = try DailyRun.run(DailyRun.Options(scoring: scoring, out: out, db: dir.appendingPathComponent("h.sqlite").path))
        XCTAssertNotEqual(FileManager.default.contents(atPath: out), Self.oldCSV)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int, 0o600)
    }

    func testACSVThatCannotBePutInPlaceAfterTheHistoryIsReportedAsSuch() throws {
        let dir = try temporaryDirectory(self)
        let scoring = try DailyRunTests.scoring(dir)
        let out = dir.appendingPathComponent("scores.csv")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false)
        try Data().write(to: out.appendingPathComponent("keep"))  // a non-empty directory: the rename fails
        let db = dir.appendingPathComponent("h.sqlite").path
        XCTAssertThrowsError(try DailyRun.run(DailyRun.Options(scoring: scoring, out: out.path, db: db))) {
            guard case .csvAfterHistory(let path, let date, _)? = $0 as? StoreError else { return XCTFail("\($0)") }
            XCTAssertEqual(path, out.path)
            XCTAssertEqual(date, "2025-12-01")
            XCTAssertTrue("\($0)".contains("Run the day again to rewrite the CSV"), "\($0)")
        }
        XCTAssertEqual(try ScoreHistory(readingFrom: db).dates(), ["2025-12-01"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".scores.csv") }, [])
    }
}
