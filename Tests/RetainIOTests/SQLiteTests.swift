import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO

final class SQLiteTests: XCTestCase {
    private func temporaryPath() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("retain-sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir.appendingPathComponent("t.sqlite").path
    }

    func testMigrateRunsEachStepOnceAndRecordsTheVersion() throws {
        let path = try temporaryPath()
        var runs = 0
        let steps: [(SQLiteDatabase) throws -> Void] = [
            { runs += 1; try $0.execute("CREATE TABLE a (x TEXT)") },
            { runs += 1; try $0.execute("ALTER TABLE a ADD COLUMN y REAL") },
        ]
        XCTAssertEqual(try SQLiteDatabase(path: path, mode: .readWrite(create: true)).migrate(steps), 0)
        XCTAssertEqual(try SQLiteDatabase(path: path, mode: .readWrite(create: false)).migrate(steps), 2)
        XCTAssertEqual(runs, 2)
        XCTAssertEqual(try SQLiteDatabase(path: path, mode: .readOnly).columnNames(of: "a"), ["x", "y"])
    }

    func testNewerSchemaIsRefusedWithBothVersions() throws {
        let path = try temporaryPath()
        try SQLiteDatabase(path: path, mode: .readWrite(create: true)).execute("PRAGMA user_version = 7")
        XCTAssertThrowsError(try SQLiteDatabase(path: path, mode: .readWrite(create: false)).migrate([{ _ in }])) { error in
            XCTAssertEqual(error as? IOError, .newerSchema(path: path, version: 7, supported: 1))
            XCTAssertEqual("\(error)", "\(path) has schema version 7; this retain reads up to 1. Upgrade retain.")
        }
    }

    func testFailedTransactionLeavesThePreviousState() throws {
        let db = try SQLiteDatabase(path: try temporaryPath(), mode: .readWrite(create: true))
        try db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v REAL)")
        try db.run("INSERT INTO t VALUES (?, 1)", ["a"])
        XCTAssertThrowsError(try db.transaction {
            try db.run("DELETE FROM t")
            try db.run("INSERT INTO t VALUES (?, 2)", ["b"])
            try db.run("INSERT INTO t VALUES (?, 3)", ["b"])  // duplicate key
        }) { error in
            XCTAssertTrue((error as? IOError)?.isConstraintViolation ?? false, "\(error)")
        }
        var rows: [String] = []
        try db.query("SELECT k, v FROM t") { rows.append("\($0.text(0))=\($0.double(1))") }
        XCTAssertEqual(rows, ["a=1.0"])
    }

    func testColumnTypesAndNullText() throws {
        let db = try SQLiteDatabase(path: try temporaryPath(), mode: .readWrite(create: true))
        try db.query("SELECT 1, 2.5, 'x', NULL") { s in
            XCTAssertEqual(s.columnCount, 4)
            XCTAssertEqual([s.type(0), s.type(1), s.type(2), s.type(3)], [.integer, .float, .text, .null])
            XCTAssertEqual(s.text(3), "")
            XCTAssertEqual(s.byteCount(2), 1)
        }
    }

    func testOpeningAMissingFileReadOnlyNamesThePath() {
        let path = "/nonexistent-dir/none.sqlite"
        XCTAssertThrowsError(try SQLiteDatabase(path: path, mode: .readOnly)) { error in
            guard case .sqlite(let p, _, _)? = error as? IOError else { return XCTFail("\(error)") }
            XCTAssertEqual(p, path)
        }
    }
}
