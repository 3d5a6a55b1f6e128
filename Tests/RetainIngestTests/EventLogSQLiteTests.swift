import CSQLite
import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest

/// Event logs in a SQLite table: the same events as from CSV.
final class EventLogSQLiteTests: XCTestCase {
    private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// A database at `path` with `sql` executed (table creation and inserts).
    func makeDatabase(_ path: String, _ sql: String) throws {
        var db: OpaquePointer?
        XCTAssertEqual(sqlite3_open(path, &db), SQLITE_OK)
        defer { sqlite3_close(db) }
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(db, sql, nil, nil, &message)
        if status != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? "?"
            sqlite3_free(message)
            XCTFail("sqlite: \(text)")
        }
    }

    func testTableInputEqualsCSVInput() throws {
        let dir = try TemporaryDirectory()
        let csv = try dir.write("events.csv", """
            customer_id,timestamp,event_type,value,ref
            b,2025-03-04T10:22:31Z,login,,
            a,2025-03-04,purchase,19.99,order-1
            b,1741083751,purchase,5,order-2
            42,2025-03-04T10:22:31+02:00,login,,order-1
            a,1741083751.5,nps,9,

            """)
        let db = dir.path + "/events.db"
        // Timestamps as text, INTEGER and REAL; values as REAL, INTEGER, NULL and text; an integer customer id.
        try makeDatabase(db, """
            CREATE TABLE events (id INTEGER PRIMARY KEY, customer_id TEXT, timestamp, event_type TEXT, value, ref TEXT, extra TEXT);
            INSERT INTO events (customer_id, timestamp, event_type, value, ref) VALUES
              ('b', '2025-03-04T10:22:31Z', 'login', NULL, NULL),
              ('a', '2025-03-04', 'purchase', 19.99, 'order-1'),
              ('b', 1741083751, 'purchase', 5, 'order-2'),
              (42, '2025-03-04T10:22:31+02:00', 'login', '', 'order-1'),
              ('a', 1741083751.5, 'nps', '9', '');
            """)
        let fromCSV = try readAll(.csv(path: csv))
        let fromTable = try readAll(.sqlite(path: db, table: "events"))
        XCTAssertEqual(fromTable.events.map { "\($0)" }, fromCSV.events.map { "\($0)" })
        XCTAssertEqual(fromTable.customers, ["b", "a", "42"])
        XCTAssertEqual(fromTable.types, fromCSV.types)
        XCTAssertEqual(fromTable.refs, fromCSV.refs)
    }

    func testRemappedColumnsAndMissingTableOrColumn() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path + "/log.db"
        try makeDatabase(db, #"""
            CREATE TABLE "log ""x""" (user TEXT, ts INTEGER, action TEXT);
            INSERT INTO "log ""x""" VALUES ('u', 1700000000, 'open');
            CREATE VIEW recent AS SELECT * FROM "log ""x""";
            """#)
        let mapping = ColumnMapping(customerID: "user", timestamp: "ts", eventType: "action")
        let r = try readAll(.sqlite(path: db, table: "log \"x\"", mapping: mapping))
        XCTAssertEqual(r.customers, ["u"])
        XCTAssertEqual(r.batches[0].time, [1_700_000_000])
        XCTAssertEqual(try readAll(.sqlite(path: db, table: "recent", mapping: mapping)).customers, ["u"])
        XCTAssertEqual(errorText { _ = try readAll(.sqlite(path: db, table: "events", mapping: mapping)) },
                       "cannot read \(db): no table or view named 'events' (tables: log \"x\", recent).")
        XCTAssertEqual(errorText { _ = try readAll(.sqlite(path: db, table: "recent")) },
                       "\(db):recent: no column 'customer_id' in the header (columns: user, ts, action).")
        XCTAssertNotNil(errorText { _ = try readAll(.sqlite(path: dir.path + "/missing.db", table: "events")) })
    }

    func testBadRowsFailOrAreSkippedWithRowNumbers() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path + "/events.db"
        try makeDatabase(db, """
            CREATE TABLE events (customer_id TEXT, timestamp, event_type TEXT, value);
            INSERT INTO events VALUES ('secret', '2025-01-01', 'login', NULL), ('secret', '2025-13-01', 'login', NULL),
              (NULL, 1700000000, 'login', NULL), ('secret', 1700000000, 'buy', 'x1'), ('secret', NULL, 'login', NULL),
              ('secret', 1700000000000, 'login', NULL);
            """)
        XCTAssertEqual(errorText { _ = try readAll(.sqlite(path: db, table: "events")) },
                       "\(db):events line 2, column timestamp: not a date (the month is not 01–12); the cell holds 10 characters that look like a date or time.")
        let rejects = dir.path + "/rejects.csv"
        let r = try readAll(.sqlite(path: db, table: "events"), badRows: .skip, rejects: rejects)
        XCTAssertEqual(r.summaryRows, 1)
        XCTAssertEqual(r.bad, [.badTimestamp: 3, .emptyCustomerID: 1, .badValue: 1])
        XCTAssertEqual(try String(contentsOfFile: rejects, encoding: .utf8), """
            line,reason,text
            2,bad timestamp,"secret,2025-13-01,login,"
            3,empty customer_id,",1700000000,login,"
            4,bad value,"secret,1700000000,buy,x1"
            5,bad timestamp,"secret,,login,"
            6,bad timestamp,"secret,1700000000000,login,"

            """)
    }

    func testSQLiteBatchesAreBoundedAndIndicesStable() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path + "/events.db"
        var sql = "CREATE TABLE events (customer_id TEXT, timestamp INTEGER, event_type TEXT); BEGIN;"
        for i in 0..<70_000 { sql += "INSERT INTO events VALUES ('c\(i % 500)', \(1_700_000_000 + i), 't\(i % 3)');" }
        sql += "COMMIT;"
        try makeDatabase(db, sql)
        let r = try readAll(.sqlite(path: db, table: "events"))
        XCTAssertEqual(r.batches.map(\.count), [65_536, 70_000 - 65_536])
        XCTAssertEqual(r.customers.count, 500)
        XCTAssertEqual(r.customers.prefix(2), ["c0", "c1"])
        XCTAssertEqual(r.batches[1].time.last, 1_700_069_999)
    }
}
