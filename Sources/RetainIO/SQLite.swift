import CSQLite
import Foundation
import RetainCore

/// The value SQLite takes for "copy this text before returning" (`SQLITE_TRANSIENT`).
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection: the only place in `retain` that calls the SQLite C API.
///
/// Event tables (read-only) and the score history (read-write, WAL, versioned schema) both go
/// through it. Errors are ``IOError/sqlite(path:reason:code:)`` with SQLite's own explanation.
///
/// Not thread-safe: use one connection per thread (opened with `SQLITE_OPEN_NOMUTEX`).
package final class SQLiteDatabase {
    /// How to open the file.
    package enum Mode: Sendable, Equatable {
        /// Read only; the file must exist.
        case readOnly
        /// Read and write; `create` makes the file when it is missing.
        case readWrite(create: Bool)
    }

    /// The database file.
    package let path: String
    private let handle: OpaquePointer

    /// Opens `path`.
    ///
    /// - Throws: `IOError.sqlite` when SQLite cannot open the file.
    package init(path: String, mode: Mode) throws {
        self.path = path
        let flags: Int32
        switch mode {
        case .readOnly: flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
        case .readWrite(let create): flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX
        }
        var db: OpaquePointer?
        let status = sqlite3_open_v2(path, &db, flags, nil)
        guard status == SQLITE_OK, let db else {
            let reason = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open the database"
            sqlite3_close(db)
            throw IOError.sqlite(path: path, reason: reason, code: status)
        }
        handle = db
    }

    deinit { sqlite3_close(handle) }

    /// Waits up to `milliseconds` for a lock held by another connection before failing.
    package func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(handle, milliseconds)
    }

    /// Runs one or more statements that return no rows.
    package func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &message)
        guard status == SQLITE_OK else {
            let reason = message.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(message)
            throw IOError.sqlite(path: path, reason: reason, code: status)
        }
    }

    /// A prepared statement for `sql`.
    package func prepare(_ sql: String) throws -> SQLiteStatement {
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard status == SQLITE_OK, let statement else { throw error(status) }
        return SQLiteStatement(statement, database: self)
    }

    /// Runs `sql` with text arguments `?1, ?2, …` and calls `row` for each result row.
    package func query(_ sql: String, _ arguments: [String] = [], _ row: (SQLiteStatement) throws -> Void) throws {
        let statement = try prepare(sql)
        for (i, a) in arguments.enumerated() { statement.bind(a, at: Int32(i + 1)) }
        while try statement.step() { try row(statement) }
    }

    /// Runs `sql` with text arguments, ignoring any rows.
    package func run(_ sql: String, _ arguments: [String] = []) throws {
        try query(sql, arguments) { _ in }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction: committed if it returns, rolled back if it throws.
    package func transaction(_ body: () throws -> Void) throws {
        try execute("BEGIN IMMEDIATE")
        do {
            try body()
            try execute("COMMIT")
        } catch {
            sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
            throw error
        }
    }

    /// The file's `PRAGMA user_version` (the schema version of files `retain` writes).
    package func userVersion() throws -> Int32 {
        var version: Int32 = 0
        try query("PRAGMA user_version") { version = $0.int32(0) }
        return version
    }

    /// Brings the schema from its `user_version` to `steps.count`: step `k` migrates version `k`
    /// to `k + 1`, each in its own transaction together with the new `user_version`.
    ///
    /// - Returns: The version found before migrating.
    /// - Throws: `IOError.newerSchema` for a file written by a newer schema; any step's error.
    @discardableResult
    package func migrate(_ steps: [(SQLiteDatabase) throws -> Void]) throws -> Int32 {
        let found = try userVersion()
        let supported = Int32(steps.count)
        guard found <= supported else {
            throw IOError.newerSchema(path: path, version: found, supported: supported)
        }
        var version = found
        while version < supported {
            try transaction {
                try steps[Int(version)](self)
                try execute("PRAGMA user_version = \(version + 1)")
            }
            version += 1
        }
        return found
    }

    /// Names of the tables and views, sorted.
    package func tableNames() throws -> [String] {
        var names: [String] = []
        try query("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name") { names.append($0.text(0)) }
        return names
    }

    /// Column names of a table or view (empty when there is no such table).
    package func columnNames(of table: String) throws -> [String] {
        var names: [String] = []
        try query("SELECT name FROM pragma_table_info(?1)", [table]) { names.append($0.text(0)) }
        return names
    }

    /// `identifier` quoted for SQL (`"…"`, inner quotes doubled).
    package static func quote(identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    fileprivate var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }

    fileprivate func error(_ status: Int32) -> IOError {
        .sqlite(path: path, reason: lastMessage, code: status)
    }
}

/// A prepared SQLite statement; finalized when released.
package final class SQLiteStatement {
    /// What a result column holds in the current row.
    package enum ColumnType: Sendable, Equatable { case integer, float, text, blob, null }

    private let statement: OpaquePointer
    private let database: SQLiteDatabase

    fileprivate init(_ statement: OpaquePointer, database: SQLiteDatabase) {
        self.statement = statement
        self.database = database
    }

    deinit { sqlite3_finalize(statement) }

    /// Binds text to parameter `index` (1-based).
    package func bind(_ value: String, at index: Int32) {
        sqlite3_bind_text(statement, index, value, -1, sqliteTransient)
    }

    /// Binds a double to parameter `index` (1-based).
    package func bind(_ value: Double, at index: Int32) {
        sqlite3_bind_double(statement, index, value)
    }

    /// Advances to the next row: true when a row is available, false when done.
    ///
    /// - Throws: `IOError.sqlite` (its `code` tells a constraint violation, `SQLITE_CONSTRAINT`).
    package func step() throws -> Bool {
        let status = sqlite3_step(statement)
        if status == SQLITE_ROW { return true }
        if status == SQLITE_DONE { return false }
        throw database.error(status)
    }

    /// Resets the statement so it can run again with new bindings.
    package func reset() {
        sqlite3_reset(statement)
    }

    /// Number of result columns.
    package var columnCount: Int32 { sqlite3_column_count(statement) }

    /// The type of column `i` in the current row.
    package func type(_ i: Int32) -> ColumnType {
        switch sqlite3_column_type(statement, i) {
        case SQLITE_INTEGER: return .integer
        case SQLITE_FLOAT: return .float
        case SQLITE_TEXT: return .text
        case SQLITE_BLOB: return .blob
        default: return .null
        }
    }

    /// Column `i` as a double (SQLite's conversion for text).
    package func double(_ i: Int32) -> Double { sqlite3_column_double(statement, i) }

    /// Column `i` as a 32-bit integer.
    package func int32(_ i: Int32) -> Int32 { sqlite3_column_int(statement, i) }

    /// Column `i` as text ("" for NULL).
    package func text(_ i: Int32) -> String {
        withBytes(i) { String(decoding: $0, as: UTF8.self) }
    }

    /// Number of bytes of column `i` as text.
    package func byteCount(_ i: Int32) -> Int { Int(sqlite3_column_bytes(statement, i)) }

    /// Calls `body` with the UTF-8 bytes of column `i` as text (empty for NULL), valid only
    /// during the call.
    package func withBytes<T>(_ i: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        guard let p = sqlite3_column_text(statement, i) else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(statement, i))))
    }
}
