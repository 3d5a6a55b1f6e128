import CSQLite
import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring

private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// The daily score history: one SQLite file, one row per customer per scored day.
///
/// Created on first use. Schema version is kept in `PRAGMA user_version` and migrated on open
/// (0 → 1 creates the tables); a file from a newer `retain` is refused.
///
/// Schema v1:
///
///     scores(date, customer_id, model_id, churn_probability, risk_tier, predicted_value,
///            segment, flags, action, reasons)      PRIMARY KEY (date, customer_id), WITHOUT ROWID
///     scores_by_customer ON scores(customer_id, date)
///     runs(date PRIMARY KEY, model_id, rows, written_at)   one row per scored day
///
/// `flags` and `reasons` are stored as text joined by U+001F (unit separator), which no flag or
/// reason contains.
///
/// Journal: WAL with `synchronous = FULL`. A day is replaced in one transaction (delete + insert),
/// so a process killed mid-write leaves the previous state: uncommitted WAL frames are ignored on
/// the next open. WAL also lets `retain export` read while `retain score` writes. The `-wal` and
/// `-shm` files live beside the database, which must be on a local file system.
///
/// Not thread-safe: use one instance per thread.
public final class ScoreHistory {
    /// The schema version this build writes and reads.
    public static let schemaVersion: Int32 = 1
    /// Separator for the `flags` and `reasons` columns.
    static let separator = "\u{1F}"

    /// The database file.
    public let path: String
    private let db: OpaquePointer

    /// Test hook: throw `injectedFailure` after this many inserts, inside the transaction.
    var failAfterInserts: Int?

