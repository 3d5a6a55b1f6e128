import CZlib
import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest

/// A temporary directory removed at the end of the test.
final class TemporaryDirectory {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "retain-eventlog-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` (as UTF-8 bytes, unchanged) to `name` and returns the path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, Array(text.utf8))
    }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// Writes `bytes` gzip-compressed (zlib's gzwrite) to `name`.
    @discardableResult
    func writeGzip(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = path + "/" + name
        guard let gz = gzopen(file, "wb6") else { throw CocoaError(.fileWriteUnknown) }
        let written = bytes.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
        gzclose(gz)
        XCTAssertEqual(Int(written), bytes.count)
        return file
    }
}

/// Everything a read produced, with the dictionaries, for comparisons.
struct ReadResult: Equatable {
    var batches: [EventBatch]
    var customers: [String]
    var types: [String]
    var refs: [String]
    var summaryRows: Int
    var bad: [BadRowReason: Int]

    /// Events as (customer, time, type, value, ref) with names instead of indices.
    var events: [(String, Double, String, Double, String?)] {
        batches.flatMap { b in
            (0..<b.count).map { i in
                (customers[Int(b.customer[i])], b.time[i], types[Int(b.type[i])], b.value[i],
                 b.ref[i] < 0 ? nil : refs[Int(b.ref[i])])
            }
        }
    }

    static func == (a: ReadResult, b: ReadResult) -> Bool {
        // NaN-aware: compare bit patterns of the values.
        func key(_ r: ReadResult) -> [String] {
            r.batches.map { b in "\(b.customer)|\(b.time)|\(b.type)|\(b.value.map(\.bitPattern))|\(b.ref)" }
        }
        return key(a) == key(b) && a.customers == b.customers && a.types == b.types && a.refs == b.refs
            && a.summaryRows == b.summaryRows && a.bad == b.bad
    }
}

func readAll(_ source: EventSource, badRows: BadRowPolicy = .fail, rejects: String? = nil,
             threads: Int? = nil, blockSize: Int? = nil) throws -> ReadResult {
    let reader = EventLogReader(source: source, badRows: badRows, rejectsPath: rejects)
    if let threads { reader.threadCount = threads }
    if let blockSize { reader.blockSize = blockSize }
    var batches: [EventBatch] = []
    let summary = try reader.read { batch in
        // Every index in the batch is already in the dictionaries.
        precondition(batch.customer.allSatisfy { Int($0) < reader.customerIDs.count })
        precondition(batch.type.allSatisfy { Int($0) < reader.eventTypes.count })
        batches.append(batch)
    }
    return ReadResult(batches: batches, customers: reader.customerIDs, types: reader.eventTypes, refs: reader.refs,
                      summaryRows: summary.rows, bad: summary.badRows)
}

/// Error text of `body`'s error.
func errorText(_ body: () throws -> Void) -> String? {
    do { try body() } catch { return "\(error)" }
    return nil
}

final class EventLogTests: XCTestCase {
    let header = "customer_id,timestamp,event_type,value,ref\n"

