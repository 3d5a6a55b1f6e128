import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest

/// Writing a feature table as CSV: quoting, missing values, integers, the as_of column.
final class FeatureTableWriteTests: XCTestCase {
    func testCSVQuotesNamesAndIdsLeavesMissingEmptyAndWritesIntegersPlain() {
        let t = FeatureTable(columnNames: ["n", "x,y"], values: [3, 0.25, .nan, -2, 1e20, 0], rowCount: 3, ids: ["a", "b\"c", "d"])
        XCTAssertEqual(String(decoding: t.csv(), as: UTF8.self),
                       "customer_id,n,\"x,y\"\na,3,0.25\n\"b\"\"c\",,-2\nd,1e+20,0\n")
    }

    func testAsOfColumnAndRowNumbersWithoutIds() {
        let t = FeatureTable(columnNames: ["v"], values: [1, 2], rowCount: 2)
        let day = 1_764_547_200.0  // 2025-12-01
        XCTAssertEqual(String(decoding: t.csv(asOf: [day, day - 86_400]), as: UTF8.self),
                       "customer_id,as_of,v\n1,2025-12-01,1\n2,2025-11-30,2\n")
    }

    func testWrittenFileReadsBackAsTheSameTable() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ft-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let t = FeatureTable(columnNames: ["a", "b"], values: [1.5, -3, 0.1, 7], rowCount: 2, ids: ["x", "y"])
        try t.writeCSV(to: path)
        let back = try FeatureTable.readCSV(path: path, idColumn: "customer_id")
        XCTAssertEqual(back.values, t.values)
        XCTAssertEqual(back.ids, t.ids)
        XCTAssertEqual(back.columnNames, t.columnNames)
    }

    func testDateTextIsTheInverseOfDaysFromCivil() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2025, 12, 31), (1969, 12, 31), (9999, 12, 31)] {
            let days = Timestamp.daysFromCivil(year: y, month: m, day: d)
            XCTAssertEqual(Timestamp.dateText(Double(days) * 86_400 + 43_200), String(format: "%04d-%02d-%02d", y, m, d))
        }
    }
}
