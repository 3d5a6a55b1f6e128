import Foundation
import XCTest
import RetainIO
@testable import RetainIngest
@testable import RetainScoring

/// `Selftest.run` on the bundled CDNOW data: every published figure matches, each with a source.
final class SelftestTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testRunMatchesEveryPublishedFigure() throws {
        let r = try Selftest.run(data: Self.root.path)
        XCTAssertEqual(r.data, Self.root.path + "/datasets/cdnow")
        XCTAssertTrue(r.allMatch, r.checks.filter { !$0.match }.map(\.name).joined(separator: "; "))
        XCTAssertEqual(r.failed, 0)
        XCTAssertEqual(r.passed, r.checks.count)
        let names = r.checks.map(\.name)
        for name in ["BG/NBD r", "Pareto/NBD beta", "Gamma-Gamma gamma", "BG/NBD E[X(39) | x=2, t_x=30.43, T=38.86]",
                     "NPS: 300 promoters, 100 passives, 100 detractors", "retention: 10,000 -> 12,000 with 5,000 new (%)"] {
            XCTAssertTrue(names.contains(name), name)
        }
        XCTAssertEqual(Set(r.sources.keys), Set(Selftest.Source.allCases.map(\.rawValue)))
        let rows = try XCTUnwrap(r.checks.first { $0.name == "  rows equal to the published summary" })
        XCTAssertEqual(rows.value, 2357)
    }

    func testCheckToleranceIsHalfAUnitOfTheLastPublishedDigit() {
        let c = Selftest.Check("x", "-9,582.43", -9582.434, .fhl2005)
        XCTAssertEqual(c.published, -9582.43)
        XCTAssertEqual(c.tolerance, 0.005, accuracy: 1e-15)
        XCTAssertTrue(c.match)
        XCTAssertEqual(c.valueText, "-9582.4340")
        XCTAssertEqual(c.toleranceText, "±0.005")
        XCTAssertFalse(Selftest.Check("x", "0.243", 0.2436, .fhl2005).match)
        XCTAssertEqual(Selftest.Check("n", "2,357", 2357, .summary).valueText, "2,357")
        XCTAssertFalse(Selftest.Check("n", "1", .nan, .kpi).match)
    }

    func testMissingDataSaysWhereItLooked() throws {
        let dir = FileManager.default.temporaryDirectory.path
        XCTAssertThrowsError(try Selftest.run(data: dir)) { error in
            XCTAssertEqual(error as? ScoringError, .selftestDataNotFound(folder: dir, tried: [dir, dir + "/cdnow", dir + "/datasets/cdnow"]))
            XCTAssertTrue("\(error)".hasPrefix("\(dir): no CDNOW_sample.txt and cdnow_customers_summary_with_transactions.csv there"), "\(error)")
        }
    }

    func testPublishedSummaryReaderNamesTheLineOfABadCellAfterBlankLines() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("summary-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "ID,x,t_x,T,zbar\n1,2,30.43,38.86,22.35\n\n2,1,1.71,38.86,11.77\n".write(toFile: path, atomically: true, encoding: .utf8)
        let s = try Selftest.PublishedSummary.read(path: path)
        XCTAssertEqual(s.id, [1, 2])
        XCTAssertEqual(s.zbar, [22.35, 11.77])
        try "ID,x,t_x,T,zbar\n1,2,30.43,38.86,22.35\n\n\n2,one,1.71,38.86,11.77\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Selftest.PublishedSummary.read(path: path)) { error in
            XCTAssertEqual(error as? IngestError, .notANumber(file: path, line: 5, column: "x", cell: CellShape("one")))
        }
        try "ID,x,t_x,T,zbar\n\n1.5,2,30.43,38.86,22.35\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Selftest.PublishedSummary.read(path: path)) { error in
            XCTAssertEqual(error as? IngestError, .notANumber(file: path, line: 3, column: "ID (whole numbers)", cell: CellShape(value: 1.5)))
            XCTAssertEqual("\(error)", "\(path) line 3, column ID (whole numbers): not a number; the cell holds a number with a fractional part.")
        }
    }
}
