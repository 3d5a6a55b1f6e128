import Foundation
import XCTest
@testable import RetainCore
@testable import RetainNumerics

/// Reads small fixture files committed beside the tests (made by the scripts in Fixtures/).
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func url(_ relative: String) -> URL { directory.appendingPathComponent(relative) }

    /// A numeric CSV with a header: column names and rows.
    static func csv(_ relative: String) throws -> (header: [String], rows: [[Double]]) {
        let text = try String(contentsOf: url(relative), encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        let rows = try lines.map { line in
            try line.split(separator: ",").map { field -> Double in
                guard let v = Double(field) else { throw NumericsError.invalidParameter(name: "fixture", value: String(field), reason: "not a number") }
                return v
            }
        }
        return (header, rows)
    }

    static func json(_ relative: String) throws -> [String: Any] {
        let data = try Data(contentsOf: url(relative))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }
}
