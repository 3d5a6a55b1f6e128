import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest

final class CustomersTests: XCTestCase {
    func testReadsSignupDatesAndKeepsOtherAttributesAsText() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("customers.csv", """
            customer_id,signup_date,plan,country,email\r
            C1,2025-06-13,premium,GB,c1@example.com\r
            C2,,basic,NL,"c2,x@example.com"\r
            C3,2024-09-19T12:00:00Z,basic,,007\r

            """)
        let c = try Customers.read(path: path)
        XCTAssertEqual(c.ids, ["C1", "C2", "C3"])
        XCTAssertEqual(c.signup[0], 1_749_772_800)
        XCTAssertTrue(c.signup[1].isNaN)
        XCTAssertEqual(c.signup[2], 1_726_747_200)
        XCTAssertEqual(c.attributeNames, ["plan", "country", "email"])
        XCTAssertEqual(c.attribute("email"), ["c1@example.com", "c2,x@example.com", "007"])
        XCTAssertEqual(c.attribute("country"), ["GB", "NL", ""])
        XCTAssertEqual(c.signups, ["C1": 1_749_772_800, "C3": 1_726_747_200])
    }

    func testSignupColumnIsOptionalAndGzipWorks() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.writeGzip("customers.csv.gz", Array("email,customer_id\na@x,1\nb@x,2".utf8))
        let c = try Customers.read(path: path)
        XCTAssertEqual(c.ids, ["1", "2"])
        XCTAssertTrue(c.signup.allSatisfy(\.isNaN))
        XCTAssertEqual(c.attribute("email"), ["a@x", "b@x"])
    }

    func testErrorsNameLineAndColumnButNoCustomerID() throws {
        let dir = try TemporaryDirectory()
        func error(_ text: String) throws -> String? {
            let path = try dir.write("customers.csv", text)
            return errorText { _ = try Customers.read(path: path) }?.replacingOccurrences(of: path, with: "customers.csv")
        }
        XCTAssertEqual(try error("customer_id,signup_date\nsecret,2025-02-29\n"),
                       "customers.csv line 2, column signup_date: not a date (the day does not exist in its month); the cell holds 10 characters that look like a date or time.")
        XCTAssertEqual(try error("customer_id,signup_date\nsecret,2025-01-01\nother,2025-01-01\nsecret,2025-01-02\n"),
                       "customers.csv line 4: the customer_id of line 2 appears again; keep one row per customer.")
        XCTAssertEqual(try error("customer_id,plan\nsecret,a,b\n"), "customers.csv line 2: 3 fields, the header has 2.")
        XCTAssertEqual(try error("customer_id,plan\n,a\n"),
                       "customers.csv line 2, column customer_id: empty (every row needs one; skip bad rows to drop such rows).")
        XCTAssertEqual(try error("id,plan\nsecret,a\n"), "customers.csv: no column 'customer_id' in the header (columns: id, plan).")
        XCTAssertEqual(try error("customer_id,plan\n"), "customers.csv is empty: expected a header line and at least one row.")
    }
}
