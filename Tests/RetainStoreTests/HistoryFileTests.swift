import CSQLite
import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainStore

/// The history file itself: readers never change it, writers refuse a damaged one, and it is owner-only.
final class HistoryFileTests: XCTestCase {
    /// An empty file and a SQLite file of another program (a `notes` table, rollback journal).
    static func foreignFiles(in dir: URL) throws -> [String] {
        let empty = dir.appendingPathComponent("empty.sqlite").path
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        let notes = dir.appendingPathComponent("notes.sqlite").path
        try sqlite(notes, "CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('kept')")
        return [empty, notes]
    }

    /// Runs `sql` on `path` through a plain SQLite connection (not retain's).
    static func sqlite(_ path: String, _ sql: String) throws {
        var db: OpaquePointer?
        XCTAssertEqual(sqlite3_open(path, &db), SQLITE_OK)
        XCTAssertEqual(sqlite3_exec(db, sql, nil, nil, nil), SQLITE_OK)
        sqlite3_close(db)
    }

    /// The file's bytes, and which of its `-wal`/`-shm`/`-journal` companions exist.
    static func snapshot(_ path: String) -> (Data?, [String]) {
        let companions = ["-wal", "-shm", "-journal"].filter { FileManager.default.fileExists(atPath: path + $0) }
        return (FileManager.default.contents(atPath: path), companions)
    }

    func testReadOnlyOpenRefusesAnEmptyOrUnrelatedFileAndLeavesItByteIdentical() throws {
        let dir = try temporaryDirectory(self)
        for path in try Self.foreignFiles(in: dir) {
            let before = Self.snapshot(path)
            for open in [{ try ScoreHistory(readingFrom: path) }, { try ScoreHistory(path: path, create: false) }] {
                XCTAssertThrowsError(try open()) {
                    XCTAssertEqual($0 as? StoreError, .notAHistory(path: path))
                    XCTAssertEqual("\($0)", "\(path) is not a retain score history (no scores table); give the history file that `retain score` writes.")
                }
            }
            let after = Self.snapshot(path)
            XCTAssertEqual(after.0, before.0, path)
            XCTAssertEqual(after.1, [], path)
        }
    }

    func testReadOnlyOpenRefusesANewerSchemaWithoutChangingTheFile() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("new.sqlite").path
        try Self.sqlite(path, "CREATE TABLE scores (x); CREATE TABLE runs (x); PRAGMA user_version = 7")
        let before = Self.snapshot(path)
        XCTAssertThrowsError(try ScoreHistory(readingFrom: path)) {
            XCTAssertEqual($0 as? StoreError, .newerSchema(path: path, version: 7, supported: 2))
        }
        XCTAssertEqual(Self.snapshot(path).0, before.0)
        XCTAssertEqual(Self.snapshot(path).1, [])
    }

    func testWritingOpenRefusesANewerSchemaWithoutSwitchingItToWAL() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("new.sqlite").path
        try Self.sqlite(path, "PRAGMA user_version = 7")
        let before = Self.snapshot(path)
        XCTAssertThrowsError(try ScoreHistory(path: path)) {
            XCTAssertEqual($0 as? StoreError, .newerSchema(path: path, version: 7, supported: 2))
        }
        XCTAssertEqual(Self.snapshot(path).0, before.0)
    }

    func testReadOnlyOpenReadsAHistoryWithoutMigratingIt() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("h.sqlite").path
        try ScoreHistory(path: path).write(day("2025-10-01", count: 3), date: "2025-10-01", modelID: "m1")
        let h = try ScoreHistory(readingFrom: path)
        XCTAssertEqual(try h.dates(), ["2025-10-01"])
        XCTAssertEqual(try h.records(date: "2025-10-01").count, 3)
        XCTAssertThrowsError(try h.write(day("2025-10-02", count: 1), date: "2025-10-02", modelID: "m1"))
    }

    func testWritingToADamagedHistoryIsRefusedAndAppendsNothing() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("h.sqlite").path
        do { try ScoreHistory(path: path).write(day("2025-10-01", count: 3000), date: "2025-10-01", modelID: "m1") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + "-wal"), "closing the last connection checkpoints the WAL")
        // Scribble over the middle of the file (b-tree pages of the scores table).
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2)
        try handle.write(contentsOf: Data(repeating: 0x5A, count: 8192))
        try handle.close()
        let before = Self.snapshot(path).0
        XCTAssertThrowsError(try ScoreHistory(path: path).write(day("2025-10-02", count: 1), date: "2025-10-02", modelID: "m1")) {
            XCTAssertEqual($0 as? StoreError, .damaged(path: path))
            XCTAssertTrue("\($0)".contains("Restore it from a backup, or start a new history file"), "\($0)")
        }
        XCTAssertEqual(Self.snapshot(path).0, before)
    }

    func testANewHistoryAndItsWALFilesAreOwnerOnlyWhateverTheUmask() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("h.sqlite").path
        let old = umask(0)
        defer { umask(old) }
        let h = try ScoreHistory(path: path)
        try h.write(day("2025-10-01", count: 10), date: "2025-10-01", modelID: "m1")
        for file in [path, path + "-wal", path + "-shm"] {
            let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            XCTAssertEqual(mode, 0o600, file)
        }
    }
}
