import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainNumerics
@testable import RetainFeatures

/// A temporary directory for the KPI and cohort tests, removed on deinit.
final class KPITestFiles {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "retain-kpi-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` and returns the path.
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }
}

/// KPIs computed from hand-made event logs (temporary CSV files) through the reader.
final class KPIAccumulatorTests: XCTestCase {
    static let header = "customer_id,timestamp,event_type,value,ref\n"

    /// Customers a, b, c, d (e is lost before the period, f acts after it); March and April 2025.
    ///
    /// Base with 30 inactive days: a (last event 04-21) and b (last 02-26, lost 03-28) are in it
    /// on 03-01; c joins 03-15 and is lost 04-19; d joins 04-02.
    static let rows = """
        e,2025-01-01T10:00:00Z,login,,
        b,2025-01-05T10:00:00Z,login,,
        a,2025-01-10T10:00:00Z,login,,
        b,2025-02-10T10:00:00Z,login,,
        a,2025-02-25T10:00:00Z,event_registration,,ev1
        b,2025-02-26T10:00:00Z,event_registration,,ev1
        a,2025-03-02T09:00:00Z,ticket_opened,,T1
        a,2025-03-02T10:00:00Z,contact,300,T1
        a,2025-03-03T09:00:00Z,ticket_resolved,,T1
        a,2025-03-03T12:00:00Z,event_attendance,,ev1
        a,2025-03-05T09:00:00Z,ticket_opened,,T2
        a,2025-03-05T10:00:00Z,contact,100,T2
        a,2025-03-06T10:00:00Z,contact,200,T2
        a,2025-03-07T09:00:00Z,ticket_resolved,,T2
        a,2025-03-08T10:00:00Z,session,100,S1
        a,2025-03-08T10:00:00Z,view_home,,S1
        a,2025-03-08T10:01:00Z,view_home,,S1
        a,2025-03-08T10:02:00Z,view_pricing,,S1
        a,2025-03-09T10:00:00Z,session,300,S2
        a,2025-03-09T10:00:00Z,view_pricing,,S2
        a,2025-03-10T10:00:00Z,nps,9,
        a,2025-03-10T10:00:01Z,nps,10,
        a,2025-03-10T10:00:02Z,nps,9,
        a,2025-03-10T10:00:03Z,nps,7,
        a,2025-03-10T10:00:04Z,nps,3,
        a,2025-03-10T10:00:05Z,nps,11,
        a,2025-03-11T10:00:00Z,like,,
        a,2025-03-11T10:00:01Z,share,,
        a,2025-03-11T10:00:02Z,comment,,
        c,2025-03-15T10:00:00Z,purchase,30,
        c,2025-03-20T10:00:00Z,purchase,20,
        a,2025-04-01T08:00:00Z,email_sent,,cmp1
        d,2025-04-01T08:00:00Z,email_sent,,cmp1
        a,2025-04-02T08:00:00Z,email_sent,,cmp1
        a,2025-04-03T08:00:00Z,email_sent,,cmp1
        a,2025-04-04T08:00:00Z,email_sent,,cmp1
        a,2025-04-05T08:00:00Z,email_sent,,cmp1
        a,2025-04-06T08:00:00Z,email_sent,,cmp1
        a,2025-04-07T08:00:00Z,email_sent,,cmp1
        a,2025-04-08T08:00:00Z,email_sent,,cmp1
        a,2025-04-09T08:00:00Z,email_sent,,cmp1
        d,2025-04-02T09:00:00Z,email_open,,cmp1
        d,2025-04-02T10:00:00Z,email_click,,cmp1
        d,2025-04-03T10:00:00Z,purchase,40,
        a,2025-04-05T12:00:00Z,email_open,,cmp1
        a,2025-04-06T12:00:00Z,email_open,,cmp1
        a,2025-04-20T10:00:00Z,purchase,10,
        a,2025-04-21T10:00:00Z,email_click,,cmp1
        f,2025-05-10T10:00:00Z,purchase,99,

        """

    func date(_ s: String) -> Double { try! Timestamp.parse(s).get() }  // literal dates

    func spec(by: KPIGranularity? = .month, churn: ChurnDefinition = .inactivity, followers: Double? = 40,
              from: String = "2025-03-01", to: String = "2025-05-01", conversion: String? = nil) throws -> KPISpec {
        var roles = RoleMap()
        roles.map("view_home", to: .pageView)
        roles.map("view_pricing", to: .pageView)
        return try KPISpec(roles: roles, from: date(from), to: date(to), by: by, churn: churn, inactiveDays: 30,
                           conversionEventType: conversion, followers: followers)
    }

    func report(_ text: String, _ spec: KPISpec, signups: String? = nil) throws -> KPIReport {
        let files = try KPITestFiles()
        let events = try files.write("events.csv", Self.header + text)
        let customers = try signups.map { try Customers.read(path: try files.write("customers.csv", $0)) }
        return try KPIPipeline.compute(reader: EventLogReader(source: .csv(path: events)), spec: spec, customers: customers).report
    }

