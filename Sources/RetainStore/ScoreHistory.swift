import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring

/// The daily score history: one SQLite file, one row per customer per scored day.
///
/// Created on first use, owner-only (0600). Schema version is kept in `PRAGMA user_version` and
/// migrated when opened for writing (0 → 1 creates the tables); a file from a newer `retain` is
/// refused, and so is a damaged one (`PRAGMA quick_check`). Readers open it read-only
/// (``init(readingFrom:)``) and never create, migrate or change the file.
///
/// Schema v2:
///
///     scores(date, customer_id, model_id, churn_probability, risk_tier, predicted_value,
///            segment, flags, action, reasons, lifecycle, p_alive, winback_rank)
///                                                  PRIMARY KEY (date, customer_id), WITHOUT ROWID
///     scores_by_customer ON scores(customer_id, date)
///     runs(date PRIMARY KEY, model_id, rows, written_at)   one row per scored day
///
/// `churn_probability` and `risk_tier` are NULL for a customer outside the at-risk universe;
/// `lifecycle` NULL when not known, `p_alive` without a purchase model, `winback_rank` for a
/// customer who is no win-back candidate. Version 1 (before lifecycles) lacked the last three
/// columns and required a probability and tier; a writer migrates it to 2 (keeping every row,
/// the new columns NULL), a reader reads it as it is.
///
/// `flags` and `reasons` are stored as text joined by U+001F (unit separator), which no flag or
/// reason contains.
///
/// Journal: WAL with `synchronous = FULL`. A day is replaced in one transaction (delete + insert),
/// so a process killed mid-write leaves the previous state: uncommitted WAL frames are ignored on
/// the next open. WAL also lets `retain export` read while `retain score` writes. The `-wal` and
/// `-shm` files live beside the database, which must be on a local file system. A read-only
/// connection cannot checkpoint, so after a reader closes, empty `-wal` and `-shm` files may stay
/// beside the database (owner-only like it) until the next write removes them.
///
/// Not thread-safe: use one instance per thread.
public final class ScoreHistory {
    /// The schema version this build writes and reads.
    public static let schemaVersion: Int32 = 2
    /// Separator for the `flags` and `reasons` columns.
    static let separator = "\u{1F}"

    /// The database file.
    public let path: String
    private let db: SQLiteDatabase
    /// The file's schema version after opening (a read-only open of a v1 file stays 1).
    private var version: Int32 = 0

    /// Test hook: throw `injectedFailure` after this many inserts, inside the transaction.
    var failAfterInserts: Int?

    /// Opens the history at `path` for writing (creating it when `create` is true and it is
    /// missing, and migrating its schema), or, when `create` is false, for reading only.
    ///
    /// - Parameters:
    ///   - path: The SQLite file.
    ///   - create: Create the file when missing (default). Readers pass `false`, which is the
    ///     read-only open of ``init(readingFrom:)``.
    ///   - busyTimeout: How long to wait, in milliseconds, for a lock held by another
    ///     connection (another `retain score` writing) before failing.
    /// - Throws: `StoreError.missingDatabase`, `.sqlite`, `.newerSchema`, `.damaged`,
    ///   `.notAHistory` (read-only open of a file `retain` did not write).
    public convenience init(path: String, create: Bool = true, busyTimeout: Int32 = 10_000) throws {
        try self.init(path: path, readOnly: !create, busyTimeout: busyTimeout)
    }

    /// Opens the history at `path` read-only: the file is never created, migrated or switched
    /// to WAL (the commands that only read — history, diff, export — use this).
    ///
    /// - Throws: `StoreError.missingDatabase`; `.notAHistory` for an empty or unrelated SQLite
    ///   file (no `scores`/`runs` tables, or schema version 0); `.newerSchema`; `.sqlite`.
    public convenience init(readingFrom path: String, busyTimeout: Int32 = 10_000) throws {
        try self.init(path: path, readOnly: true, busyTimeout: busyTimeout)
    }

