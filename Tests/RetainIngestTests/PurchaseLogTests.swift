import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest

/// Purchase events → one transaction per customer and UTC day (the CLV models' input), from event
/// logs and from the CDNOW files; transactions checked by hand and against the published counts.
final class PurchaseLogTests: XCTestCase {
    static let cdnowDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("datasets/cdnow").path

    private var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "retain-purchaselog-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    private func file(_ name: String, _ text: String) throws -> String {
        let path = dir + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func day(_ y: Int, _ m: Int, _ d: Int) -> Double { Double(Timestamp.daysFromCivil(year: y, month: m, day: d)) }

    func testSameDayPurchasesBecomeOneTransactionWithSummedValueAndOtherTypesAreIgnored() throws {
        let path = try file("events.csv", """
            customer_id,timestamp,event_type,value
            b,2025-03-05T09:00:00Z,order,20
            a,2025-03-04T10:00:00Z,order,5
            a,2025-03-04T18:30:00Z,order,7.5
            a,2025-03-04T11:00:00Z,session,300
            c,2025-03-06,session,60
            b,2025-03-01T12:00:00Z,order,
            a,2025-03-10,order,2

            """)
        var roles = RoleMap()
        try roles.parse(assignment: "purchase=order")
        let (log, ingest) = try PurchaseLog.read(EventLogReader(source: .csv(path: path)), roles: roles)
        XCTAssertEqual(ingest.rows, 7)
        XCTAssertEqual(log.customerIDs, ["b", "a", "c"])
        // Ordered by customer index, then day; b's purchases arrive out of time order.
        XCTAssertEqual(log.customer, [0, 0, 1, 1])
        XCTAssertEqual(log.day, [day(2025, 3, 1), day(2025, 3, 5), day(2025, 3, 4), day(2025, 3, 10)])
        XCTAssertEqual(log.value, [0, 20, 12.5, 2])
        XCTAssertEqual(log.purchaseTypes, ["order"])
        XCTAssertEqual(log.eventTypes, ["order", "session"])
        XCTAssertEqual(log.eventCount, 7)
        XCTAssertEqual(log.purchaseCount, 5)
        XCTAssertEqual(log.missingValues, 1)
        XCTAssertEqual(log.eventDays, day(2025, 3, 1)...day(2025, 3, 10))
    }

    func testDaysAreUTCDaysAfterApplyingTheOffset() throws {
        let path = try file("events.csv", """
            customer_id,timestamp,event_type,value
            a,2025-03-04T23:30:00-02:00,purchase,1
            a,2025-03-05T00:10:00Z,purchase,2
            a,2025-03-05T01:00:00+03:00,purchase,4

            """)
        let (log, _) = try PurchaseLog.read(EventLogReader(source: .csv(path: path)), roles: RoleMap())
        // 01:30Z and 00:10Z on the 5th are one day; 22:00Z on the 4th is the day before.
        XCTAssertEqual(log.day, [day(2025, 3, 4), day(2025, 3, 5)])
        XCTAssertEqual(log.value, [4, 3])
        XCTAssertEqual(log.purchaseTypes, ["purchase"])
    }

    func testLogWithoutPurchaseRoleHasNoTransactionsButKeepsItsTypes() throws {
        let path = try file("events.csv", "customer_id,timestamp,event_type\na,2025-01-01,login\nb,2025-01-02,session\n")
        let (log, _) = try PurchaseLog.read(EventLogReader(source: .csv(path: path)), roles: RoleMap())
        XCTAssertEqual(log.count, 0)
        XCTAssertEqual(log.purchaseTypes, [])
        XCTAssertEqual(log.eventTypes, ["login", "session"])
        XCTAssertEqual(log.eventCount, 2)
    }

    func testCDNOWSampleHasThePublishedCustomersPurchasesAndTransactionDays() throws {
        let log = try CDNOW.read(path: Self.cdnowDirectory + "/CDNOW_sample.txt")
        XCTAssertEqual(log.customerIDs.count, 2357)                       // datasets/cdnow/README.md
        XCTAssertEqual(log.purchaseCount, 6919)
        XCTAssertEqual(log.customerIDs.first, "0001")                     // the sample id, not the master id 00004
        XCTAssertEqual(log.count, 6696)                                   // distinct (customer, day) pairs
        XCTAssertEqual(log.day.first, day(1997, 1, 1))
        XCTAssertEqual(log.value.prefix(3), [29.33, 29.73, 14.96])
        XCTAssertEqual(log.eventDays, day(1997, 1, 1)...day(1998, 6, 30))
        XCTAssertEqual(log.missingValues, 0)
    }

    func testCDNOWMasterWithHeaderHasThePublishedCustomersAndPurchases() throws {
        let log = try CDNOW.read(path: Self.cdnowDirectory + "/CDNOW_master.txt")
        XCTAssertEqual(log.customerIDs.count, 23570)
        XCTAssertEqual(log.purchaseCount, 69659)
        XCTAssertEqual(log.customerIDs.prefix(2), ["00001", "00002"])
        // Customer 00002 bought twice on 1997-01-12 (12.00 + 77.00): one transaction.
        XCTAssertEqual(log.value[1], 89, accuracy: 1e-9)
    }

    func testCDNOWReaderNamesLineAndColumnOfABadDateOrValue() throws {
        let badDate = try file("bad.txt", " 00001 19970101  1   11.77\n 00002 19971301  1   12.00\n")
        XCTAssertThrowsError(try CDNOW.read(path: badDate)) { e in
            XCTAssertEqual("\(e)", "\(badDate) line 2, column date: not a date (the month is not 01–12); the cell holds 8 characters that look like a number.")
        }
        let badValue = try file("bad2.txt", " 00001 19970101  1   11.77\r\n 00002 19970102  1   $12\r\n")
        XCTAssertThrowsError(try CDNOW.read(path: badValue)) { e in
            XCTAssertEqual("\(e)", "\(badValue) line 2, column dollar value: not a number; the cell holds 3 characters of text.")
        }
        let ragged = try file("bad3.txt", " 00001 19970101  1   11.77\n 00002 19970102  1\n")
        XCTAssertThrowsError(try CDNOW.read(path: ragged)) { e in
            XCTAssertEqual("\(e)", "\(ragged) line 2: 3 fields, the header has 4.")
        }
    }
}