    func assertValue(_ p: KPIPeriod, _ kpi: KPI, _ expected: Double, file: StaticString = #filePath, line: UInt = #line) {
        guard let v = p[kpi] else { return XCTFail("\(kpi.rawValue) is nil", file: file, line: line) }
        XCTAssertEqual(v, expected, accuracy: 1e-9, kpi.rawValue, file: file, line: line)
    }

    func testCustomerBaseCountsStartNewLostAndEnd() throws {
        let r = try report(Self.rows, spec())
        XCTAssertEqual(r.periods.count, 2)
        let (march, april) = (r.periods[0], r.periods[1])
        for (p, values) in [(march, [2.0, 1, 1, 2]), (april, [2, 1, 1, 2]), (r.total, [2, 2, 2, 2])] {
            assertValue(p, .customersAtStart, values[0])
            assertValue(p, .newCustomers, values[1])
            assertValue(p, .lostCustomers, values[2])
            assertValue(p, .customersAtEnd, values[3])
        }
        assertValue(march, .churnRate, 50)
        assertValue(march, .retentionRate, 50)
        assertValue(r.total, .churnRate, 100)
        assertValue(r.total, .retentionRate, 0)
        assertValue(march, .activeCustomers, 2)   // a, c
        assertValue(april, .activeCustomers, 2)   // a, d
        assertValue(r.total, .activeCustomers, 3)
        XCTAssertEqual(r.eventsRead, 49)
    }

    func testEndEqualsStartPlusNewMinusLostSoRetentionIsHundredMinusChurn() throws {
        let r = try report(Self.rows, spec(by: .week))
        var at = try XCTUnwrap(r.total[.customersAtStart])
        for p in r.periods {
            XCTAssertEqual(p[.customersAtStart], at)
            at += p[.newCustomers]! - p[.lostCustomers]!  // counts are always present
            XCTAssertEqual(p[.customersAtEnd], at)
            if let churn = p[.churnRate] { XCTAssertEqual(p[.retentionRate]!, 100 - churn, accuracy: 1e-9) }
        }
        XCTAssertEqual(r.total[.customersAtEnd], at)
    }

    func testSurveysEmailSocialAndCommerceOnAHandMadeLog() throws {
        let r = try report(Self.rows, spec())
        let (march, april) = (r.periods[0], r.periods[1])
        // NPS: 3 promoters, 1 passive, 1 detractor (the 11 is ignored): 40.
        assertValue(march, .promoters, 3); assertValue(march, .passives, 1); assertValue(march, .detractors, 1)
        assertValue(march, .nps, 40)
        XCTAssertNil(april[.nps])
        // Email in April: 10 sends, 3 opens, 2 clicks; d bought after clicking, a before.
        assertValue(april, .openRate, 30)
        assertValue(april, .clickThroughRate, 20)
        assertValue(april, .clickers, 2)
        assertValue(april, .conversionRate, 50)
        assertValue(r.total, .conversionRate, 50)
        // Social: 3 interactions / 40 followers.
        assertValue(march, .socialEngagementRate, 7.5)
        // Commerce: March c 30 + 20; April d 40, a 10.
        assertValue(march, .averageOrderValue, 25); assertValue(march, .purchaseFrequency, 2)
        assertValue(march, .repeatPurchaseRate, 100)
        assertValue(april, .purchasingCustomers, 2); assertValue(april, .repeatPurchaseRate, 0)
        assertValue(r.total, .purchases, 4); assertValue(r.total, .revenue, 100)
        assertValue(r.total, .purchasingCustomers, 3)
        assertValue(r.total, .repeatPurchaseRate, 100.0 / 3)
        // CLV: March churn 50 % → lifespan 2 months; 25 × 2 × 2. Whole period: churn 100 %, 25 × 4/3 × 1.
        assertValue(march, .lifespan, 2); assertValue(march, .clv, 100)
        assertValue(r.total, .clv, 100.0 / 3)
    }

    func testSessionsTicketsAndLiveEventsArePairedByRef() throws {
        let r = try report(Self.rows, spec())
        let march = r.periods[0]
        assertValue(march, .sessions, 2); assertValue(march, .meanSessionDuration, 200)
        assertValue(march, .pageViewSessions, 2); assertValue(march, .pageViews, 4)
        assertValue(march, .bounceRate, 50); assertValue(march, .pagesPerSession, 2)
        XCTAssertEqual(march.exitRates, ["view_home": 0, "view_pricing": 100])
        // T1: 1 day, one contact (first-contact resolution); T2: 2 days, two contacts.
        assertValue(march, .meanResolutionTime, 1.5 * 86_400)
        assertValue(march, .firstContactResolutionRate, 50)
        assertValue(march, .averageHandleTime, 200)
        // ev1 (attended 03-03): both February registrations count in March.
        assertValue(march, .eventRegistrations, 2); assertValue(march, .eventAttendance, 1)
        assertValue(march, .attendanceRate, 50)
    }