    func testReadsColumnsAndInternsInFirstAppearanceOrder() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("events.csv", header + """
            b,2025-03-04T10:22:31Z,login,,
            a,2025-03-04,purchase,19.99,order-1
            b,1741083751.5,purchase,5,order-2
            c,2025-03-04T10:22:31+02:00,login,,order-1

            """)
        let r = try readAll(.csv(path: path))
        XCTAssertEqual(r.customers, ["b", "a", "c"])
        XCTAssertEqual(r.types, ["login", "purchase"])
        XCTAssertEqual(r.refs, ["order-1", "order-2"])
        XCTAssertEqual(r.summaryRows, 4)
        XCTAssertEqual(r.batches.count, 1)
        let b = r.batches[0]
        XCTAssertEqual(b.customer, [0, 1, 0, 2])
        XCTAssertEqual(b.type, [0, 1, 1, 0])
        XCTAssertEqual(b.time, [1_741_083_751, 1_741_046_400, 1_741_083_751.5, 1_741_076_551])
        XCTAssertTrue(b.value[0].isNaN)
        XCTAssertEqual(Array(b.value[1...]).map { $0.isNaN ? -1 : $0 }, [19.99, 5, -1])
        XCTAssertEqual(b.ref, [-1, 0, 1, 0])
    }

    func testOptionalColumnsMayBeAbsentAndOtherColumnsAreIgnored() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("events.csv", """
            note,event_type,customer_id,timestamp
            x,login,a,2025-01-01
            "y, z",logout,a,2025-01-02
            """)
        let r = try readAll(.csv(path: path))
        XCTAssertEqual(r.events.map(\.2), ["login", "logout"])
        XCTAssertTrue(r.batches[0].value.allSatisfy(\.isNaN))
        XCTAssertEqual(r.batches[0].ref, [-1, -1])
    }

    func testCRLFByteOrderMarkQuotesAndMissingFinalNewline() throws {
        let dir = try TemporaryDirectory()
        let text = "\u{FEFF}customer_id,timestamp,event_type,value\r\n"
            + "\"a,1\",2025-01-01T00:00:00Z,\"say \"\"hi\"\"\",1.5\r\n"
            + "\r\n"
            + "b,\"2025-01-02\",login,\" 2 \"\r\n"
            + "c,2025-01-03,\"\",3"
        let path = try dir.write("events.csv", text)
        XCTAssertEqual(errorText { _ = try readAll(.csv(path: path)) },
                       "\(path) line 5, column event_type: empty (every row needs one; skip bad rows to drop such rows).")
        let fixed = try dir.write("fixed.csv", text.replacingOccurrences(of: "c,2025-01-03,\"\",3", with: "c,2025-01-03,x,3"))
        let r = try readAll(.csv(path: fixed))
        XCTAssertEqual(r.customers, ["a,1", "b", "c"])
        XCTAssertEqual(r.types, ["say \"hi\"", "login", "x"])
        XCTAssertEqual(r.batches[0].value, [1.5, 2, 3])
        XCTAssertEqual(r.batches[0].time, [1_735_689_600, 1_735_776_000, 1_735_862_400])
    }

    func testRemappedColumnNames() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("events.csv", "user,ts,action,amount,session\nu1,2025-01-01,buy,3,s1\n")
        let mapping = try ColumnMapping(["customer_id": "user", "timestamp": "ts", "event_type": "action", "value": "amount", "ref": "session"])
        let r = try readAll(.csv(path: path, mapping: mapping))
        XCTAssertEqual(r.customers, ["u1"])
        XCTAssertEqual(r.types, ["buy"])
        XCTAssertEqual(r.batches[0].value, [3])
        XCTAssertEqual(r.refs, ["s1"])
        XCTAssertThrowsError(try ColumnMapping(["customer": "user"])) { error in
            XCTAssertEqual("\(error)", "config columns: unknown key 'customer' (expected customer_id, timestamp, event_type, value, ref).")
        }
    }

    func testMissingRequiredColumnListsTheHeader() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("events.csv", "customer_id,time,event_type\na,2025-01-01,x\n")
        XCTAssertEqual(errorText { _ = try readAll(.csv(path: path)) },
                       "\(path): no column 'timestamp' in the header (columns: customer_id, time, event_type).")
        // A renamed optional column must exist; under its default name it may be absent.
        let mapping = ColumnMapping(timestamp: "time", value: "amount")
        XCTAssertEqual(errorText { _ = try readAll(.csv(path: path, mapping: mapping)) },
                       "\(path): no column 'amount' in the header (columns: customer_id, time, event_type).")
    }

    func testDuplicateMappedColumnIsAnError() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("events.csv", "customer_id,timestamp,event_type,timestamp\na,2025-01-01,x,2025-01-02\n")
        XCTAssertEqual(errorText { _ = try readAll(.csv(path: path)) },
                       "\(path): column 'timestamp' is named twice; rename one of them.")
    }

    func testEmptyFileAndHeaderOnlyAreErrors() throws {
        let dir = try TemporaryDirectory()
        let empty = try dir.write("empty.csv", "")
        XCTAssertEqual(errorText { _ = try readAll(.csv(path: empty)) },
                       "\(empty) is empty: expected a header line and at least one row.")
        let headerOnly = try dir.write("header.csv", "\n\(header)\n\n")
        XCTAssertEqual(errorText { _ = try readAll(.csv(path: headerOnly)) },
                       "\(headerOnly) is empty: expected a header line and at least one row.")
        XCTAssertEqual(errorText { _ = try readAll(.csv(path: dir.path + "/nope.csv")) },
                       "cannot read \(dir.path)/nope.csv: No such file or directory.")
    }

    func testBadRowFailsNamingFileLineAndColumnButNotTheCustomer() throws {
        let dir = try TemporaryDirectory()
        let rows = "secret-id,2025-01-01,login,,\n"
        func check(_ bad: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
            // The header is line 1, the blank line 3; the bad row is line 5.
            let path = try dir.write("events.csv", header + rows + "\n" + rows + bad + "\n" + rows)
            let text = errorText { _ = try readAll(.csv(path: path)) }
            XCTAssertEqual(text, "\(path) line 5\(expected)", file: file, line: line)
            XCTAssertFalse(text?.contains("secret") ?? true, file: file, line: line)
        }
        try check("secret-id,2025-13-01,login,,", ", column timestamp: not a date (the month is not 01–12); the cell holds 10 characters that look like a date or time.")
        try check("secret-id,2025-02-29,login,,", ", column timestamp: not a date (the day does not exist in its month); the cell holds 10 characters that look like a date or time.")
        try check("secret-id,yesterday,login,,", ", column timestamp: not a date (expected ISO-8601 or Unix seconds); the cell holds a word of 9 characters.")
        try check("secret-id,,login,,", ", column timestamp: empty (every row needs one; skip bad rows to drop such rows).")
        try check(",2025-01-01,login,,", ", column customer_id: empty (every row needs one; skip bad rows to drop such rows).")
        try check("secret-id,2025-01-01,login,abc,", ", column value: not a number; the cell holds a word of 3 characters.")
        try check("secret-id,2025-01-01,login,nan,", ", column value: not a finite number; the cell holds a word for NaN or infinity.")
        try check("secret-id,2025-01-01,login,1e999,", ", column value: not a finite number; the cell holds a number beyond the range of a double.")
        try check("secret-id,2025-01-01,login,", ": 4 fields, the header has 5.")
        try check("secret-id,2025-01-01,login,,,", ": 6 fields, the header has 5.")
        try check("secret-id,2025-01-01,lo\"gin,,", ", column event_type: misplaced or unbalanced double quote "
                  + "(quote the whole field and double any quote inside it).")
        try check("secret-id,2025-01-01,\"login,,", ", column event_type: misplaced or unbalanced double quote "
                  + "(quote the whole field and double any quote inside it).")
    }

    func testFirstBadRowInFileOrderIsReportedWhateverTheThreads() throws {
        let dir = try TemporaryDirectory()
        var text = header
        for i in 0..<2_000 { text += "c\(i % 37),2025-01-01T00:00:\(String(format: "%02d", i % 60))Z,t\(i % 5),\(i),\n" }
        text += "x,2025-01-01,t,bad1,\n"
        for i in 0..<500 { text += "c\(i),2025-01-02,t,\(i),\n" }
        text += "x,2025-01-01,t,bad2,\n"
        let path = try dir.write("events.csv", text)
        for threads in [1, 2, 4] {
            XCTAssertEqual(errorText { _ = try readAll(.csv(path: path), threads: threads, blockSize: 512) },
                           "\(path) line 2002, column value: not a number; the cell holds 4 characters of text.")
        }
    }

    func testSkipModeCountsReasonsAndWritesRejects() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("events.csv", header + """
            a,2025-01-01,login,,
            a,2025-13-01,login,,
            ,2025-01-01,login,,
            a,2025-01-01,,,
            a,2025-01-01,buy,12x,
            a,2025-01-01,buy
            a,2025-01-01,"buy,1,
            b,2025-01-02,login,,
            b,2025-02-30T00:00:00Z,login,,\r
            """)
        let rejects = dir.path + "/rejects.csv"
        let r = try readAll(.csv(path: path), badRows: .skip, rejects: rejects)
        XCTAssertEqual(r.summaryRows, 2)
        XCTAssertEqual(r.customers, ["a", "b"])
        XCTAssertEqual(r.types, ["login"])
        XCTAssertEqual(r.bad, [.badTimestamp: 2, .emptyCustomerID: 1, .emptyEventType: 1, .badValue: 1, .fieldCount: 1, .badQuotes: 1])
        XCTAssertEqual(try String(contentsOfFile: rejects, encoding: .utf8), """
            line,reason,text
            3,bad timestamp,"a,2025-13-01,login,,"
            4,empty customer_id,",2025-01-01,login,,"
            5,empty event_type,"a,2025-01-01,,,"
            6,bad value,"a,2025-01-01,buy,12x,"
            7,wrong number of fields,"a,2025-01-01,buy"
            8,bad quotes,"a,2025-01-01,""buy,1,"
            10,bad timestamp,"b,2025-02-30T00:00:00Z,login,,"

            """)
        let attributes = try FileManager.default.attributesOfItem(atPath: rejects)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600, "rejects hold customer ids")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["events.csv", "rejects.csv"],
                       "no temporary file left")
    }

    func testFailedReadLeavesNoRejectsFile() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("events.csv", header + "a,2025-01-01,login,,\nb,2025-13-01,login,,\n")
        let rejects = dir.path + "/rejects.csv"
        struct Stop: Error {}
        XCTAssertThrowsError(try EventLogReader(source: .csv(path: path), badRows: .skip, rejectsPath: rejects).read { _ in throw Stop() }) {
            XCTAssertTrue($0 is Stop)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["events.csv"])
    }

    func testGzipIsDetectedByMagicBytesAndEqualsPlain() throws {
        let dir = try TemporaryDirectory()
        var text = "\u{FEFF}" + header
        for i in 0..<20_000 {
            text += "cust\(i * 7919 % 1000),2025-01-\(String(format: "%02d", 1 + i % 28))T10:00:\(String(format: "%02d", i % 60))Z,"
                + "type\(i % 7),\(Double(i) / 8),\(i % 3 == 0 ? "" : "r\(i % 101)")\n"
        }
        let bytes = Array(text.utf8)
        let plain = try dir.write("events.csv", bytes)
        let gz = try dir.writeGzip("events.csv.gz", bytes)
        let disguised = try dir.writeGzip("events-gz.csv", bytes)
        let expected = try readAll(.csv(path: plain), threads: 2, blockSize: 4096)
        XCTAssertEqual(expected.summaryRows, 20_000)
        XCTAssertEqual(try readAll(.csv(path: gz), threads: 2, blockSize: 4096), expected)
        XCTAssertEqual(try readAll(.csv(path: disguised), threads: 1, blockSize: 4096), expected)

        // Two gzip members back to back (`cat a.gz b.gz`) read as one text.
        let half = bytes.count / 2
        let a = try Data(contentsOf: URL(fileURLWithPath: dir.writeGzip("a.gz", Array(bytes[..<half]))))
        let b = try Data(contentsOf: URL(fileURLWithPath: dir.writeGzip("b.gz", Array(bytes[half...]))))
        let joined = try dir.write("joined.csv.gz", Array(a + b))
        XCTAssertEqual(try readAll(.csv(path: joined), threads: 2, blockSize: 4096), expected)

        // A truncated file is an error, not a short read.
        let cut = try dir.write("cut.csv.gz", Array(a.prefix(a.count - 100)))
        XCTAssertEqual(errorText { _ = try readAll(.csv(path: cut)) },
                       "cannot read \(cut): the gzip data end early (truncated file?).")
    }

    func testOutputDoesNotDependOnThreadCountOrBlockSize() throws {
        let dir = try TemporaryDirectory()
        var text = header
        var rng = SystemRandomNumberGenerator()
        var expectedCustomers: [String] = []
        var seen = Set<String>()
        for i in 0..<5_000 {
            let c = "c\(UInt.random(in: 0..<700, using: &rng))" + (i % 50 == 0 ? String(repeating: "-long", count: 8) : "")
            if seen.insert(c).inserted { expectedCustomers.append(c) }
            text += "\(c),\(1_700_000_000 + i),t\(UInt.random(in: 0..<12, using: &rng)),\(i),r\(UInt.random(in: 0..<3000, using: &rng))\n"
            if i % 997 == 0 { text += "\n" }
        }
        let path = try dir.write("events.csv", text)
        let reference = try readAll(.csv(path: path), threads: 1, blockSize: 1 << 20)
        XCTAssertEqual(reference.customers, expectedCustomers, "customers are numbered in order of first appearance")
        XCTAssertEqual(reference.summaryRows, 5_000)
        for threads in [1, 2, 3] {
            // Blocks of a few lines; 40 bytes is shorter than some lines (they must grow the block).
            for blockSize in [40, 1_000, 64 << 10] {
                let r = try readAll(.csv(path: path), threads: threads, blockSize: blockSize)
                let flat = r.batches.reduce(into: EventBatch()) { all, b in
                    all.customer += b.customer; all.time += b.time; all.type += b.type; all.value += b.value; all.ref += b.ref
                }
                let expected = reference.batches[0]
                XCTAssertEqual(flat, expected, "threads \(threads), block \(blockSize)")
                XCTAssertEqual(r.customers, reference.customers)
                XCTAssertEqual(r.types, reference.types)
                XCTAssertEqual(r.refs, reference.refs)
                // Same blocks give the same batches whatever the thread count.
                if threads > 1 {
                    XCTAssertEqual(r, try readAll(.csv(path: path), threads: 1, blockSize: blockSize))
                }
            }
        }
    }

    func testSameFileGivesSameIndicesEveryTime() throws {
        let dir = try TemporaryDirectory()
        var text = header
        for i in 0..<3_000 { text += "id-\((i * 7_919) % 1_009),\(i),type-\((i * 31) % 17),,\n" }
        let path = try dir.write("events.csv", text)
        let first = try readAll(.csv(path: path), threads: 2, blockSize: 2_000)
        for _ in 0..<3 { XCTAssertEqual(try readAll(.csv(path: path), threads: 2, blockSize: 2_000), first) }
        XCTAssertEqual(first.customers.count, 1_009)
        XCTAssertEqual(first.customers.prefix(3), ["id-0", "id-856", "id-703"])
    }

    func testManyDistinctLongKeysSurviveTableGrowth() throws {
        let dir = try TemporaryDirectory()
        var text = header
        for i in 0..<30_000 { text += "customer-with-a-long-identifier-\(i % 12_000),\(i),t,,ref-\(i)\n" }
        let path = try dir.write("events.csv", text)
        let r = try readAll(.csv(path: path), threads: 2, blockSize: 50_000)
        XCTAssertEqual(r.customers.count, 12_000)
        XCTAssertEqual(r.refs.count, 30_000)
        let events = r.events
        for i in stride(from: 0, to: 30_000, by: 1_234) {
            XCTAssertEqual(events[i].0, "customer-with-a-long-identifier-\(i % 12_000)")
            XCTAssertEqual(events[i].4, "ref-\(i)")
        }
    }

    func testBodyErrorStopsTheRead() throws {
        let dir = try TemporaryDirectory()
        var text = header
        for i in 0..<10_000 { text += "c\(i % 10),\(i),t,,\n" }
        let path = try dir.write("events.csv", text)
        struct Stop: Error {}
        var calls = 0
        let reader = EventLogReader(source: .csv(path: path))
        reader.threadCount = 2
        reader.blockSize = 1_000
        XCTAssertThrowsError(try reader.read { _ in calls += 1; if calls == 3 { throw Stop() } })
        XCTAssertEqual(calls, 3)
    }
}
