import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainNumerics
@testable import RetainFeatures

/// Cohort triangles from hand-made event logs.
final class CohortTableTests: XCTestCase {
    /// a: first event January, active Jan, Feb, Apr, buys 30 in February; b: January only;
    /// c: first event February, active Feb, Mar, buys 50 in March. The log covers Jan–Apr.
    static let rows = """
        customer_id,timestamp,event_type,value,ref
        a,2025-01-10T10:00:00Z,login,,
        b,2025-01-20T10:00:00Z,login,,
        a,2025-02-20T10:00:00Z,purchase,30,
        c,2025-02-05T10:00:00Z,login,,
        c,2025-03-07T10:00:00Z,order_paid,50,
        a,2025-04-02T10:00:00Z,login,,

        """

    func table(signups: String? = nil, by: KPIGranularity = .month) throws -> CohortTable {
        let files = try KPITestFiles()
        let events = try files.write("events.csv", Self.rows)
        let customers = try signups.map { try Customers.read(path: try files.write("customers.csv", $0)) }
        var roles = RoleMap()
        roles.map("order_paid", to: .purchase)
        return try CohortPipeline.build(reader: EventLogReader(source: .csv(path: events)), granularity: by,
                                        roles: roles, customers: customers).table
    }

    func testFirstActivityCohortsCountActiveCustomersPerMonthSince() throws {
        let t = try table()
        XCTAssertEqual(t.basis, .firstActivity)
        XCTAssertEqual(t.cohorts.map(\.label), ["2025-01", "2025-02"])
        XCTAssertEqual(t.cohorts.map(\.size), [2, 1])
        XCTAssertEqual(t.cohorts[0].active, [2, 1, 0, 1])
        XCTAssertEqual(t.cohorts[0].activePercent, [100, 50, 0, 50])
        XCTAssertEqual(t.cohorts[1].active, [1, 1, 0])
        XCTAssertEqual(t.columns, 4)
    }

    func testRevenueCohortsUseThePurchaseRoleAndDivideByCohortSize() throws {
        let t = try table()
        XCTAssertEqual(t.cohorts[0].revenue, [0, 30, 0, 0])
        XCTAssertEqual(t.cohorts[0].revenuePerCustomer, [0, 15, 0, 0])
        XCTAssertEqual(t.cohorts[1].revenue, [0, 50, 0])
    }

    func testSignupCohortsLeaveMonthsBeforeTheLogEmpty() throws {
        // a signed up in December 2024 (before the log); z signed up in March and never came.
        let t = try table(signups: "customer_id,signup_date\na,2024-12-15\nz,2025-03-02\n")
        XCTAssertEqual(t.basis, .signupOrFirstActivity)
        XCTAssertEqual(t.cohorts.map(\.label), ["2024-12", "2025-01", "2025-02", "2025-03"])
        XCTAssertEqual(t.cohorts[0].active, [nil, 1, 1, 0, 1])
        XCTAssertEqual(t.cohorts[1].active, [1, 0, 0, 0])   // b
        XCTAssertEqual(t.cohorts[3].size, 1)
        XCTAssertEqual(t.cohorts[3].active, [0, 0])
    }

    func testCSVHasOneBlockPerMeasureAndEmptyUnobservedCells() throws {
        let csv = try table(signups: "customer_id,signup_date\na,2024-12-15\n").csv(metric: .active)
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[0], "cohort,customers,measure,m0,m1,m2,m3,m4")
        XCTAssertEqual(lines[1], "2024-12,1,active,,1,1,0,1")
        XCTAssertEqual(lines[2], "2025-01,1,active,1,0,0,0,")
        XCTAssertTrue(lines.contains("2024-12,1,active_pct,,100.00,100.00,0.00,100.00"), csv)
        let revenue = try table().csv(metric: .revenue)
        XCTAssertTrue(revenue.contains("2025-01,2,revenue_per_customer,0.00,15.00,0.00,0.00\n"), revenue)
    }

    func testWeeklyCohortsStartOnMonday() throws {
        let t = try table(by: .week)
        XCTAssertEqual(t.cohorts.first?.label, "2025-01-06")
        XCTAssertEqual(t.cohorts.first?.active.first, 1)
    }

    func testUnsortedLogsWidenTheBucketRange() throws {
        // The first event read is the latest: the bucket range grows backwards.
        var acc = CohortAccumulator(granularity: .month)
        acc.setEventTypes(["login"])
        let t0 = try Timestamp.parse("2027-06-01").get()
        let times = [t0, t0 - 800 * 86_400, t0 - 30 * 86_400, t0 - 3000 * 86_400]
        acc.add(EventBatch(customer: [0, 0, 1, 1], time: times, type: [0, 0, 0, 0], value: [.nan, .nan, .nan, .nan], ref: [-1, -1, -1, -1]))
        let t = acc.finish(customerIDs: ["p", "q"])
        XCTAssertEqual(t.cohorts.map(\.size), [1, 1])
        XCTAssertEqual(t.cohorts[0].active.compactMap { $0 }.reduce(0, +), 2)
        XCTAssertEqual(t.cohorts[0].active.dropLast().last, 1)   // q in 2027-05
        XCTAssertEqual(t.cohorts[1].active.first, 1)       // p's first month
        XCTAssertEqual(t.cohorts[1].active.last, 1)        // p in 2027-06
    }
}