    func testMissingRolesAreReportedWithTheRoleToMap() throws {
        let r = try report(Self.rows, spec(followers: nil))
        XCTAssertEqual(r.reason(.csat), "no csat events in the log (map one with --role csat=TYPE)")
        XCTAssertEqual(r.reason(.ces), "no ces events in the log (map one with --role ces=TYPE)")
        XCTAssertEqual(r.reason(.unsubscribeRate), "no email_unsubscribe events in the log (map one with --role email_unsubscribe=TYPE)")
        XCTAssertEqual(r.reason(.socialEngagementRate), "needs the audience size: give --followers N")
        XCTAssertNil(r.reason(.nps))
        for p in [r.total] + r.periods {
            XCTAssertNil(p[.csat]); XCTAssertNil(p[.unsubscribeRate]); XCTAssertNil(p[.socialEngagementRate])
            XCTAssertEqual(p[.csatResponses], 0)
        }
    }

    func testPageIdentityAndConversionTypeAreExplainedWhenAbsent() throws {
        let rows = Self.rows.replacingOccurrences(of: "view_home", with: "page_view").replacingOccurrences(of: "view_pricing", with: "page_view")
        let r = try report(rows, spec(conversion: "signup_complete"))
        XCTAssertEqual(r.reason(.exitRate)?.hasPrefix("the page views carry no page identity"), true)
        XCTAssertEqual(r.reason(.conversionRate), "no 'signup_complete' events (the --conversion event type) in the log")
        XCTAssertNotNil(r.total[.bounceRate])
        XCTAssertTrue(r.periods.allSatisfy { $0.exitRates.isEmpty && $0[.conversionRate] == nil })
    }

    func testShuffledEventsGiveTheSameReport() throws {
        let lines = Self.rows.split(separator: "\n")
        var rng = SystemRandomNumberGenerator()
        let shuffled = lines.shuffled(using: &rng).joined(separator: "\n") + "\n"
        XCTAssertEqual(try report(shuffled, spec()), try report(Self.rows, spec()))
    }

    func testSignupDatesPlaceAcquisitionsAndSignupOnlyCustomers() throws {
        // b signed up long before; g signed up 02-15 with no event: in the base on 03-01, lost 03-17.
        let signups = "customer_id,signup_date\nb,2024-06-01\ng,2025-02-15\nh,2025-04-10\n"
        let r = try report(Self.rows, spec(), signups: signups)
        let (march, april) = (r.periods[0], r.periods[1])
        assertValue(march, .customersAtStart, 3)
        assertValue(march, .lostCustomers, 2)
        assertValue(april, .newCustomers, 2)   // d and h
        assertValue(april, .lostCustomers, 1)  // c
        assertValue(r.total, .customersAtEnd, 3)   // a, d, h (h lost 05-10)
    }

    func testCancellationChurnLosesCustomersAtTheirLastCancel() throws {
        let rows = """
            x,2025-01-01T00:00:00Z,subscription_start,9.99,
            y,2025-01-05T00:00:00Z,subscription_start,9.99,
            y,2025-02-01T00:00:00Z,subscription_cancel,,
            y,2025-02-10T00:00:00Z,subscription_start,9.99,
            x,2025-03-10T00:00:00Z,subscription_cancel,,
            z,2025-03-03T00:00:00Z,login,,

            """
        let r = try report(rows, spec(by: nil, churn: .cancellation))
        assertValue(r.total, .customersAtStart, 2)
        assertValue(r.total, .newCustomers, 1)
        assertValue(r.total, .lostCustomers, 1)
        assertValue(r.total, .churnRate, 50)
        assertValue(r.total, .subscriptionCancels, 1)
        XCTAssertTrue(r.periods.isEmpty)

        let none = try report("x,2025-01-01T00:00:00Z,login,,\nx,2025-03-03T00:00:00Z,login,,\n", spec(churn: .cancellation))
        XCTAssertEqual(none.reason(.churnRate)?.hasPrefix("churn is defined by cancellation but the log has no subscription_cancel events"), true)
        XCTAssertTrue(none.periods.allSatisfy { $0[.churnRate] == nil })
    }

    func testNoCustomersBeforeTheLogStartsIsExplainedAndWarned() throws {
        let r = try report(Self.rows, spec(from: "2025-01-01", to: "2025-03-01"))
        XCTAssertEqual(r.reason(.churnRate)?.hasPrefix("no customers in the base at 2025-01-01"), true)
        XCTAssertNil(r.periods[0][.churnRate])
        XCTAssertNotNil(r.periods[1][.churnRate])
        XCTAssertTrue(r.warnings.contains { $0.hasPrefix("the log starts on 2025-01-01") })
    }

    func testInvalidSpecIsRejectedWithAMessage() {
        XCTAssertThrowsError(try spec(from: "2025-05-01", to: "2025-03-01")) {
            XCTAssertEqual("\($0)", "the period is empty: its start 2025-05-01 must be before its end 2025-03-01.")
        }
        XCTAssertThrowsError(try spec(followers: 0)) {
            XCTAssertEqual("\($0)", "the follower count must be a positive number, got 0.0.")
        }
    }
}