    /// Opens (and, when `create` is true, creates) the history at `path`, migrating its schema.
    ///
    /// - Parameters:
    ///   - path: The SQLite file.
    ///   - create: Create the file when missing (default). Readers pass `false`.
    /// - Throws: `ScoreHistoryError.missingDatabase`, `.sqlite`, `.newerSchema`.
    public init(path: String, create: Bool = true) throws {
        self.path = path
        if !create && !FileManager.default.fileExists(atPath: path) {
            throw ScoreHistoryError.missingDatabase(path: path)
        }
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let reason = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open the database"
            sqlite3_close(handle)
            throw ScoreHistoryError.sqlite(path: path, reason: reason)
        }
        db = handle
        do {
            sqlite3_busy_timeout(db, 10_000)
            try exec("PRAGMA journal_mode = WAL")
            try exec("PRAGMA synchronous = FULL")
            try exec("PRAGMA cache_size = -65536")  // 64 MiB: a million-row day's index pages stay in memory
            try migrate()
        } catch {
            sqlite3_close(db)
            throw error
        }
    }

    deinit { sqlite3_close(db) }

    // MARK: Schema

    /// The file's `PRAGMA user_version`.
    func userVersion() throws -> Int32 {
        var v: Int32 = 0
        try query("PRAGMA user_version") { v = sqlite3_column_int($0, 0) }
        return v
    }

    /// Brings the schema to `schemaVersion`, one step per version, each step in its own transaction.
    private func migrate() throws {
        var version = try userVersion()
        guard version <= Self.schemaVersion else {
            throw ScoreHistoryError.newerSchema(path: path, version: version, supported: Self.schemaVersion)
        }
        while version < Self.schemaVersion {
            try transaction {
                switch version {
                case 0: try migrate0to1()
                default: preconditionFailure("no migration from schema version \(version)")
                }
                try exec("PRAGMA user_version = \(version + 1)")
            }
            version += 1
        }
    }

    /// Version 0 is an empty (or foreign, table-less for us) file: create the v1 tables.
    private func migrate0to1() throws {
        try exec("""
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
    /// - Throws: `ScoreHistoryError.invalidRecords` (wrong date, a customer twice), `.sqlite`.
    /// - Complexity: O(n log n) for n records. A million-row day: about 4–6 s to write or replace
    ///   (optimised build, shared 2-core machine; most of it the two B-tree indexes).
    public func write(_ records: [ScoreRecord], date: String, modelID: String) throws {
        guard Self.isDate(date) else {
            throw ScoreHistoryError.invalidRecords(reason: "date '\(date)' is not YYYY-MM-DD")
        }
        if let bad = records.firstIndex(where: { !$0.date.isEmpty && $0.date != date }) {
            throw ScoreHistoryError.invalidRecords(reason: "record \(bad + 1) is dated \(records[bad].date), not \(date)")
        }
        try transaction {
            try run("DELETE FROM scores WHERE date = ?", [date])
            try run("DELETE FROM runs WHERE date = ?", [date])
            let insert = try prepare("""
                INSERT INTO scores (date, customer_id, model_id, churn_probability, risk_tier, predicted_value,
                                    segment, flags, action, reasons) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            defer { sqlite3_finalize(insert) }
            bindText(insert, 1, date)
            bindText(insert, 3, modelID)
            for (i, r) in records.enumerated() {
                if let n = failAfterInserts, i >= n { throw ScoreHistoryError.injectedFailure }
                bindText(insert, 2, r.customerID)
                sqlite3_bind_double(insert, 4, r.churnProbability)
                bindText(insert, 5, r.riskTier)
                sqlite3_bind_double(insert, 6, r.predictedValue)
                bindText(insert, 7, r.segment)
                bindText(insert, 8, r.flags.joined(separator: Self.separator))
                bindText(insert, 9, r.action)
                bindText(insert, 10, r.reasons.joined(separator: Self.separator))
                let status = sqlite3_step(insert)
                guard status == SQLITE_DONE else {
                    if status == SQLITE_CONSTRAINT {
                        throw ScoreHistoryError.invalidRecords(reason: "record \(i + 1) repeats a customer already scored on \(date)")
                    }
                    throw error()
                }
                sqlite3_reset(insert)
            }
            try run("INSERT INTO runs (date, model_id, rows, written_at) VALUES (?, ?, ?, ?)",
                    [date, modelID, String(records.count), ISO8601DateFormatter().string(from: Date())])
        }
    }

    // MARK: Reading

    /// Scored dates, oldest first.
    public func dates() throws -> [String] {
        var out: [String] = []
        try query("SELECT date FROM runs ORDER BY date") { out.append(Self.text($0, 0)) }
        return out
    }

    /// The latest scored date before `date`, or nil.
    public func previousDate(before date: String) throws -> String? {
        var out: String?
        try query("SELECT max(date) FROM runs WHERE date < ?", [date]) { s in
            if sqlite3_column_type(s, 0) != SQLITE_NULL { out = Self.text(s, 0) }
        }
        return out
    }

    /// The model that scored `date`.
    ///
    /// - Throws: `ScoreHistoryError.unknownDate` listing the scored dates.
    public func modelID(date: String) throws -> String {
        var out: String?
        try query("SELECT model_id FROM runs WHERE date = ?", [date]) { out = Self.text($0, 0) }
        guard let out else { throw ScoreHistoryError.unknownDate(date: date, scored: try dates()) }
        return out
    }

    /// All records of a scored day, by customer id.
    ///
    /// - Throws: `ScoreHistoryError.unknownDate` listing the scored dates.
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
        let sql = "SELECT customer_id, churn_probability, flags FROM scores WHERE date = ?1 AND (churn_probability >= ?2 OR flags LIKE '%at_risk%')"
        let s = try prepare(sql)
        defer { sqlite3_finalize(s) }
        bindText(s, 1, date)
        sqlite3_bind_double(s, 2, minimum)
        try step(s) { s in
            let flags = Self.list(Self.text(s, 2))
            out.append((Self.text(s, 0), sqlite3_column_double(s, 1), flags.contains("at_risk")))
        }
        return out
    }

    private func select(where condition: String, order: String, _ args: [String]) throws -> [ScoreRecord] {
        var out: [ScoreRecord] = []
        let sql = """
            SELECT customer_id, date, model_id, churn_probability, risk_tier, predicted_value, segment, flags, action, reasons
            FROM scores WHERE \(condition) ORDER BY \(order)
            """
        try query(sql, args) { s in
            out.append(ScoreRecord(
                customerID: Self.text(s, 0), date: Self.text(s, 1), modelID: Self.text(s, 2),
                churnProbability: sqlite3_column_double(s, 3), riskTier: Self.text(s, 4),
                predictedValue: sqlite3_column_double(s, 5), segment: Self.text(s, 6),
                flags: Self.list(Self.text(s, 7)), action: Self.text(s, 8), reasons: Self.list(Self.text(s, 9))))
        }
        return out
    }

    /// `PRAGMA integrity_check`'s answer (`ok` when the file is sound).
    func integrityCheck() throws -> String {
        var lines: [String] = []
        try query("PRAGMA integrity_check") { lines.append(Self.text($0, 0)) }
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

    static func text(_ s: OpaquePointer, _ i: Int32) -> String {
        guard let p = sqlite3_column_text(s, i) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, i))), as: UTF8.self)
    }

    private func error() -> ScoreHistoryError {
        .sqlite(path: path, reason: String(cString: sqlite3_errmsg(db)))
    }

    private func bindText(_ s: OpaquePointer, _ i: Int32, _ value: String) {
        sqlite3_bind_text(s, i, value, -1, sqliteTransient)
    }

    private func exec(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(db, sql, nil, nil, &message) == SQLITE_OK else {
            let reason = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(db))
            sqlite3_free(message)
            throw ScoreHistoryError.sqlite(path: path, reason: reason)
        }
    }

    private func prepare(_ sql: String) throws -> OpaquePointer {
        var s: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &s, nil) == SQLITE_OK, let s else { throw error() }
        return s
    }

    private func step(_ s: OpaquePointer, _ row: (OpaquePointer) throws -> Void) throws {
        while true {
            let status = sqlite3_step(s)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw error() }
            try row(s)
        }
    }

    private func query(_ sql: String, _ args: [String] = [], _ row: (OpaquePointer) throws -> Void) throws {
        let s = try prepare(sql)
        defer { sqlite3_finalize(s) }
        for (i, a) in args.enumerated() { bindText(s, Int32(i + 1), a) }
        try step(s, row)
    }

    private func run(_ sql: String, _ args: [String]) throws {
        try query(sql, args) { _ in }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction; rolls back if it throws.
    private func transaction(_ body: () throws -> Void) throws {
        try exec("BEGIN IMMEDIATE")
        do {
            try body()
            try exec("COMMIT")
        } catch {
            sqlite3_exec(db, "ROLLBACK", nil, nil, nil)
            throw error
        }
    }
}
