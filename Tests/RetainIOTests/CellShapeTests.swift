import XCTest
@testable import RetainIO

/// `CellShape`: what error messages say about a bad cell instead of quoting it.
final class CellShapeTests: XCTestCase {
    func testKindsOfTypicalMisplacedCells() {
        XCTAssertEqual(CellShape("").kind, .empty)
        XCTAssertEqual(CellShape("  \t").kind, .blank)
        XCTAssertEqual(CellShape("c000001@example.com").kind, .email)
        XCTAssertEqual(CellShape("C000001").kind, .identifier)
        XCTAssertEqual(CellShape("AB-1234").kind, .identifier)
        XCTAssertEqual(CellShape("2025-10-01").kind, .isoDate)
        XCTAssertEqual(CellShape("2025-10-01T10:00:00+02:00").kind, .isoDate)
        XCTAssertEqual(CellShape("31/12/2025").kind, .otherDate)
        XCTAssertEqual(CellShape("31.12.2025").kind, .otherDate)
        XCTAssertEqual(CellShape("-12.5").kind, .number)
        XCTAssertEqual(CellShape("1,5").kind, .decimalComma)
        XCTAssertEqual(CellShape("-Inf").kind, .nonFiniteName)
        XCTAssertEqual(CellShape("1e400").kind, .outOfRange)
        XCTAssertEqual(CellShape("basic").kind, .word)
        // Feature names with a few digits are not ids (a header of them is not taken for data).
        XCTAssertEqual(CellShape("n_login_365d").kind, .text)
        XCTAssertEqual(CellShape("0x1p3").kind, .text)
        XCTAssertEqual(CellShape("hello world").kind, .text)
        XCTAssertFalse(CellShape("n_login_365d").looksLikeData)
        XCTAssertTrue(CellShape("C000001").looksLikeData)
    }

    func testNumbersKeepSignAndFraction() {
        let s = CellShape("-0.25")
        XCTAssertTrue(s.negative)
        XCTAssertTrue(s.fraction)
        XCTAssertEqual(CellShape(value: 2), CellShape(value: 7))  // the digits are not kept
        XCTAssertEqual(CellShape(value: 2).clause(), "holds a whole number")
        XCTAssertEqual(CellShape(value: -3).clause(), "holds a negative number")
        XCTAssertEqual(CellShape(value: 0.5).clause(), "holds a number with a fractional part")
        XCTAssertEqual(CellShape(value: .nan).clause(), "is empty")
    }

    func testClausesSayLengthAndKindAndHintAtMisalignedColumns() {
        XCTAssertEqual(CellShape("c000001@example.com").description,
                       "the cell holds 19 characters of text with an '@' (it looks like an email address: are the columns in the right order?)")
        XCTAssertEqual(CellShape("C000001").clause(),
                       "holds 7 characters of letters and digits (it looks like an id or a code: are the columns in the right order?)")
        XCTAssertEqual(CellShape("2025-10-01").clause(expecting: .number),
                       "holds 10 characters that look like a date or time (are the columns in the right order?)")
        XCTAssertEqual(CellShape("2025-13-01").clause(expecting: .date), "holds 10 characters that look like a date or time")
        XCTAssertEqual(CellShape("").clause(), "is empty")
        XCTAssertEqual(CellShape("   ").clause(), "holds only spaces (3 characters)")
        XCTAssertEqual(CellShape(" 12 ").clause(), "holds 4 characters that look like a number, with spaces around it")
        XCTAssertEqual(CellShape("1,5").clause(), "holds digits with a decimal comma (write a decimal point: 1.5, not 1,5)")
        XCTAssertEqual(CellShape("12/31/2025").clause(), "holds 10 characters that look like a date in another order (write it as YYYY-MM-DD)")
        XCTAssertEqual(CellShape("Zoë").clause(), "holds 3 characters of text, with non-ASCII characters")
        XCTAssertEqual(CellShape("a\u{0}b").clause(), "holds 3 characters of text, with control characters (such as NUL)")
        XCTAssertEqual(CellShape(bytes: [0x61, 0xFF, 0x62]).clause(), "holds 3 characters of text, with bytes that are not valid UTF-8")
    }

    func testNoCharacterOfTheCellReachesTheDescription() {
        // Distinctive cells: none of their characters' runs of 3 or more may appear in any clause.
        let secrets = ["jane.doe@example.com", "C000123", "Qxzvkj", "2031-07-19", "93817.25", "Zwölfmeier Straße 9", "1e999", "ZZTOP"]
        for secret in secrets {
            let shape = CellShape(secret)
            for text in [shape.description, shape.clause(expecting: .number), shape.clause(expecting: .date)] {
                let chars = Array(secret)
                for i in 0..<(chars.count - 2) {
                    let piece = String(chars[i..<(i + 3)])
                    XCTAssertFalse(text.contains(piece), "'\(piece)' of the cell in: \(text)")
                }
            }
        }
    }

    func testHeaderListDescribesADataRowInsteadOfListingIt() {
        XCTAssertEqual(CellShape.headerList(["id", "plan"]), "columns: id, plan")
        XCTAssertEqual(CellShape.headerList(["n_login_7d", "n_login_365d"]), "columns: n_login_7d, n_login_365d")
        XCTAssertEqual(CellShape.headerList(["C000001", "2024-05-28", "basic", "BR", "c000001@example.com"]),
                       "5 fields; field 1 holds 7 characters of letters and digits (it looks like an id or a code: "
                       + "are the columns in the right order?), so the first line looks like a data row: add a header line")
        let many = (1...25).map { "f\($0)" }
        XCTAssertEqual(CellShape.headerList(many), "columns: " + many.prefix(20).joined(separator: ", ") + ", … (5 more)")
    }
}