    private init(path: String, readOnly: Bool, busyTimeout: Int32) throws {
        self.path = path
        if readOnly && !FileManager.default.fileExists(atPath: path) {
            throw StoreError.missingDatabase(path: path)
        }
        do {
            if readOnly {
                db = try SQLiteDatabase(path: path, mode: .readOnly)
                db.setBusyTimeout(milliseconds: busyTimeout)
                try Self.checkReadable(db, path: path)
                version = try db.userVersion()
            } else {
                try Self.createOwnerOnly(path: path)
                db = try SQLiteDatabase(path: path, mode: .readWrite(create: true))
                db.setBusyTimeout(milliseconds: busyTimeout)
                try Self.checkSound(db, path: path)
                let version = try db.userVersion()
                if version > Self.schemaVersion {  // before anything changes the file
                    throw StoreError.newerSchema(path: path, version: version, supported: Self.schemaVersion)
                }
                try db.execute("PRAGMA journal_mode = WAL")
                try db.execute("PRAGMA synchronous = FULL")
                try db.execute("PRAGMA cache_size = -65536")  // 64 MiB: a million-row day's index pages stay in memory
                try db.migrate([Self.migrate0to1, Self.migrate1to2])
                self.version = try db.userVersion()
            }
        } catch {
            throw Self.storeError(error, path: path)
        }
    }

