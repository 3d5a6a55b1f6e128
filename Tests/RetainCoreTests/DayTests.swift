import XCTest
@testable import RetainCore

final class DayTests: XCTestCase {
    func testCivilDateRoundTripsEveryDayFrom1900To2200() {
        let first = CivilDate.daysSinceEpoch(year: 1900, month: 1, day: 1)
        let last = CivilDate.daysSinceEpoch(year: 2200, month: 12, day: 31)
        var expected = CivilDate(year: 1900, month: 1, day: 1)
        for z in first...last {
            let date = CivilDate(daysSinceEpoch: z)
            XCTAssertEqual(date, expected, "day \(z)")
            XCTAssertEqual(date.daysSinceEpoch, z)
            XCTAssertTrue(date.isValid)
            // Step the expected date by one calendar day.
            if expected.day < CivilDate.daysInMonth(year: expected.year, month: expected.month) {
                expected.day += 1
            } else if expected.month < 12 {
                expected.month += 1; expected.day = 1
            } else {
                expected.year += 1; expected.month = 1; expected.day = 1
            }
        }
        XCTAssertEqual(expected, CivilDate(year: 2201, month: 1, day: 1))
    }

    func testKnownDayNumbers() {
        XCTAssertEqual(CivilDate.daysSinceEpoch(year: 1970, month: 1, day: 1), 0)
        XCTAssertEqual(CivilDate.daysSinceEpoch(year: 1969, month: 12, day: 31), -1)
        XCTAssertEqual(CivilDate.daysSinceEpoch(year: 2025, month: 1, day: 1), 20089)
        XCTAssertEqual(CivilDate.daysSinceEpoch(year: 2000, month: 3, day: 1), 11017)
        XCTAssertEqual(CivilDate(daysSinceEpoch: -719_468), CivilDate(year: 0, month: 3, day: 1))
    }

    func testLeapYearsFollowTheGregorianRule() {
        XCTAssertTrue(CivilDate.isLeapYear(2024))
        XCTAssertTrue(CivilDate.isLeapYear(2000))
        XCTAssertFalse(CivilDate.isLeapYear(1900))
        XCTAssertFalse(CivilDate.isLeapYear(2100))
        XCTAssertFalse(CivilDate.isLeapYear(2025))
        XCTAssertEqual(CivilDate.daysInMonth(year: 2024, month: 2), 29)
        XCTAssertEqual(CivilDate.daysInMonth(year: 1900, month: 2), 28)
        XCTAssertEqual(CivilDate.daysInMonth(year: 2000, month: 2), 29)
        XCTAssertEqual(CivilDate.daysInMonth(year: 2025, month: 4), 30)
        XCTAssertNotNil(Day(year: 2024, month: 2, day: 29))
        XCTAssertNil(Day(year: 2100, month: 2, day: 29))
        // Days per year over four centuries: 97 leap years in 400.
        let span = CivilDate.daysSinceEpoch(year: 2400, month: 1, day: 1) - CivilDate.daysSinceEpoch(year: 2000, month: 1, day: 1)
        XCTAssertEqual(span, 400 * 365 + 97)
    }

    func testParsingAcceptsRealDatesOnly() throws {
        let day = try Day(parsing: "2025-10-28")
        XCTAssertEqual(day.unixSeconds, 1_761_609_600)
        XCTAssertEqual(day.description, "2025-10-28")
        XCTAssertEqual(day.civil, CivilDate(year: 2025, month: 10, day: 28))
        XCTAssertEqual(try Day(parsing: "2024-02-29").description, "2024-02-29")
        for bad in ["2025-13-01", "2025-02-29", "2025-00-10", "2025-01-00", "25-1-1", "2025-1-01", "2025/01/01", "+025-01-01", "2025-01-01T00:00"] {
            XCTAssertThrowsError(try Day(parsing: bad), bad) { error in
                XCTAssertEqual(error as? DayError, .notADate(bad))
                XCTAssertEqual("\(error)", "'\(bad)' is not a date: expected YYYY-MM-DD, e.g. 2025-10-28.")
            }
        }
    }

    func testDayContainingAnInstantRoundsDown() {
        XCTAssertEqual(Day(containing: 0).description, "1970-01-01")
        XCTAssertEqual(Day(containing: -1).description, "1969-12-31")
        XCTAssertEqual(Day(containing: 1_761_609_600 + 86_399.5).description, "2025-10-28")
    }

    func testArithmeticAndWeekday() throws {
        let day = try Day(parsing: "2025-01-01")
        XCTAssertEqual(day.weekday, 2, "2025-01-01 is a Wednesday")
        XCTAssertEqual((day + 59).description, "2025-03-01")
        XCTAssertEqual((day - 1).description, "2024-12-31")
        XCTAssertEqual(try Day(parsing: "2025-03-01") - day, 59)
        XCTAssertEqual(Day(daysSinceEpoch: -4).weekday, 6, "1969-12-28 is a Sunday")
        XCTAssertLessThan(day, day + 1)
    }
}
