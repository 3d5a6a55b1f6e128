import XCTest
@testable import RetainCore
@testable import RetainIO

/// Timestamp text → Unix seconds. Expected values are from Python's
/// `datetime.fromisoformat(s).timestamp()` (with `Z` → `+00:00`).
final class TimestampTests: XCTestCase {
    func seconds(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Double? {
        switch Timestamp.parse(text) {
        case let .success(t): return t
        case let .failure(problem):
            XCTFail("'\(text)' rejected: \(problem.explanation)", file: file, line: line)
            return nil
        }
    }

    func problem(_ text: String) -> TimestampProblem? {
        if case let .failure(p) = Timestamp.parse(text) { return p }
        return nil
    }

    func testDateIsMidnightUTC() {
        XCTAssertEqual(seconds("2025-03-04"), 1_741_046_400)
        XCTAssertEqual(seconds("1970-01-01"), 0)
        XCTAssertEqual(seconds("1969-12-31"), -86_400)
        XCTAssertEqual(seconds("2000-02-29"), 951_782_400)
        XCTAssertEqual(seconds("2024-02-29"), 1_709_164_800)
    }

    func testDateTimeWithZ() {
        XCTAssertEqual(seconds("2025-03-04T10:22:31Z"), 1_741_083_751)
        XCTAssertEqual(seconds("2025-03-04t10:22:31z"), 1_741_083_751)
        XCTAssertEqual(seconds("2025-01-01T00:00:57Z"), 1_735_689_657)
        XCTAssertEqual(seconds("2025-12-31T23:59:59Z"), 1_767_225_599)
    }

    func testSpaceSeparatorAndMissingZoneMeanUTC() {
        XCTAssertEqual(seconds("2025-03-04 10:22:31Z"), 1_741_083_751)
        XCTAssertEqual(seconds("2025-03-04 10:22:31"), 1_741_083_751)
        XCTAssertEqual(seconds("2025-03-04T10:22"), 1_741_083_720)
    }

    func testOffsetsAreSubtracted() {
        XCTAssertEqual(seconds("2025-03-04T10:22:31+02:00"), 1_741_076_551)
        XCTAssertEqual(seconds("2025-03-04T10:22:31-05:30"), 1_741_103_551)
        XCTAssertEqual(seconds("2025-03-04T10:22:31+0200"), 1_741_076_551)
        XCTAssertEqual(seconds("2025-03-04T10:22:31+02"), 1_741_076_551)
        XCTAssertEqual(seconds("2025-03-04T00:30:00+01:00"), seconds("2025-03-03T23:30:00Z"))
    }

    func testFractionalSeconds() throws {
        XCTAssertEqual(try XCTUnwrap(seconds("2025-03-04T10:22:31.123Z")), 1_741_083_751.123, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(seconds("2025-03-04T10:22:31.5+02:00")), 1_741_076_551.5, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(seconds("2025-03-04T10:22:31.123456789Z")), 1_741_083_751.123456789, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(seconds("2025-03-04T10:22:31.1234567890123456789Z")), 1_741_083_751.123456789, accuracy: 1e-6)
        XCTAssertEqual(problem("2025-03-04T10:22:31.Z"), .format)
    }

    func testUnixSeconds() {
        XCTAssertEqual(seconds("1741083751"), 1_741_083_751)
        XCTAssertEqual(seconds("1741083751.25"), 1_741_083_751.25)
        XCTAssertEqual(seconds("-86400"), -86_400)
        XCTAssertEqual(seconds("1.741083751e9"), 1_741_083_751)
        XCTAssertEqual(seconds("  1741083751 "), 1_741_083_751)
        XCTAssertEqual(problem("1e999"), .notFinite)
        XCTAssertEqual(problem("1741083751000"), .unixRange, "milliseconds")
        XCTAssertEqual(problem("1741083751000")?.explanation, "Unix seconds outside years 0000–9999; milliseconds? divide by 1000")
        XCTAssertEqual(seconds("253402300799"), 253_402_300_799)
    }

    func testSpacesAroundAreIgnored() {
        XCTAssertEqual(seconds(" 2025-03-04T10:22:31Z\t"), 1_741_083_751)
    }

    func testInvalidDatesAreRejectedWithTheReason() {
        XCTAssertEqual(problem("2025-02-29"), .day(year: 2025, month: 2, day: 29))
        XCTAssertEqual(problem("2025-02-29")?.explanation, "the day does not exist in its month")
        XCTAssertEqual(problem("1900-02-29"), .day(year: 1900, month: 2, day: 29))
        XCTAssertEqual(problem("2025-04-31"), .day(year: 2025, month: 4, day: 31))
        XCTAssertEqual(problem("2025-04-00")?.explanation, "the day does not exist in its month")
        XCTAssertEqual(problem("2025-13-01"), .month(13))
        XCTAssertEqual(problem("2025-13-01")?.explanation, "the month is not 01–12")
        XCTAssertEqual(problem("2025-00-10"), .month(0))
        XCTAssertEqual(problem("2025-13-01T10:00:00Z"), .month(13))
        XCTAssertEqual(problem("2025-03-04T24:00:00Z"), .time(part: "hour", value: 24))
        XCTAssertEqual(problem("2025-03-04T10:60:00Z"), .time(part: "minute", value: 60))
        XCTAssertEqual(problem("2025-03-04T10:00:60Z"), .time(part: "second", value: 60))
        XCTAssertEqual(problem("2025-03-04T10:00:00+24:00"), .time(part: "offset hour", value: 24))
        XCTAssertEqual(problem("2025-03-04T10:00:00+24:00")?.explanation, "the offset hour is not 00–23")
        XCTAssertEqual(problem("2025-03-04T10:60:00Z")?.explanation, "the minute is not 00–59")
    }

    func testMalformedTextIsAFormatProblem() {
        for text in ["", " ", "yesterday", "2025-3-4", "2025/03/04", "2025-03-04T", "2025-03-04T10", "2025-03-04T10:22:3",
                     "2025-03-04T10:22:31Q", "2025-03-04T10:22:31+2", "2025-03-04T10:22:31+02:0", "2025-03-04x",
                     "25-03-04", "2025-03-04T10:22:31Z junk", "0x10", "nan", "inf", "1,5", "2025-13-01junk"] {
            XCTAssertEqual(problem(text), .format, "'\(text)'")
        }
        XCTAssertEqual(problem("yesterday")?.explanation, "expected ISO-8601 or Unix seconds")
    }

    func testCachedFastPathAgreesWithGeneralParser() {
        var cache = Timestamp.Cache()
        var texts = ["2025-03-04T10:22:31Z", "2025-03-04T23:59:59Z", "2025-03-04T24:00:00Z", "2025-03-04T10:60:00Z",
                     "2025-03-04T10:00:60Z", "2025-03-04T1a:00:00Z", "2025-03-04T10-00:00Z", "2025-02-29T10:00:00Z",
                     "2024-02-29T10:00:00Z", "2025x03-04T10:22:31Z", "2025-03-04T10:22:31z", "2025-03-05T00:00:00Z",
                     "2025-13-04T10:22:31Z", "2025-03-04T10:22:3/Z", "2025-03-04T:0:22:31Z"]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            // Mutate one byte of a valid timestamp to anything.
            var bytes = Array("2025-06-15T12:34:56Z".utf8)
            bytes[Int.random(in: 0..<20, using: &rng)] = UInt8.random(in: 0x20...0x7E, using: &rng)
            texts.append(String(decoding: bytes, as: UTF8.self))
        }
        for text in texts {
            var bytes = Array(text.utf8)
            bytes.append(contentsOf: [UInt8](repeating: 0, count: 16))
            let (fast, slow) = bytes.withUnsafeBufferPointer { b in
                (Timestamp.parse(b.baseAddress!, text.utf8.count, cache: &cache), Timestamp.parse(b.baseAddress!, text.utf8.count))
            }
            XCTAssertEqual(fast.bitPattern, slow.bitPattern, text)
        }
    }

    func testDaysFromCivilMatchesFoundationCalendar() {
        // Foundation's Gregorian calendar as the independent reference, every 7th day over 1888–2052.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!  // UTC always exists
        for day in stride(from: -30_000, through: 30_000, by: 7) {
            let c = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(day) * 86_400))
            let text = String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
            XCTAssertEqual(seconds(text), Double(day) * 86_400, text)
        }
    }
}
