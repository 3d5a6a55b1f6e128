import CSQLite
import Foundation
import XCTest

/// `retain history`, `retain diff` and `retain export` only read the history: given an empty or an
/// unrelated SQLite file they fail and leave it byte-identical (no tables, no WAL, same user_version).
final class HistoryFileCLITests: XCTestCase {
    func testReadOnlyCommandsRefuseAnEmptyOrUnrelatedFileAndLeaveItUnchanged() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("retain-history-file-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = dir.appendingPathComponent("empty.sqlite").path
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        let notes = dir.appendingPathComponent("notes.sqlite").path
        var db: OpaquePointer?
        XCTAssertEqual(sqlite3_open(notes, &db), SQLITE_OK)
        XCTAssertEqual(sqlite3_exec(db, "CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('kept'); PRAGMA user_version = 0", nil, nil, nil), SQLITE_OK)
        sqlite3_close(db)
        for path in [empty, notes] {
            let before = FileManager.default.contents(atPath: path)
            let runs = [
                ["history", "--db", path, "--customer", "a"],
                ["diff", "--db", path, "--from", "2025-10-01", "--to", "2025-10-02"],
                ["export", "--db", path, "--date", "2025-10-02", "--out", dir.appendingPathComponent("lists").path],
            ]
            for arguments in runs {
                let r = try runRetain(arguments)
                XCTAssertEqual(r.status, 1, "\(arguments) \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("\(path) is not a retain score history (no scores table); give the file `retain score --db` writes."),
                              "\(arguments) \(r.stderr)")
                XCTAssertEqual(FileManager.default.contents(atPath: path), before, "\(arguments) changed \(path)")
                for companion in ["-wal", "-shm", "-journal"] {
                    XCTAssertFalse(FileManager.default.fileExists(atPath: path + companion), "\(arguments) left \(path)\(companion)")
                }
            }
        }
    }
}