    /// Creates a missing history file empty and owner-only (0600, whatever the umask) before
    /// SQLite opens it; SQLite gives the `-wal` and `-shm` files the database file's mode.
    private static func createOwnerOnly(path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { return }
            throw StoreError.sqlite(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        if fchmod(fd, 0o600) != 0 {
            throw StoreError.sqlite(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// A read-only open's checks: the file is a retain history of a schema this build reads.
    private static func checkReadable(_ db: SQLiteDatabase, path: String) throws {
        let version = try db.userVersion()
        if version > schemaVersion {
            throw StoreError.newerSchema(path: path, version: version, supported: schemaVersion)
        }
        let tables = Set(try db.tableNames())
        if version == 0 || !tables.isSuperset(of: ["scores", "runs"]) {
            throw StoreError.notAHistory(path: path)
        }
    }

    /// A writing open's check of an existing file: `PRAGMA quick_check` must pass, so no day is
    /// appended to a damaged history.
    private static func checkSound(_ db: SQLiteDatabase, path: String) throws {
        var lines: [String] = []
        do {
            try db.query("PRAGMA quick_check") { lines.append($0.text(0)) }
        } catch IOError.sqlite(_, _, let code) where code & 0xFF == 11 {  // SQLITE_CORRUPT
            throw StoreError.damaged(path: path)
        }
        if lines != ["ok"] { throw StoreError.damaged(path: path) }
    }

    // MARK: Schema

    /// The file's `PRAGMA user_version`.
    func userVersion() throws -> Int32 {
        try guarded { try db.userVersion() }
    }

    /// Version 0 is an empty (or foreign, table-less for us) file: create the v1 tables.
    private static func migrate0to1(_ db: SQLiteDatabase) throws {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS scores (
                date TEXT NOT NULL,
                customer_id TEXT NOT NULL,
                model_id TEXT NOT NULL,
                churn_probability REAL NOT NULL,
                risk_tier TEXT NOT NULL,
                predicted_value REAL NOT NULL,
                segment TEXT NOT NULL,
                flags TEXT NOT NULL,
                action TEXT NOT NULL,
                reasons TEXT NOT NULL,
                PRIMARY KEY (date, customer_id)
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS scores_by_customer ON scores(customer_id, date);
            CREATE TABLE IF NOT EXISTS runs (
                date TEXT PRIMARY KEY,
                model_id TEXT NOT NULL,
                rows INTEGER NOT NULL,
                written_at TEXT NOT NULL
            );
            """)
    }

    /// Version 1 → 2: probability and tier may be NULL (outside the at-risk universe); adds
    /// `lifecycle`, `p_alive` and `winback_rank` (NULL for the rows already there).
    private static func migrate1to2(_ db: SQLiteDatabase) throws {
        try db.execute("""
            CREATE TABLE scores_v2 (
                date TEXT NOT NULL,
                customer_id TEXT NOT NULL,
                model_id TEXT NOT NULL,
                churn_probability REAL,
                risk_tier TEXT,
                predicted_value REAL NOT NULL,
                segment TEXT NOT NULL,
                flags TEXT NOT NULL,
                action TEXT NOT NULL,
                reasons TEXT NOT NULL,
                lifecycle TEXT,
                p_alive REAL,
                winback_rank INTEGER,
                PRIMARY KEY (date, customer_id)
            ) WITHOUT ROWID;
            INSERT INTO scores_v2 (date, customer_id, model_id, churn_probability, risk_tier, predicted_value, segment, flags, action, reasons)
                SELECT date, customer_id, model_id, churn_probability, risk_tier, predicted_value, segment, flags, action, reasons FROM scores;
            DROP TABLE scores;
            ALTER TABLE scores_v2 RENAME TO scores;
            CREATE INDEX IF NOT EXISTS scores_by_customer ON scores(customer_id, date);
            """)
    }

    // MARK: Writing

    /// Writes one scored day, replacing any earlier scores of that day, in one transaction.
    ///
    /// Idempotent: writing the same day twice leaves one copy. If the process dies or this throws
    /// mid-write, the history is left exactly as before the call.
    ///
    /// - Parameters:
    ///   - records: One per customer; each record's `date` must be `date` or empty.
    ///   - date: The scoring date (`YYYY-MM-DD`).
    ///   - modelID: The model that scored the day (stored for every row; overrides the records').
    /// - Throws: `StoreError.invalidRecords` (wrong date, a customer twice), `.sqlite`.
    /// - Complexity: O(n log n) for n records. A million-row day: about 4–6 s to write or replace
    ///   (optimised build, shared 2-core machine; most of it the two B-tree indexes).
    public func write(_ records: [ScoreRecord], date: String, modelID: String) throws {
        guard Self.isDate(date) else {
            throw StoreError.invalidRecords(reason: "date '\(date)' is not YYYY-MM-DD")
        }
        if let bad = records.firstIndex(where: { !$0.date.isEmpty && $0.date != date }) {
            throw StoreError.invalidRecords(reason: "record \(bad + 1) is dated \(records[bad].date), not \(date)")
        }
        try guarded {
            try db.transaction {
                try db.run("DELETE FROM scores WHERE date = ?", [date])
                try db.run("DELETE FROM runs WHERE date = ?", [date])
                let insert = try db.prepare("""
                    INSERT INTO scores (date, customer_id, model_id, churn_probability, risk_tier, predicted_value,
                                        segment, flags, action, reasons, lifecycle, p_alive, winback_rank)
                    VALUES (?1, ?2, ?3, ?4, NULLIF(?5, ''), ?6, ?7, ?8, ?9, ?10, NULLIF(?11, ''), ?12, ?13)
                    """)
                insert.bind(date, at: 1)
                insert.bind(modelID, at: 3)
                for (i, r) in records.enumerated() {
                    if let n = failAfterInserts, i >= n { throw StoreError.injectedFailure }
                    insert.bind(r.customerID, at: 2)
                    insert.bind(r.churnProbability ?? .nan, at: 4)  // SQLite stores NaN as NULL
                    insert.bind(r.riskTier, at: 5)
                    insert.bind(r.predictedValue, at: 6)
                    insert.bind(r.segment, at: 7)
                    insert.bind(r.flags.joined(separator: Self.separator), at: 8)
                    insert.bind(r.action, at: 9)
                    insert.bind(r.reasons.joined(separator: Self.separator), at: 10)
                    insert.bind(r.lifecycle, at: 11)
                    insert.bind(r.probabilityAlive ?? .nan, at: 12)
                    insert.bind(r.winbackRank.map(Double.init) ?? .nan, at: 13)
                    do {
                        _ = try insert.step()
                    } catch let e as IOError where e.isConstraintViolation {
                        throw StoreError.invalidRecords(reason: "record \(i + 1) repeats a customer already scored on \(date)")
                    }
                    insert.reset()
                }
                try db.run("INSERT INTO runs (date, model_id, rows, written_at) VALUES (?, ?, ?, ?)",
                           [date, modelID, String(records.count), ISO8601DateFormatter().string(from: Date())])
            }
        }
    }

    // MARK: Reading

    /// Scored dates, oldest first.
    public func dates() throws -> [String] {
        var out: [String] = []
        try query("SELECT date FROM runs ORDER BY date") { out.append($0.text(0)) }
        return out
    }

    /// The latest scored date before `date`, or nil.
    public func previousDate(before date: String) throws -> String? {
        var out: String?
        try query("SELECT max(date) FROM runs WHERE date < ?", [date]) { s in
            if s.type(0) != .null { out = s.text(0) }
        }
        return out
    }

    /// The model that scored `date`.
    ///
    /// - Throws: `StoreError.unknownDate` listing the scored dates.
    public func modelID(date: String) throws -> String {
        var out: String?
        try query("SELECT model_id FROM runs WHERE date = ?", [date]) { out = $0.text(0) }
        guard let out else { throw StoreError.unknownDate(date: date, scored: try dates()) }
        return out
    }

    /// All records of a scored day, by customer id.
    ///
    /// - Throws: `StoreError.unknownDate` listing the scored dates.
    public func records(date: String) throws -> [ScoreRecord] {
        _ = try modelID(date: date)
        return try select(where: "date = ?", order: "customer_id", [date])
    }

    /// One customer's records, oldest first (empty when the customer was never scored).
    public func trajectory(customer: String) throws -> [ScoreRecord] {
        try select(where: "customer_id = ?", order: "date", [customer])
    }

    /// Customer id and probability of the records of `date` with probability ≥ `minimum` and
    /// whether each carries the `at_risk` flag (the hysteresis walk's input).
    func atRiskCandidates(date: String, minimum: Double) throws -> [(customer: String, probability: Double, flagged: Bool)] {
        var out: [(String, Double, Bool)] = []
        let sql = "SELECT customer_id, churn_probability, flags FROM scores WHERE date = ?1 AND churn_probability IS NOT NULL AND (churn_probability >= ?2 OR flags LIKE '%at_risk%')"
        try guarded {
            let s = try db.prepare(sql)
            s.bind(date, at: 1)
            s.bind(minimum, at: 2)
            while try s.step() {
                let flags = Self.list(s.text(2))
                out.append((s.text(0), s.double(1), flags.contains("at_risk")))
            }
        }
        return out
    }

    private func select(where condition: String, order: String, _ args: [String]) throws -> [ScoreRecord] {
        var out: [ScoreRecord] = []
        // A version-1 file (read-only open) has no lifecycle, p_alive or winback_rank columns.
        let newer = version >= 2 ? "lifecycle, p_alive, winback_rank" : "NULL, NULL, NULL"
        let sql = """
            SELECT customer_id, date, model_id, churn_probability, risk_tier, predicted_value, segment, flags, action, reasons, \(newer)
            FROM scores WHERE \(condition) ORDER BY \(order)
            """
        try query(sql, args) { s in
            out.append(ScoreRecord(
                customerID: s.text(0), date: s.text(1), modelID: s.text(2),
                churnProbability: s.type(3) == .null ? nil : s.double(3), riskTier: s.text(4),
                predictedValue: s.double(5), segment: s.text(6),
                flags: Self.list(s.text(7)), action: s.text(8), reasons: Self.list(s.text(9)),
                lifecycle: s.text(10), probabilityAlive: s.type(11) == .null ? nil : s.double(11),
                winbackRank: s.type(12) == .null ? nil : Int(s.int32(12))))
        }
        return out
    }

    /// `PRAGMA integrity_check`'s answer (`ok` when the file is sound).
    func integrityCheck() throws -> String {
        var lines: [String] = []
        try query("PRAGMA integrity_check") { lines.append($0.text(0)) }
        return lines.joined(separator: "\n")
    }

    // MARK: SQLite plumbing

    static func isDate(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-") else { return false }
        return u.enumerated().allSatisfy { i, c in i == 4 || i == 7 || (c >= 48 && c <= 57) }
    }

    static func list(_ s: String) -> [String] {
        s.isEmpty ? [] : s.utf8.split(separator: 0x1F, omittingEmptySubsequences: false).map { String(Substring($0)) }
    }

    /// Runs `sql` with text arguments, calling `row` per result row; SQLite errors become ``StoreError``.
    private func query(_ sql: String, _ args: [String] = [], _ row: (SQLiteStatement) throws -> Void) throws {
        try guarded { try db.query(sql, args, row) }
    }

    /// Runs `body`, turning the I/O layer's SQLite errors into ``StoreError``.
    private func guarded<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw Self.storeError(error, path: path) }
    }

    /// The history's own error for an error of the SQLite layer (others pass through).
    private static func storeError(_ error: Error, path: String) -> Error {
        switch error {
        case IOError.sqlite(_, let reason, _): return StoreError.sqlite(path: path, reason: reason)
        case IOError.newerSchema(_, let version, let supported):
            return StoreError.newerSchema(path: path, version: version, supported: supported)
        default: return error
        }
    }
}
