import CSQLite
import Foundation
import XCTest
@testable import RetainIO
@testable import RetainIngest

/// Misaligned columns put emails and customer ids where a date or a number belongs. Every reader's
/// error then names the file, line and column and describes the cell, but never quotes it.
final class MisalignedColumnsTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sampleCustomers = root.appendingPathComponent("datasets/sample/customers.csv").path

    /// What must never appear in an error: the sample's emails and ids, and any hand-made secret.
    /// File paths are left out of the check (a temporary directory's UUID may hold `C0` and five digits).
    func assertNoCellValue(_ message: String?, _ secrets: [String] = [], file: StaticString = #filePath, line: UInt = #line) {
        guard let message = message?.replacingOccurrences(of: #"/[^\s:]+"#, with: "PATH", options: .regularExpression) else {
            return XCTFail("no error", file: file, line: line)
        }
        XCTAssertNil(message.range(of: #"@example\.com|C0[0-9]{5}"#, options: .regularExpression), message, file: file, line: line)
        for s in secrets { XCTAssertFalse(message.contains(s), "'\(s)' in: \(message)", file: file, line: line) }
    }

    /// The sample's customers.csv with its `a` and `b` columns swapped.
    func swappedCustomers(_ dir: TemporaryDirectory, _ a: String, _ b: String) throws -> String {
        let lines = try String(contentsOfFile: Self.sampleCustomers, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let header = lines[0].split(separator: ",").map(String.init)
        let i = header.firstIndex(of: a)!, j = header.firstIndex(of: b)!
        let swapped = lines.enumerated().map { k, line -> String in
            guard k > 0, !line.isEmpty else { return String(line) }
            var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f.swapAt(i, j)
            return f.joined(separator: ",")
        }
        return try dir.write("customers.csv", swapped.joined(separator: "\n"))
    }

    func testCustomersWithSwappedSignupAndEmailNameTheCellButNotTheEmail() throws {
        let dir = try TemporaryDirectory()
        let path = try swappedCustomers(dir, "signup_date", "email")
        let message = errorText { _ = try Customers.read(path: path) }
        assertNoCellValue(message)
        XCTAssertEqual(message, "\(path) line 2, column signup_date: not a date (expected ISO-8601 or Unix seconds); "
                       + "the cell holds 19 characters of text with an '@' (it looks like an email address: are the columns in the right order?).")
    }

    func testCustomersWithSwappedIdAndSignupNameTheCellButNotTheId() throws {
        let dir = try TemporaryDirectory()
        let path = try swappedCustomers(dir, "customer_id", "signup_date")
        let message = errorText { _ = try Customers.read(path: path) }
        assertNoCellValue(message)
        XCTAssertEqual(message, "\(path) line 2, column signup_date: not a date (expected ISO-8601 or Unix seconds); "
                       + "the cell holds 7 characters of letters and digits (it looks like an id or a code: are the columns in the right order?).")
    }

    func testCustomersWithoutHeaderAreDescribedNotListed() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("customers.csv", "C000001,2024-05-28,basic,BR,c000001@example.com\nC000002,2025-08-05,standard,DE,c000002@example.com\n")
        let message = errorText { _ = try Customers.read(path: path) }
        assertNoCellValue(message)
        XCTAssertEqual(message, "\(path): no column 'customer_id' in the header (5 fields; field 1 holds 7 characters of letters and digits "
                       + "(it looks like an id or a code: are the columns in the right order?), so the first line looks like a data row: add a header line).")
    }

    func testDuplicateCustomerNamesLinesNotTheId() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("customers.csv", "customer_id,email\nC000007,a@example.com\nC000008,b@example.com\nC000007,c@example.com\n")
        let message = errorText { _ = try Customers.read(path: path) }
        assertNoCellValue(message)
        XCTAssertEqual(message, "\(path) line 4: the customer_id of line 2 appears again; keep one row per customer.")
    }

    func testEventsCSVWithMisalignedColumnsNameFileLineAndColumnOnly() throws {
        let dir = try TemporaryDirectory()
        let header = "customer_id,timestamp,event_type,value,ref\n"
        let good = "C000001,2025-01-01T00:00:00Z,login,,\n"
        // Customer id and timestamp swapped on line 3.
        let swapped = try dir.write("events.csv", header + good + "2025-01-02T00:00:00Z,C000002,login,,\n")
        var message = errorText { _ = try readAll(.csv(path: swapped)) }
        assertNoCellValue(message)
        XCTAssertEqual(message, "\(swapped) line 3, column timestamp: not a date (expected ISO-8601 or Unix seconds); "
                       + "the cell holds 7 characters of letters and digits (it looks like an id or a code: are the columns in the right order?).")
        // An email where the value belongs (a column missing before it, padded at the end).
        let shifted = try dir.write("shifted.csv", header + good + "C000003,2025-01-02,purchase,c000003@example.com,\n")
        message = errorText { _ = try readAll(.csv(path: shifted)) }
        assertNoCellValue(message)
        XCTAssertEqual(message, "\(shifted) line 3, column value: not a number; "
                       + "the cell holds 19 characters of text with an '@' (it looks like an email address: are the columns in the right order?).")
        // The same through gzip and with several threads: the same message.
        let gz = try dir.writeGzip("events.csv.gz", Array((header + good + "2025-01-02T00:00:00Z,C000002,login,,\n").utf8))
        message = errorText { _ = try readAll(.csv(path: gz), threads: 4, blockSize: 64) }
        assertNoCellValue(message)
        XCTAssertTrue(message?.hasPrefix("\(gz) line 3, column timestamp: not a date") ?? false, message ?? "")
    }

    func testEventsSQLiteWithMisalignedColumnsNameTableRowAndColumnOnly() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path + "/events.db"
        var handle: OpaquePointer?
        XCTAssertEqual(sqlite3_open(db, &handle), SQLITE_OK)
        XCTAssertEqual(sqlite3_exec(handle, """
            CREATE TABLE events (customer_id TEXT, timestamp, event_type TEXT, value);
            INSERT INTO events VALUES ('C000001', '2025-01-01', 'login', NULL), ('2025-01-02', 'C000002', 'login', NULL);
            CREATE TABLE shifted (customer_id TEXT, timestamp, event_type TEXT, value);
            INSERT INTO shifted VALUES ('C000001', '2025-01-01', 'purchase', 'c000001@example.com');
            """, nil, nil, nil), SQLITE_OK)
        sqlite3_close(handle)
        var message = errorText { _ = try readAll(.sqlite(path: db, table: "events")) }
        assertNoCellValue(message)
        XCTAssertEqual(message, "\(db):events line 2, column timestamp: not a date (expected ISO-8601 or Unix seconds); "
                       + "the cell holds 7 characters of letters and digits (it looks like an id or a code: are the columns in the right order?).")
        message = errorText { _ = try readAll(.sqlite(path: db, table: "shifted")) }
        assertNoCellValue(message)
        XCTAssertEqual(message, "\(db):shifted line 1, column value: not a number; "
                       + "the cell holds 19 characters of text with an '@' (it looks like an email address: are the columns in the right order?).")
    }

    func testFeatureTableWithMisalignedColumnsNameFileLineAndColumnOnly() throws {
        let dir = try TemporaryDirectory()
        // The id column not declared as such: its ids land in a numeric column.
        let noID = try dir.write("features.csv", "customer_id,n_login_30d\nC000001,3\n")
        var message = errorText { _ = try FeatureTable.readCSV(path: noID) }
        assertNoCellValue(message)
        XCTAssertEqual(message, "\(noID) line 2, column customer_id: not a number; "
                       + "the cell holds 7 characters of letters and digits (it looks like an id or a code: are the columns in the right order?).")
        // An email (an attribute column that slipped in) in a numeric column, after a quoted id.
        let email = try dir.write("email.csv", "customer_id,n_login_30d,spend\n\"C000001\",3,1.5\n\"C000002\",c000002@example.com,2\n")
        message = errorText { _ = try FeatureTable.readCSV(path: email, idColumn: "customer_id") }
        assertNoCellValue(message)
        XCTAssertEqual(message, "\(email) line 3, column n_login_30d: not a number; "
                       + "the cell holds 19 characters of text with an '@' (it looks like an email address: are the columns in the right order?).")
        // Streaming header and chunked reads report the same.
        message = errorText { _ = try FeatureTable.parse(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: email))),
                                                         options: .init(idColumn: "customer_id", chunkCount: 4, threadCount: 2)) }
        assertNoCellValue(message)
        // A headerless table: the missing id column is described, not listed.
        let headerless = try dir.write("headerless.csv", "C000001,3,1.5\nC000002,4,2\n")
        message = errorText { _ = try FeatureTable.readCSV(path: headerless, idColumn: "customer_id") }
        assertNoCellValue(message)
        XCTAssertTrue(message?.hasSuffix("so the first line looks like a data row: add a header line).") ?? false, message ?? "")
    }

    func testPurchaseLogNamesLineAndColumnNotTheCell() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("cdnow.txt", " 00001 19970101  1   11.77\n 00002 c2@example.com  1   12.00\n")
        let message = errorText { _ = try CDNOW.read(path: path) }
        assertNoCellValue(message, ["c2@"])
        XCTAssertEqual(message, "\(path) line 2, column date: not a date (expected ISO-8601 or Unix seconds); "
                       + "the cell holds 14 characters of text with an '@' (it looks like an email address: are the columns in the right order?).")
    }
}
